/**
 * The reconcile loop: observe the engine, plan, execute, report. Level-triggered: whatever
 * woke it (a new desired state, a container that died, a back-off that ended, the resync
 * timer) it converges to the whole desired state, one pass at a time.
 *
 * A pass costs what changed, not how many containers run: after acting it looks again only
 * at the containers its steps touched, and it lists the engine only when something may have
 * changed behind its back. While engine events are followed, what the last pass saw holds
 * until an event arrives; the resync timer lists anyway, for whatever events could miss.
 */
import type { Logger } from '../../shared/log.js';
import type { DesiredStateMessage, StatusReportMessage } from '../../shared/proto/codec.js';
import type { ContainerRecord, ContainerRuntime } from '../runtime/runtime.js';
import type { LocalState } from '../state/local-state.js';
import { containerKey } from './containers.js';
import { execute, removeContainer, type ExecuteContext, type Touched } from './execute.js';
import { PodEventLog, type PodEventListener } from './pod-events.js';
import { plan, type Step } from './plan.js';
import { podStatuses } from './status.js';

export interface ReconcilerOptions {
  device: string;
  runtime: ContainerRuntime;
  state: LocalState;
  backoff: { baseMs: number; maxMs: number };
  resyncMs: number;
  log: Logger;
  /** Called after a pass whose pod statuses differ from the last ones reported. */
  onStatus: (status: StatusReportMessage) => void;
  /**
   * Told what happens to pods as it happens: containers started, exited, restarted, failures,
   * pods restored from local state. With it, status reports say the hub need infer no events.
   */
  onEvent?: PodEventListener;
}

/**
 * Engine events close together (a kill, then the engine's die and stop) run as one pass. A
 * new desired state does not wait: it is one message, and someone is waiting for its pods.
 */
export const EVENT_DEBOUNCE_MS = 50;

export class Reconciler {
  readonly #options: ReconcilerOptions;
  #desired: DesiredStateMessage;
  #running: Promise<void> | undefined;
  #again = false;
  #debounce: NodeJS.Timeout | undefined;
  #wake: NodeJS.Timeout | undefined;
  #resync: NodeJS.Timeout | undefined;
  #stopEvents: (() => void) | undefined;
  /** True while the engine's event stream is open: only then can a quiet stream vouch for #seen. */
  #followingEvents = false;
  /** Engine events received so far. */
  #events = 0;
  /** The containers as the last pass left them, and the event count when it looked. */
  #seen: { containers: ContainerRecord[]; events: number } | undefined;
  /** Set by the resync timer: the next pass lists the engine whatever the events say. */
  #listDue = true;
  #lastReport = '';
  #latest: StatusReportMessage;
  #stopped = false;
  /**
   * Whether any desired state is known, from local state or the hub. Until one is, the agent
   * touches nothing: containers it finds were started from a state it lost (an unreadable
   * file), and the hub's document, not an empty guess, decides what becomes of them.
   */
  #desiredKnown: boolean;
  readonly #podEvents: PodEventLog | undefined;
  /**
   * Removals running beside the passes, by container id: an old pod's grace period must not
   * hold up its successor, nor the status report that says the successor runs.
   */
  readonly #terminating = new Map<string, Promise<void>>();

  constructor(options: ReconcilerOptions) {
    this.#options = options;
    const remembered = options.state.document.desired;
    this.#desiredKnown = remembered !== undefined;
    this.#desired = remembered ?? { generation: 0, pods: [] };
    this.#podEvents = options.onEvent ? new PodEventLog(options.onEvent, remembered?.pods ?? []) : undefined;
    this.#latest = this.#report(this.#desired.generation, []);
  }

  /** The status of the last pass, for births and reconnects. */
  get status(): StatusReportMessage {
    return this.#latest;
  }

  get desiredGeneration(): number {
    return this.#desired.generation;
  }

  async start(): Promise<void> {
    this.#stopEvents = await this.#options.runtime
      .events(
        () => {
          this.#events++;
          this.trigger();
        },
        (error) => {
          this.#followingEvents = false;
          this.#options.log.warn({ err: error.message }, 'engine event stream failed; relying on resync');
        },
      )
      .catch((error: Error) => {
        this.#options.log.warn({ err: error.message }, 'cannot follow engine events; relying on resync');
        return undefined;
      });
    this.#followingEvents = this.#stopEvents !== undefined;
    // What was seen before the stream opened has no events to vouch for it.
    this.#listDue = true;
    this.#resync = setInterval(() => {
      this.#listDue = true;
      this.trigger();
    }, this.#options.resyncMs);
    this.trigger();
  }

  setDesired(desired: DesiredStateMessage): void {
    this.#desired = desired;
    this.#desiredKnown = true;
    this.#options.state.setDesired(desired);
    this.#options.state.flush();
    if (this.#stopped) return;
    // The pass about to run covers whatever a pending trigger wanted.
    clearTimeout(this.#debounce);
    void this.#run();
  }

  /** Asks for a pass soon; triggers within EVENT_DEBOUNCE_MS of each other make one pass. */
  trigger(): void {
    if (this.#stopped) return;
    clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => void this.#run(), EVENT_DEBOUNCE_MS);
  }

  /** Runs one pass now and resolves when it (and any pass it queued) is done. */
  async reconcileNow(): Promise<void> {
    await this.#run();
    await this.idle();
  }

  /**
   * Resolves once no pass is running or queued to run after it, and no removal is under
   * way; a debounced trigger does not count.
   */
  async idle(): Promise<void> {
    while (this.#running || this.#terminating.size > 0) {
      await Promise.all([this.#running, ...this.#terminating.values()]);
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#debounce);
    clearTimeout(this.#wake);
    clearInterval(this.#resync);
    this.#followingEvents = false;
    this.#stopEvents?.();
    await this.idle();
    this.#options.state.flush();
    await this.#options.state.flushed();
  }

  async #run(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        try {
          await this.#pass();
        } catch (error) {
          this.#options.log.warn({ err: (error as Error).message }, 'reconcile pass failed; retrying');
          this.#scheduleWake(Date.now() + this.#options.backoff.baseMs);
        }
      } while (this.#again && !this.#stopped);
    })();
    try {
      await this.#running;
    } finally {
      this.#running = undefined;
    }
  }

  async #pass(): Promise<void> {
    const { runtime, state, backoff, log, device } = this.#options;
    const desired = this.#desired;
    const memory = (key: string) => state.document.containers[key];
    const events = this.#events;
    // Taken, not peeked: a pass that fails part way leaves nothing to trust.
    const seen = this.#seen;
    this.#seen = undefined;
    let containers: ContainerRecord[];
    if (!this.#listDue && this.#followingEvents && seen !== undefined && seen.events === events) {
      containers = seen.containers;
    } else {
      this.#listDue = false;
      containers = await this.#observe(runtime);
    }
    const told = this.#podEvents;
    const exits = told?.exits(desired.pods, containers, state);
    const steps = this.#desiredKnown ? plan({ pods: desired.pods, containers, memory, now: Date.now(), backoff }) : [];
    if (told && exits) told.backOffs(steps, exits, desired.pods);
    const acting = steps.filter((s) => s.action !== 'wait');
    if (acting.length > 0) {
      told?.restoring(acting, desired.pods);
      const report = told?.reporter(desired.pods);
      const ctx: ExecuteContext = { device, runtime, state, log, ...(report ? { report } : {}) };
      const inPass = await this.#detachRemovals(ctx, acting);
      if (inPass.length > 0) {
        const touched = await execute(ctx, inPass);
        containers = await this.#observeTouched(runtime, containers, touched);
      }
    }
    told?.passDone();
    // Counted from before the look: an event that came during the pass makes the next one list.
    this.#seen = { containers, events };
    if (this.#desiredKnown) state.retainContainers(new Set(desired.pods.flatMap((p) => p.containers.map((c) => containerKey(p.uid, c.name)))));
    state.flush();
    if (this.#desiredKnown) {
      const next = plan({ pods: desired.pods, containers, memory, now: Date.now(), backoff });
      // A removal under way wakes a pass when it ends.
      this.#scheduleWakeFrom(next.filter((s) => s.action !== 'remove' || !this.#terminating.has(s.id)));
    }

    const report = this.#report(desired.generation, podStatuses({ pods: desired.pods, containers, memory, now: Date.now(), backoff }));
    this.#latest = report;
    const fingerprint = JSON.stringify(report);
    if (fingerprint !== this.#lastReport) {
      this.#lastReport = fingerprint;
      this.#options.onStatus(report);
    }
  }

  /**
   * Starts the removals nothing in this pass waits for, and returns the steps the pass runs
   * itself, after any removal already under way that one of them waits for.
   */
  async #detachRemovals(ctx: ExecuteContext, steps: readonly Step[]): Promise<Step[]> {
    const inPass: Step[] = [];
    const awaited: Promise<void>[] = [];
    for (const step of steps) {
      if (step.action !== 'remove') {
        inPass.push(step);
        continue;
      }
      const underWay = this.#terminating.get(step.id);
      if (underWay !== undefined) {
        if (step.blocking) awaited.push(underWay);
        continue;
      }
      if (step.blocking) {
        inPass.push(step);
        continue;
      }
      const removal = removeContainer(ctx, step)
        .catch((error: Error) => this.#options.log.warn({ container: step.name, err: error.message }, 'container removal failed'))
        .finally(() => {
          this.#terminating.delete(step.id);
          // The engine's events say so too; without them only a fresh list shows it gone.
          this.#listDue = true;
          this.trigger();
        });
      this.#terminating.set(step.id, removal);
    }
    await Promise.all(awaited);
    return inPass;
  }

  #report(observedGeneration: number, pods: StatusReportMessage['pods']): StatusReportMessage {
    return {
      observedGeneration,
      pods,
      ...(this.#podEvents ? { deviceEvents: true } : {}),
    };
  }

  /** The engine's containers of this device, with exit details for those that stopped. */
  async #observe(runtime: ContainerRuntime): Promise<ContainerRecord[]> {
    const listed = await runtime.list();
    return Promise.all(
      listed.map(async (record) => {
        if (record.state !== 'exited' && record.state !== 'dead') return record;
        if (record.exitCode !== undefined && record.finishedAt !== undefined) return record;
        return (await runtime.inspect(record.id)) ?? record;
      }),
    );
  }

  /**
   * The containers after the steps: those the steps did not touch as listed before, the
   * touched ones as the engine has them now. Changes the steps did not make arrive as engine
   * events, which wake the next pass.
   */
  async #observeTouched(runtime: ContainerRuntime, before: ContainerRecord[], touched: Touched): Promise<ContainerRecord[]> {
    const stale = new Set([...touched.changed, ...touched.removed]);
    const fresh = await Promise.all([...new Set(touched.changed)].map((id) => runtime.inspect(id)));
    return [...before.filter((record) => !stale.has(record.id)), ...fresh.filter((record): record is ContainerRecord => record !== undefined)];
  }

  #scheduleWakeFrom(steps: Step[]): void {
    const waits = steps.filter((s): s is Extract<Step, { action: 'wait' }> => s.action === 'wait');
    if (waits.length > 0) this.#scheduleWake(Math.min(...waits.map((w) => w.until)));
    else if (steps.length > 0) this.#scheduleWake(Date.now() + this.#options.backoff.baseMs);
  }

  #scheduleWake(at: number): void {
    clearTimeout(this.#wake);
    this.#wake = setTimeout(() => this.trigger(), Math.max(0, at - Date.now()) + 5);
  }

  /** Forget the last report so the next pass sends one even if nothing changed. */
  forgetReported(): void {
    this.#lastReport = '';
  }
}
