/**
 * The staged rollout engine, pure: given where the rollout of a workload's current revision
 * stood, how its pods are doing and the time, it says where the rollout stands now, how many
 * pods of the current revision may exist, whether to roll back, and what to tell people.
 * Deployment and DaemonSet controllers both run it; neither the store nor a clock is read here.
 *
 * The rules (Kubernetes for the rolling update, Argo Rollouts, hawkBit and Greengrass for the
 * waves and the stop):
 * - Waves are cumulative sizes of the target (`1`, `10%`, `100%`): wave k lets its size of
 *   pods run the new revision. A share rounds up, a non-empty wave has at least one pod, and
 *   the last wave is always the whole target (replicas may have grown since validation).
 * - A wave succeeds when the pods it needs are updated and have been Ready for
 *   `minReadySeconds`. Pods that wait for an Offline device are pending: they never hold a
 *   wave up, and they do not use up its size, so another device takes their turn.
 * - A pod of the new revision has failed when it crashed, could not start, or was not Ready
 *   `progressDeadlineSeconds` after it was bound to a device that is online. More failed
 *   pods than `failureThreshold` (a count, or a share of the updated pods: strictly more, as
 *   hawkBit's error threshold) stops the rollout: phase Failed, or RolledBack when
 *   `rollbackOnFailure` asks for it and there is an earlier revision. A failure the threshold
 *   tolerates does not use up the wave's size either: another pod takes its turn.
 * - A rollback rolls the old template out again as a plain rolling update, never in waves.
 * - After a wave, `pause: {seconds}` waits, `pause: {}` waits for `rollout resume` (which
 *   also cuts a timed pause short). `spec.paused` freezes the rollout where it is; failures
 *   are not judged while paused, as Kubernetes stops the progress deadline of a paused one.
 * - A workload with no pod of an older revision (its first start) starts at the last wave:
 *   waves stage an update, not a first start, as Argo Rollouts does.
 * - Complete, Failed and RolledBack hold until the next revision; the counts stay current,
 *   so pods on devices that come back show up as they update.
 */
import type { IntOrPercent, RolloutStatus, RolloutWave, StagedRolloutParams, WorkloadRolloutSpec } from '../../../shared/objects.js';
import { percentOf, scaledValue } from './int-or-percent.js';

/** Kubernetes' default for `progressDeadlineSeconds`. */
export const DEFAULT_PROGRESS_DEADLINE_SECONDS = 600;

/** Pods named in a message; the count says how many there are in all. */
const NAMED_PODS = 3;

/** One pod of the workload, as the engine reads it (see pod-health.ts). */
export interface RolloutPod {
  name: string;
  /** Of the revision being rolled out. */
  updated: boolean;
  /** Its device is Offline. */
  offline: boolean;
  /** Epoch ms it became Ready; absent when it is not Ready. */
  readySince?: number;
  /** Epoch ms it was bound to its device; absent while unbound. */
  boundAt?: number;
  /** Why it has failed (a crash, a start that failed); absent when nothing went wrong. */
  problem?: string;
  device?: string;
}

export interface RolloutInput {
  /** The revision of the current template. */
  revision: number;
  /** The revision before it, which a rollback goes back to; absent when there is none. */
  previousRevision?: number;
  /** Pods the workload wants in all. */
  target: number;
  strategy: StagedRolloutParams;
  spec: WorkloadRolloutSpec;
  pods: readonly RolloutPod[];
  /** The status as the controller last wrote it. */
  previous?: RolloutStatus;
  /** Epoch ms. */
  now: number;
  /** `rollout resume` was asked for at this wave of this revision. */
  resumed?: { revision: number; wave: number };
  /** The current revision is the automatic rollback from this one. */
  rollbackFrom?: number;
}

export interface RolloutEvent {
  type: 'Normal' | 'Warning';
  reason: 'WaveStarted' | 'WaveSucceeded' | 'RolloutPaused' | 'RolloutFailed' | 'RolledBack' | 'RolloutComplete';
  message: string;
}

export interface RolloutDecision {
  status: RolloutStatus;
  /** How many pods of the current revision may exist now. */
  updatedCap: number;
  /** Go back to this revision: the controller writes its template into the workload. */
  rollbackTo?: number;
  /** To record, in order; each is a transition, so a repeat of the same decision has none. */
  events: RolloutEvent[];
  /** Reconcile again after this long, when a time (a pause, minReadySeconds, a deadline) is due. */
  requeueAfterMs?: number;
}

/** What the pods add up to. */
interface Tally {
  updated: number;
  ready: number;
  /** Updated, Ready for minReadySeconds, not failed. */
  available: number;
  failed: number;
  /** The first few failed pods, for messages. */
  failures: string[];
  /** Pods of any revision that wait for an Offline device. */
  pending: number;
  /** Of those, pods of the current revision. */
  pendingUpdated: number;
  /** The first few devices they wait for, for messages. */
  pendingDevices: string[];
  /** Pods of older revisions on devices that are not Offline. */
  oldOnline: number;
  /** The next time a pod's standing changes by the clock alone (epoch ms). */
  nextAt: number;
}

/** Names shown of the devices pods wait for; the count says how many more. */
const PENDING_DEVICES_NAMED = 3;

function waitsForDevice(t: Tally, pod: RolloutPod): void {
  t.pending++;
  if (pod.device !== undefined && t.pendingDevices.length < PENDING_DEVICES_NAMED && !t.pendingDevices.includes(pod.device)) t.pendingDevices.push(pod.device);
}

/** `: cam-1, cam-2, cam-3 and 3 more` for the devices pending pods wait for. */
function pendingDeviceNames(t: Tally): string {
  if (t.pendingDevices.length === 0) return '';
  const more = t.pending - t.pendingDevices.length;
  return ` (${t.pendingDevices.join(', ')}${more > 0 ? ` and ${more} more` : ''})`;
}

function tally(input: RolloutInput): Tally {
  const minReadyMs = (input.spec.minReadySeconds ?? 0) * 1000;
  const deadlineMs = (input.spec.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_SECONDS) * 1000;
  const now = input.now;
  const t: Tally = { updated: 0, ready: 0, available: 0, failed: 0, failures: [], pending: 0, pendingUpdated: 0, pendingDevices: [], oldOnline: 0, nextAt: Infinity };
  for (const pod of input.pods) {
    const ready = pod.readySince !== undefined;
    if (!pod.updated) {
      if (pod.offline && !ready) waitsForDevice(t, pod);
      else t.oldOnline++;
      continue;
    }
    t.updated++;
    if (ready) t.ready++;
    // What runs on a device out of reach is unknown: it neither fails nor counts as available.
    if (pod.offline && !ready) {
      waitsForDevice(t, pod);
      t.pendingUpdated++;
      continue;
    }
    let problem = pod.problem;
    if (problem === undefined && !ready && pod.boundAt !== undefined) {
      const due = pod.boundAt + deadlineMs;
      if (now >= due) problem = `not Ready ${input.spec.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_SECONDS}s after it was placed`;
      else t.nextAt = Math.min(t.nextAt, due);
    }
    if (problem !== undefined) {
      t.failed++;
      if (t.failures.length < NAMED_PODS) t.failures.push(`${pod.name}${pod.device === undefined ? '' : ` on ${pod.device}`}: ${problem}`);
      continue;
    }
    if (pod.readySince === undefined) continue;
    const availableAt = pod.readySince + minReadyMs;
    if (now >= availableAt) t.available++;
    else t.nextAt = Math.min(t.nextAt, availableAt);
  }
  return t;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** Whether the failures are more than the threshold allows; absent threshold: never. */
function overThreshold(threshold: IntOrPercent | undefined, failed: number, updated: number): boolean {
  if (threshold === undefined || failed === 0) return false;
  const percent = percentOf(threshold);
  // Compared in whole numbers: 1 failed of 3 is over 33%, exactly 1 of 4 is not over 25%.
  if (percent !== undefined) return failed * 100 > percent * updated;
  return failed > scaledValue(threshold, updated, false);
}

function failureText(t: Tally, threshold: IntOrPercent | undefined): string {
  const named = t.failures.join(', ');
  const more = t.failed > t.failures.length ? ` and ${t.failed - t.failures.length} more` : '';
  return `${t.failed} of ${plural(t.updated, 'updated pod')} failed, more than the threshold of ${String(threshold)}: ${named}${more}`;
}

/** The wave list, never empty: absent waves are one wave of everything. */
function wavesOf(strategy: StagedRolloutParams): readonly RolloutWave[] {
  return strategy.waves !== undefined && strategy.waves.length > 0 ? strategy.waves : [{ size: '100%' }];
}

/** Pods of the new revision once wave `k` (1-based) is done. */
export function waveSize(waves: readonly RolloutWave[], k: number, target: number): number {
  if (k >= waves.length) return target;
  const size = waves[k - 1]?.size ?? '100%';
  const scaled = scaledValue(size, target, true);
  const nonEmpty = (typeof size === 'number' ? size : (percentOf(size) ?? 0)) > 0;
  return Math.min(target, Math.max(nonEmpty ? 1 : 0, scaled));
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function seconds(ms: number): string {
  return `${Math.ceil(ms / 1000)}s`;
}

/** Where the rollout stands now, and what the controller may and must do about it. */
export function decideRollout(input: RolloutInput): RolloutDecision {
  const { revision, target, strategy, spec, previous, now } = input;
  const t = tally(input);
  const waves = wavesOf(strategy);
  const n = waves.length;
  const events: RolloutEvent[] = [];
  const counts = { target, updated: t.updated, ready: t.ready, failed: t.failed, pending: t.pending };
  const tolerated = strategy.failureThreshold === undefined ? 0 : t.failed;
  /** Pods of the current revision wave `k` lets exist: its size, plus the turns others could not take. */
  const capAt = (k: number) => Math.min(target, waveSize(waves, k, target) + t.pendingUpdated + tolerated);
  const pendingNote =
    t.pending === 0
      ? ''
      : t.pending === 1
        ? `; 1 pod waits for an Offline device${pendingDeviceNames(t)} and updates when it returns`
        : `; ${t.pending} pods wait for Offline devices${pendingDeviceNames(t)} and update when they return`;
  const requeue = (extraAt = Infinity): number | undefined => {
    const at = Math.min(t.nextAt, extraAt);
    return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
  };

  if (input.rollbackFrom !== undefined) {
    // The old template goes out again at the rolling update's own pace, never in waves.
    const kept = previous?.phase === 'RolledBack' && previous.rolledBackFrom === input.rollbackFrom ? previous.message : undefined;
    const status: RolloutStatus = {
      revision,
      phase: 'RolledBack',
      wave: 1,
      waves: 1,
      ...counts,
      rolledBackFrom: input.rollbackFrom,
      message: kept ?? `rolled back from revision ${input.rollbackFrom}`,
    };
    return withRequeue({ status, updatedCap: target, events }, requeue());
  }

  const fresh = previous === undefined || previous.revision !== revision;
  let status: RolloutStatus;
  if (fresh) {
    // Waves stage an update of running pods; a first start (nothing older runs) goes at once.
    const staged = n > 1 && t.oldOnline + (t.pending - t.pendingUpdated) > 0;
    const wave = staged ? 1 : n;
    status = { revision, phase: 'Progressing', wave, waves: n, ...counts, waveStartedAt: iso(now) };
    if (staged) events.push(waveStarted(revision, 1, n, waveSize(waves, 1, target)));
  } else {
    status = { ...previous, ...counts, waves: n, wave: Math.min(previous.wave, n) };
    delete status.message;
  }

  // Settled: only the counts move until the next revision.
  if (!fresh && (status.phase === 'Complete' || status.phase === 'Failed' || status.phase === 'RolledBack')) {
    if (status.phase === 'Complete') {
      if (t.pending > 0) status.message = `rolled out${pendingNote}`;
      return { status, updatedCap: target, events };
    }
    if (previous?.message !== undefined) status.message = previous.message;
    return { status, updatedCap: t.updated, events };
  }

  if (spec.paused === true) {
    const wasPaused = !fresh && previous.phase === 'Paused';
    status.phase = 'Paused';
    status.message = `paused at wave ${status.wave} of ${n}: flotilla rollout resume continues it`;
    if (!wasPaused) events.push({ type: 'Normal', reason: 'RolloutPaused', message: `revision ${revision} ${status.message}` });
    return { status, updatedCap: t.updated, events };
  }

  if (overThreshold(strategy.failureThreshold, t.failed, t.updated)) {
    const why = failureText(t, strategy.failureThreshold);
    status.phase = 'Failed';
    delete status.pausedUntil;
    delete status.waveSucceededAt;
    status.message = `revision ${revision} failed in wave ${status.wave} of ${n}: ${why}`;
    events.push({ type: 'Warning', reason: 'RolloutFailed', message: status.message });
    const decision: RolloutDecision = { status, updatedCap: t.updated, events };
    if (strategy.rollbackOnFailure === true) {
      if (input.previousRevision === undefined) {
        status.message += '; there is no earlier revision to roll back to';
      } else {
        status.phase = 'RolledBack';
        status.rolledBackFrom = revision;
        status.message += `; rolled back to revision ${input.previousRevision}`;
        decision.rollbackTo = input.previousRevision;
        events.push({ type: 'Warning', reason: 'RolledBack', message: `rolling back from revision ${revision} to revision ${input.previousRevision}: ${why}` });
      }
    }
    return decision;
  }

  // Each wave is at most succeeded, then left: 2n steps at most.
  for (let step = 0; step <= 2 * n; step++) {
    const k = status.wave;
    if (status.waveSucceededAt !== undefined && k < n) {
      const pause = waves[k - 1]?.pause;
      const resumed = input.resumed !== undefined && input.resumed.revision === revision && input.resumed.wave >= k;
      if (pause !== undefined && !resumed) {
        if (pause.seconds === undefined) {
          status.phase = 'Paused';
          delete status.pausedUntil;
          status.message = `wave ${k} of ${n} done: flotilla rollout resume starts wave ${k + 1}${pendingNote}`;
          return withRequeue({ status, updatedCap: capAt(k), events }, requeue());
        }
        const until = Date.parse(status.waveSucceededAt) + pause.seconds * 1000;
        if (now < until) {
          status.phase = 'Paused';
          status.pausedUntil = iso(until);
          status.message = `wave ${k} of ${n} done: wave ${k + 1} starts in ${seconds(until - now)}${pendingNote}`;
          return withRequeue({ status, updatedCap: capAt(k), events }, requeue(until));
        }
      }
      status.wave = k + 1;
      status.phase = 'Progressing';
      status.waveStartedAt = iso(now);
      delete status.waveSucceededAt;
      delete status.pausedUntil;
      events.push(waveStarted(revision, k + 1, n, waveSize(waves, k + 1, target)));
      continue;
    }

    status.phase = 'Progressing';
    delete status.pausedUntil;
    delete status.waveSucceededAt;
    // Pods that cannot be counted on now (offline, or failed within the threshold) are not needed.
    const need = Math.max(0, Math.min(waveSize(waves, k, target), target - t.pending - tolerated));
    const last = k >= n;
    if (t.available >= need && (!last || t.oldOnline === 0)) {
      if (last) {
        status.phase = 'Complete';
        if (t.pending > 0) status.message = `rolled out${pendingNote}`;
        const failedNote = t.failed > 0 ? `; ${plural(t.failed, 'pod')} failed within the threshold` : '';
        events.push({ type: 'Normal', reason: 'RolloutComplete', message: `revision ${revision} rolled out: ${t.available} of ${plural(target, 'pod')} available${failedNote}${pendingNote}` });
        return { status, updatedCap: target, events };
      }
      status.waveSucceededAt = iso(now);
      events.push({ type: 'Normal', reason: 'WaveSucceeded', message: `revision ${revision}: wave ${k} of ${n} succeeded: ${plural(t.available, 'pod')} updated and available` });
      continue;
    }
    const minReady = spec.minReadySeconds ? ` (Ready for ${spec.minReadySeconds}s)` : '';
    const waiting = t.available >= need ? `; waiting for ${plural(t.oldOnline, 'old pod')} to go` : '';
    const failedNote = t.failed > 0 ? `; ${t.failed} failed: ${t.failures.join(', ')}` : '';
    status.message = `wave ${k} of ${n}: ${t.available} of ${need} pods updated and available${minReady}${waiting}${failedNote}${pendingNote}`;
    return withRequeue({ status, updatedCap: capAt(k), events }, requeue());
  }
  return { status, updatedCap: capAt(status.wave), events };
}

function waveStarted(revision: number, k: number, n: number, size: number): RolloutEvent {
  return { type: 'Normal', reason: 'WaveStarted', message: `revision ${revision}: wave ${k} of ${n} started: up to ${plural(size, 'pod')}` };
}

function withRequeue(decision: RolloutDecision, afterMs: number | undefined): RolloutDecision {
  if (afterMs !== undefined) decision.requeueAfterMs = afterMs;
  return decision;
}
