/**
 * The scheduler framework in small, after kube-scheduler's: a plugin implements only the
 * extension points it needs (PreFilter and Filter, Score), answers with a Status that tells
 * "does not fit" from "broken", and the framework records which plugin said what so a person
 * can read why a pod is still pending.
 */
import type { Pod } from '../../shared/objects.js';
import type { DeviceSnapshot, FleetSnapshot } from './snapshot.js';

/**
 * StatusCode mirrors Kubernetes':
 * - Success: the pod may run on the device.
 * - Unschedulable: not now, but it might fit once something on the device changes (pods end,
 *   capacity grows).
 * - UnschedulableAndUnresolvable: not as the device stands; freeing room would not help
 *   (labels, readiness, a cordon).
 * - Error: the plugin itself failed; the device is passed over and the failure reported.
 * - Skip: from a pre-filter only: the plugin's filter would let the pod onto every device, so
 *   the scheduler does not ask it about any (a pod without a selector, say).
 */
export type StatusCode = 'Success' | 'Unschedulable' | 'UnschedulableAndUnresolvable' | 'Error' | 'Skip';

/**
 * A reason a person reads for one device, optionally with the shorter form the fleet-wide
 * message counts devices by: "insufficient cpu (requested 500m, 200m free of 1)" differs from
 * device to device, "insufficient cpu" does not.
 */
export type Reason = string | { reason: string | (() => string); summary: string };

/** Status is what a plugin answers; immutable, so plugins may return the same one for every device. */
export class Status {
  readonly code: StatusCode;
  /** One per reason, what devices are counted by in the "0/3 devices are available" message. */
  readonly summaries: readonly string[];
  /** The plugin that answered, when known. */
  readonly plugin: string | undefined;
  /**
   * Written out on first read: a search through a full fleet refuses thousands of devices
   * per pod, and only a pod that fits nowhere has its refusals read.
   */
  #reasons: readonly (string | (() => string))[];
  #written: readonly string[] | undefined;

  private static readonly SUCCESS = new Status('Success', [], [], undefined);
  private static readonly SKIP = new Status('Skip', [], [], undefined);

  private constructor(code: StatusCode, reasons: readonly (string | (() => string))[], summaries: readonly string[], plugin: string | undefined) {
    this.code = code;
    this.#reasons = reasons;
    this.summaries = summaries;
    this.plugin = plugin;
  }

  /** For the device at hand: what `flotilla describe pod` prints for it. */
  get reasons(): readonly string[] {
    this.#written ??= this.#reasons.map((r) => (typeof r === 'string' ? r : r()));
    return this.#written;
  }

  static success(): Status {
    return Status.SUCCESS;
  }

  /** A pre-filter's "my filter accepts every device for this pod": it is not asked about any. */
  static skip(): Status {
    return Status.SKIP;
  }

  static unschedulable(...reasons: Reason[]): Status {
    return Status.withReasons('Unschedulable', reasons);
  }

  static unresolvable(...reasons: Reason[]): Status {
    return Status.withReasons('UnschedulableAndUnresolvable', reasons);
  }

  /** A plugin that failed; `cause` is usually what it threw. */
  static error(cause: unknown): Status {
    const message = cause instanceof Error ? cause.message : String(cause);
    return new Status('Error', [message], [message], undefined);
  }

  private static withReasons(code: StatusCode, reasons: Reason[]): Status {
    const texts = reasons.map((r) => (typeof r === 'string' ? r : r.reason));
    const summaries = reasons.map((r) => (typeof r === 'string' ? r : r.summary));
    return new Status(code, texts, summaries, undefined);
  }

  isSuccess(): boolean {
    return this.code === 'Success';
  }

  withPlugin(plugin: string): Status {
    return new Status(this.code, this.#reasons, this.summaries, plugin);
  }

  toString(): string {
    const text = this.reasons.length > 0 ? `${this.code}: ${this.reasons.join(', ')}` : this.code;
    return this.plugin === undefined ? text : `${this.plugin}: ${text}`;
  }
}

/** Scores run from MIN_SCORE to MAX_SCORE after normalization, as in Kubernetes. */
export const MIN_SCORE = 0;
export const MAX_SCORE = 100;

/** Plugin is what every extension point shares: a name, unique within a registry. */
export interface Plugin {
  readonly name: string;
}

/**
 * A pre-filter's "yes, but only on these devices", as Kubernetes' PreFilterResult.NodeNames:
 * the indexes in FleetSnapshot.devices, ascending, of every device the plugin's `filter` might
 * accept. The scheduler then looks at those devices only (and, when several plugins answer so,
 * at the devices they all name). A device left out must be one `filter` refuses, so the
 * diagnosis of a pod that fits nowhere, which asks every filter about every device, stays
 * what it would have been.
 *
 * The list must not change once returned: the scheduler may remember what it worked out from
 * it, so a plugin that hands the same list to many pods (one per selector and fleet snapshot)
 * costs nothing per pod.
 */
export interface PreFilterResult {
  readonly deviceIndexes: readonly number[];
  /**
   * The plugin's filter accepts every device listed (not merely might), so the scheduler does
   * not ask it about them; it still asks about the others when explaining a pod that fits nowhere.
   */
  readonly exact: boolean;
}

export function preFilterResult(deviceIndexes: readonly number[], options: { exact?: boolean } = {}): PreFilterResult {
  return { deviceIndexes, exact: options.exact ?? false };
}

export function isPreFilterResult(value: unknown): value is PreFilterResult {
  return typeof value === 'object' && value !== null && Array.isArray((value as Partial<PreFilterResult>).deviceIndexes);
}

/** FilterPlugin decides, device by device, whether a pod may run there. */
export interface FilterPlugin extends Plugin {
  /**
   * Runs once per pod before any device is looked at: the place to compute what `filter`
   * needs into the cycle context, to reject the pod on every device at once (an invalid
   * selector), to name the only devices worth asking about, or to say that `filter` need not
   * be asked at all. Returns Success, Skip, a PreFilterResult, UnschedulableAndUnresolvable or
   * Error.
   */
  preFilter?(ctx: CycleContext): Status | PreFilterResult;
  /** Returns Success, Unschedulable, UnschedulableAndUnresolvable or Error (never Skip). */
  filter(ctx: CycleContext, pod: Pod, device: DeviceSnapshot): Status;
}

/** One candidate device's score in a cycle, as Kubernetes' NodeScore. */
export interface DeviceScore {
  readonly device: string;
  score: number;
}

/** ScorePlugin ranks the devices that passed every filter; higher is better. */
export interface ScorePlugin extends Plugin {
  /** MIN_SCORE..MAX_SCORE, or any raw figure when `normalize` maps it into that range. */
  score(ctx: CycleContext, pod: Pod, device: DeviceSnapshot): number;
  /**
   * Rewrites this cycle's raw scores in place into MIN_SCORE..MAX_SCORE, as Kubernetes'
   * NormalizeScore over a NodeScoreList. The list and its entries are the framework's, reused
   * from cycle to cycle: read and write them during the call, keep none of them.
   */
  normalize?(scores: DeviceScore[]): void;
}

export function isFilterPlugin(plugin: Plugin): plugin is FilterPlugin {
  return typeof (plugin as Partial<FilterPlugin>).filter === 'function';
}

export function isScorePlugin(plugin: Plugin): plugin is ScorePlugin {
  return typeof (plugin as Partial<ScorePlugin>).score === 'function';
}

/** A key into a cycle's shared state, typed by the value it holds. */
export interface CycleKey<T> {
  readonly description: string;
  /** Where `cycleKey` files the value: a plain array slot, as `read` runs for every device. */
  readonly slot?: number;
  /** Never set: carries T so `read` and `memo` are typed. */
  readonly valueType?: T;
}

let slotsHandedOut = 0;

export function cycleKey<T>(description: string): CycleKey<T> {
  return { description, slot: slotsHandedOut++ };
}

/** Marks a slot nothing was written to, so an undefined value can be remembered too. */
const UNSET: unique symbol = Symbol('unset');

/**
 * CycleContext lives for one pod's scheduling attempt: the pod, the fleet as the scheduler
 * sees it, and per-pod work (the parsed selector, the resource request) computed once and
 * shared by every device and every plugin that needs it.
 */
export class CycleContext {
  readonly pod: Pod;
  readonly fleet: FleetSnapshot;
  private readonly slots: unknown[] = [];
  /** Values under keys not made by `cycleKey`, which have no slot; rare, so made when first needed. */
  private others: Map<CycleKey<unknown>, unknown> | undefined;

  constructor(pod: Pod, fleet: FleetSnapshot) {
    this.pod = pod;
    this.fleet = fleet;
  }

  read<T>(key: CycleKey<T>): T | undefined {
    const known = this.lookup(key);
    return known === UNSET ? undefined : (known as T);
  }

  write<T>(key: CycleKey<T>, value: T): void {
    const slot = key.slot;
    if (slot === undefined) {
      (this.others ??= new Map()).set(key, value);
      return;
    }
    while (this.slots.length <= slot) this.slots.push(UNSET);
    this.slots[slot] = value;
  }

  /** The value under `key`, computed by `compute` the first time it is asked for. */
  memo<T>(key: CycleKey<T>, compute: () => T): T {
    const known = this.lookup(key);
    if (known !== UNSET) return known as T;
    const value = compute();
    this.write(key, value);
    return value;
  }

  private lookup(key: CycleKey<unknown>): unknown {
    const slot = key.slot;
    if (slot === undefined) return this.others?.has(key) === true ? this.others.get(key) : UNSET;
    return slot < this.slots.length ? this.slots[slot] : UNSET;
  }
}
