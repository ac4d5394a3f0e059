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
 */
export type StatusCode = 'Success' | 'Unschedulable' | 'UnschedulableAndUnresolvable' | 'Error';

/**
 * A reason a person reads for one device, optionally with the shorter form the fleet-wide
 * message counts devices by: "insufficient cpu (requested 500m, 200m free of 1)" differs from
 * device to device, "insufficient cpu" does not.
 */
export type Reason = string | { reason: string; summary: string };

/** Status is what a plugin answers; immutable, so plugins may return the same one for every device. */
export class Status {
  readonly code: StatusCode;
  /** For the device at hand: what `flotilla describe pod` prints for it. */
  readonly reasons: readonly string[];
  /** One per reason, what devices are counted by in the "0/3 devices are available" message. */
  readonly summaries: readonly string[];
  /** The plugin that answered, when known. */
  readonly plugin: string | undefined;

  private static readonly SUCCESS = new Status('Success', [], [], undefined);

  private constructor(code: StatusCode, reasons: readonly string[], summaries: readonly string[], plugin: string | undefined) {
    this.code = code;
    this.reasons = reasons;
    this.summaries = summaries;
    this.plugin = plugin;
  }

  static success(): Status {
    return Status.SUCCESS;
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
    return new Status(this.code, this.reasons, this.summaries, plugin);
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

/** FilterPlugin decides, device by device, whether a pod may run there. */
export interface FilterPlugin extends Plugin {
  /**
   * Runs once per pod before any device is looked at: the place to compute what `filter`
   * needs into the cycle context, or to reject the pod on every device at once (an invalid
   * selector). Returns Success, UnschedulableAndUnresolvable or Error.
   */
  preFilter?(ctx: CycleContext): Status;
  /** Returns Success, Unschedulable, UnschedulableAndUnresolvable or Error. */
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
  /** Never set: carries T so `read` and `memo` are typed. */
  readonly valueType?: T;
}

export function cycleKey<T>(description: string): CycleKey<T> {
  return { description };
}

/**
 * CycleContext lives for one pod's scheduling attempt: the pod, the fleet as the scheduler
 * sees it, and per-pod work (the parsed selector, the resource request) computed once and
 * shared by every device and every plugin that needs it.
 */
export class CycleContext {
  readonly pod: Pod;
  readonly fleet: FleetSnapshot;
  private readonly state = new Map<CycleKey<unknown>, unknown>();

  constructor(pod: Pod, fleet: FleetSnapshot) {
    this.pod = pod;
    this.fleet = fleet;
  }

  read<T>(key: CycleKey<T>): T | undefined {
    return this.state.get(key) as T | undefined;
  }

  write<T>(key: CycleKey<T>, value: T): void {
    this.state.set(key, value);
  }

  /** The value under `key`, computed by `compute` the first time it is asked for. */
  memo<T>(key: CycleKey<T>, compute: () => T): T {
    const known = this.state.get(key);
    if (known !== undefined || this.state.has(key)) return known as T;
    const value = compute();
    this.state.set(key, value);
    return value;
  }
}
