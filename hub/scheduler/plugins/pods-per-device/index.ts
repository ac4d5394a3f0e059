/**
 * pods-per-device: at most N pods of one workload on a device, so one device going dark takes
 * few replicas with it (spread only prefers that; this insists).
 *
 * N is the workload's own when its pod template carries the annotation
 * `flotilla.io/max-pods-per-device: "1"` (pods get their template's annotations), else the
 * plugin's `defaultMaxPerDevice` from the hub's settings; neither (or 0): no limit. A workload
 * is a pod's controlling owner (a Deployment, a DaemonSet); a pod without one is alone and is
 * never held back. A device at the limit may take the pod once one of the workload's pods
 * leaves it, so the refusal is Unschedulable rather than unresolvable.
 */
import { cycleKey, Status, type FilterPlugin } from '../../framework.js';
import { argsObject, invalidArgs } from '../../plugin-args.js';
import { ownerUidOf } from '../../snapshot.js';

export const NAME = 'pods-per-device';

/** On a pod template: the most pods of the workload one device may run. */
export const MAX_PODS_PER_DEVICE_ANNOTATION = 'flotilla.io/max-pods-per-device';

export interface PodsPerDeviceArgs {
  /** The limit for workloads that do not set the annotation; 0 or absent: none. */
  defaultMaxPerDevice?: number;
}

/** The pod's workload and its limit, or a Status for an annotation that cannot be read. */
interface Limit {
  owner: string;
  most: number;
  atLimit: Status;
}

const LIMIT = cycleKey<Limit | Status | null>(`${NAME}/limit`);
/** The devices (by name) already at the limit for this cycle's pod, worked out by the pre-filter. */
const FULL = cycleKey<ReadonlySet<string>>(`${NAME}/full`);

export function create(args?: unknown) {
  const defaultMost = defaultLimit(args);
  const atLimit = new Map<number, Status>();
  const badAnnotations = new Map<string, Status>();

  function statusAt(most: number): Status {
    let status = atLimit.get(most);
    if (status === undefined) {
      status = Status.unschedulable(`device is at the limit of ${most} ${most === 1 ? 'pod' : 'pods'} of the workload per device`);
      atLimit.set(most, status);
    }
    return status;
  }

  function limitOf(annotation: string | undefined, owner: string | undefined): Limit | Status | null {
    if (owner === undefined) return null;
    let most = defaultMost;
    if (annotation !== undefined) {
      const parsed = annotationLimit(annotation);
      if (parsed === undefined) {
        let status = badAnnotations.get(annotation);
        if (status === undefined) {
          status = Status.unresolvable(
            `annotation ${MAX_PODS_PER_DEVICE_ANNOTATION} "${annotation}" is not a whole number of pods above 0; fix it in the workload's pod template`,
          );
          if (badAnnotations.size >= 64) badAnnotations.clear();
          badAnnotations.set(annotation, status);
        }
        return status;
      }
      most = parsed;
    }
    return most === 0 ? null : { owner, most, atLimit: statusAt(most) };
  }

  return {
    name: NAME,
    preFilter(ctx) {
      const limit = ctx.memo(LIMIT, () => limitOf(ctx.pod.metadata.annotations?.[MAX_PODS_PER_DEVICE_ANNOTATION], ownerUidOf(ctx.pod)));
      if (limit === null) return Status.skip();
      if (limit instanceof Status) return limit;
      // The workload's pods sit on a few devices of many: look at those once, not at every device.
      const full = fullDevices(ctx.fleet.podsOfOwner(limit.owner), limit.most);
      if (full === undefined) return Status.skip();
      ctx.write(FULL, full);
      return Status.success();
    },
    filter(ctx, pod, device) {
      const limit = ctx.memo(LIMIT, () => limitOf(pod.metadata.annotations?.[MAX_PODS_PER_DEVICE_ANNOTATION], ownerUidOf(pod)));
      if (limit === null) return Status.success();
      if (limit instanceof Status) return limit;
      const full = ctx.read(FULL);
      if (full !== undefined) return full.has(device.name) ? limit.atLimit : Status.success();
      return ctx.fleet.podsByOwnerOnDevice(limit.owner, device.name) < limit.most ? Status.success() : limit.atLimit;
    },
  } satisfies FilterPlugin;
}

/** The devices holding `most` or more of the workload's pods; undefined when there are none. */
function fullDevices(podsPerDevice: ReadonlyMap<string, number>, most: number): Set<string> | undefined {
  let full: Set<string> | undefined;
  for (const [device, count] of podsPerDevice) if (count >= most) (full ??= new Set()).add(device);
  return full;
}

function defaultLimit(args: unknown): number {
  const { defaultMaxPerDevice } = argsObject(NAME, args, ['defaultMaxPerDevice']);
  if (defaultMaxPerDevice === undefined) return 0;
  if (typeof defaultMaxPerDevice !== 'number' || !Number.isInteger(defaultMaxPerDevice) || defaultMaxPerDevice < 0) {
    throw invalidArgs(NAME, [{ field: 'defaultMaxPerDevice', message: `must be a whole number of pods, 0 for no limit; got ${JSON.stringify(defaultMaxPerDevice)}` }]);
  }
  return defaultMaxPerDevice;
}

function annotationLimit(text: string): number | undefined {
  if (!/^\s*\d+\s*$/.test(text)) return undefined;
  const most = Number(text);
  return Number.isSafeInteger(most) && most > 0 ? most : undefined;
}
