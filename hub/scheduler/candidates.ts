/**
 * The pre-filter step of a scheduling cycle: what the filter plugins' pre-filters make of one
 * pod before any device is looked at. The pod may be turned away outright; otherwise the
 * answer is which devices are worth asking about (Kubernetes' PreFilterResult) and which
 * filters need asking at all.
 *
 * Plugins hand the same candidate list to every pod that shares a selector, so what is worked
 * out from a list (its check, its intersection with another plugin's) is remembered by list.
 */
import { isPreFilterResult, Status, type CycleContext, type FilterPlugin } from './framework.js';

/** The pod may run on no device: `plugin` said so before any device was looked at. */
export interface TurnedAway {
  plugin: string;
  status: Status;
}

export interface CyclePlan {
  /** Indexes into the fleet's devices, ascending; undefined for every device. */
  candidates: readonly number[] | undefined;
  /** The filters to ask about a candidate: all but those that skipped or vouched for every candidate. */
  searchFilters: readonly FilterPlugin[];
  /** The filters to ask about a device that is not a candidate: all but those that skipped. */
  fullFilters: readonly FilterPlugin[];
}

export type PreFilter = (ctx: CycleContext) => CyclePlan | TurnedAway;

export function isTurnedAway(outcome: CyclePlan | TurnedAway): outcome is TurnedAway {
  return (outcome as Partial<TurnedAway>).status !== undefined;
}

/** Runs the pre-filters of `filters`, in order, for a cycle. */
export function createPreFilter(filters: readonly FilterPlugin[]): PreFilter {
  const withPreFilter = filters.filter((plugin) => plugin.preFilter !== undefined);
  const everyFilter: CyclePlan = { candidates: undefined, searchFilters: filters, fullFilters: filters };
  /** Lists already found ascending, with the fleet size they were checked against. */
  const checked = new WeakMap<readonly number[], number>();
  const intersections = new WeakMap<readonly number[], WeakMap<readonly number[], readonly number[]>>();

  function candidatesOf(indexes: readonly number[], total: number): readonly number[] | Status {
    if (checked.get(indexes) === total) return indexes;
    if (!ascendingIndexes(indexes, total)) {
      return Status.error('returned device indexes that are not ascending positions in the fleet');
    }
    checked.set(indexes, total);
    return indexes;
  }

  function intersectionOf(a: readonly number[], b: readonly number[]): readonly number[] {
    let withA = intersections.get(a);
    if (withA === undefined) intersections.set(a, (withA = new WeakMap()));
    let both = withA.get(b);
    if (both === undefined) withA.set(b, (both = intersection(a, b)));
    return both;
  }

  return (ctx) => {
    const total = ctx.fleet.devices.length;
    let candidates: readonly number[] | undefined;
    let skipped: FilterPlugin[] | undefined;
    let vouched: FilterPlugin[] | undefined;
    for (const plugin of withPreFilter) {
      let answer: unknown;
      try {
        answer = plugin.preFilter?.(ctx);
      } catch (error) {
        return { plugin: plugin.name, status: Status.error(error) };
      }
      if (answer instanceof Status) {
        if (answer.code === 'Skip') (skipped ??= []).push(plugin);
        else if (!answer.isSuccess()) return { plugin: plugin.name, status: answer };
        continue;
      }
      if (!isPreFilterResult(answer)) {
        return { plugin: plugin.name, status: Status.error(`returned ${String(answer)} instead of a Status`) };
      }
      const listed = candidatesOf(answer.deviceIndexes, total);
      if (listed instanceof Status) return { plugin: plugin.name, status: listed };
      candidates = candidates === undefined ? listed : intersectionOf(candidates, listed);
      if (answer.exact) (vouched ??= []).push(plugin);
    }
    if (skipped === undefined && vouched === undefined) return candidates === undefined ? everyFilter : { ...everyFilter, candidates };
    const fullFilters = skipped === undefined ? filters : filters.filter((plugin) => !skipped.includes(plugin));
    const searchFilters = vouched === undefined ? fullFilters : fullFilters.filter((plugin) => !vouched.includes(plugin));
    return { candidates, searchFilters, fullFilters };
  };
}

/** Position in the ascending list of the first index at or after `start`; 0 when none is (a search wraps round). */
export function firstAtOrAfter(indexes: readonly number[], start: number): number {
  let low = 0;
  let high = indexes.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((indexes[middle] as number) < start) low = middle + 1;
    else high = middle;
  }
  return low === indexes.length ? 0 : low;
}

/** Whether every index names a device of the fleet, in ascending order without repeats. */
function ascendingIndexes(indexes: readonly number[], total: number): boolean {
  let previous = -1;
  for (const index of indexes) {
    if (!Number.isInteger(index) || index <= previous || index >= total) return false;
    previous = index;
  }
  return true;
}

/** The indexes in both ascending lists. */
function intersection(a: readonly number[], b: readonly number[]): number[] {
  const both: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i] as number;
    const y = b[j] as number;
    if (x === y) {
      both.push(x);
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  return both;
}
