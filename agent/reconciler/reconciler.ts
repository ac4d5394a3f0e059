/**
 * The reconcile loop: observe the engine, plan, execute, report. Level-triggered: whatever
 * woke it (a new desired state, a container that died, a back-off that ended, the resync
 * timer) it converges to the whole desired state, one pass at a time.
 */
import type { Logger } from '../../shared/log.js';
import type { DesiredStateMessage, StatusReportMessage } from '../../shared/proto/codec.js';
import type { ContainerRecord, ContainerRuntime } from '../runtime/runtime.js';
import type { LocalState } from '../state/local-state.js';
import { containerKey } from './containers.js';
import { execute } from './execute.js';
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
}

/** Events close together (a kill, then the engine's die and stop) run as one pass. */
const DEBOUNCE_MS = 50;

export class Reconciler {
  readonly #options: ReconcilerOptions;
  #desired: DesiredStateMessage;
  #running: Promise<void> | undefined;
  #again = false;
  #debounce: NodeJS.Timeout | undefined;
  #wake: NodeJS.Timeout | undefined;
  #resync: NodeJS.Timeout | undefined;
  #stopEvents: (() => void) | undefined;
  #lastReport = '';
  #latest: StatusReportMessage;
  #stopped = false;

  constructor(options: ReconcilerOptions) {
    this.#options = options;
    this.#desired = options.state.document.desired ?? { generation: 0, pods: [] };
    this.#latest = { observedGeneration: this.#desired.generation, pods: [] };
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
        () => this.trigger(),
        (error) => this.#options.log.warn({ err: error.message }, 'engine event stream failed; relying on resync'),
      )
      .catch((error: Error) => {
        this.#options.log.warn({ err: error.message }, 'cannot follow engine events; relying on resync');
        return undefined;
      });
    this.#resync = setInterval(() => this.trigger(), this.#options.resyncMs);
    this.trigger();
  }

  setDesired(desired: DesiredStateMessage): void {
    this.#desired = desired;
    this.#options.state.setDesired(desired);
    this.#options.state.flush();
    this.trigger();
  }

  trigger(): void {
    if (this.#stopped) return;
    clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => void this.#run(), DEBOUNCE_MS);
  }

  /** Runs one pass now and resolves when it (and any pass it queued) is done. */
  async reconcileNow(): Promise<void> {
    await this.#run();
    while (this.#running) await this.#running;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#debounce);
    clearTimeout(this.#wake);
    clearInterval(this.#resync);
    this.#stopEvents?.();
    while (this.#running) await this.#running;
    this.#options.state.flush();
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
    let containers = await this.#observe(runtime);
    const steps = plan({ pods: desired.pods, containers, memory, now: Date.now(), backoff });
    const acting = steps.filter((s) => s.action !== 'wait');
    if (acting.length > 0) {
      await execute({ device, runtime, state, log }, acting);
      containers = await this.#observe(runtime);
    }
    state.retainContainers(new Set(desired.pods.flatMap((p) => p.containers.map((c) => containerKey(p.uid, c.name)))));
    state.flush();
    this.#scheduleWakeFrom(plan({ pods: desired.pods, containers, memory, now: Date.now(), backoff }));

    const report: StatusReportMessage = {
      observedGeneration: desired.generation,
      pods: podStatuses({ pods: desired.pods, containers, memory, now: Date.now(), backoff }),
    };
    this.#latest = report;
    const fingerprint = JSON.stringify(report);
    if (fingerprint !== this.#lastReport) {
      this.#lastReport = fingerprint;
      this.#options.onStatus(report);
    }
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
