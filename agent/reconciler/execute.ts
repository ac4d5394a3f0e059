/**
 * Runs the planner's steps against the engine. Each failure is remembered on the container
 * (shown as its waiting reason) instead of thrown: one broken pod never stops the others.
 * It answers which containers the steps touched, so the reconciler looks again at those
 * alone rather than at every container on the device, and tells what happened as events:
 * containers started and restarted, and failures, each failure once until it changes (a
 * pull retried every few seconds while offline must not fill the outbox).
 */
import type { Logger } from '../../shared/log.js';
import type { ContainerRuntime, PullPolicy } from '../runtime/runtime.js';
import type { LocalState } from '../state/local-state.js';
import { containerNameOfKey, createSpec } from './containers.js';
import type { Step } from './plan.js';

/** Tells an event about the pod of the container `key` (`uid/container`). */
export type ContainerEventReporter = (key: string, type: 'Normal' | 'Warning', reason: string, message: string) => void;

export interface ExecuteContext {
  device: string;
  runtime: ContainerRuntime;
  state: LocalState;
  log: Logger;
  report?: ContainerEventReporter;
}

/** The containers the steps acted on, by engine id. */
export interface Touched {
  /** Created, started, or a removal that may have got only part way: their state is new. */
  changed: string[];
  /** Gone from the engine. */
  removed: string[];
}

/** What one step did: the id of the container it acted on, if it got that far. */
type Effect = { changed: string } | { removed: string } | undefined;

type Executor<A extends Step['action']> = (ctx: ExecuteContext, step: Extract<Step, { action: A }>) => Promise<Effect>;

const executors: { [A in Step['action']]: Executor<A> } = {
  async create(ctx, { key, pod, container }) {
    const policy = (container.imagePullPolicy || 'IfNotPresent') as PullPolicy;
    try {
      await ctx.runtime.ensureImage(container.image, policy);
    } catch (error) {
      const reason = policy === 'Never' ? 'ErrImageNeverPull' : 'ErrImagePull';
      if (policy !== 'Always' || !(await imagePresent(ctx, container.image))) return fail(ctx, key, reason, error);
      // A registry out of reach must not keep a pod down whose image the device has.
      const message = `pulling image ${container.image} failed (${errorMessage(error)}); starting container ${container.name} from the copy on the device`;
      ctx.log.warn({ container: key, image: container.image, err: errorMessage(error) }, 'image pull failed; using the image on the device');
      ctx.report?.(key, 'Warning', 'PullFailedUsingLocalImage', message);
    }
    let id: string;
    try {
      id = await ctx.runtime.create(createSpec(ctx.device, pod, container));
    } catch (error) {
      return fail(ctx, key, 'CreateContainerError', error);
    }
    try {
      await ctx.runtime.start(id);
      ctx.state.updateContainer(key, { lastError: undefined });
      ctx.log.info({ pod: `${pod.namespace}/${pod.name}`, container: container.name }, 'container started');
      ctx.report?.(key, 'Normal', 'Started', `started container ${container.name}`);
    } catch (error) {
      fail(ctx, key, 'RunContainerError', error);
    }
    return { changed: id };
  },

  async start(ctx, { key, id }) {
    try {
      await ctx.runtime.start(id);
      ctx.state.updateContainer(key, { lastError: undefined });
      ctx.report?.(key, 'Normal', 'Started', `started container ${containerNameOfKey(key)}`);
    } catch (error) {
      fail(ctx, key, 'RunContainerError', error);
    }
    return { changed: id };
  },

  async restart(ctx, { key, id, backOffMs }) {
    const memory = ctx.state.container(key);
    // Counted before the attempt: a start that fails is still a restart the user should see.
    ctx.state.updateContainer(key, { restartCount: memory.restartCount + 1 });
    try {
      await ctx.runtime.start(id);
      ctx.state.updateContainer(key, { lastError: undefined });
      ctx.log.info({ container: key, restartCount: memory.restartCount }, 'container restarted');
      const after = backOffMs === undefined ? '' : ` after ${Math.ceil(backOffMs / 1000)}s back-off`;
      ctx.report?.(key, 'Normal', 'Restarted', `restarted container ${containerNameOfKey(key)}${after} (restart ${memory.restartCount})`);
    } catch (error) {
      fail(ctx, key, 'RunContainerError', error);
    }
    return { changed: id };
  },

  async remove(ctx, { id, name, graceSeconds, reason }) {
    try {
      await ctx.runtime.stop(id, graceSeconds);
      await ctx.runtime.remove(id);
      ctx.log.info({ container: name, reason }, 'container removed');
      return { removed: id };
    } catch (error) {
      ctx.log.warn({ container: name, err: (error as Error).message }, 'container removal failed; retrying on the next pass');
      return { changed: id };
    }
  },

  async wait() {
    // Nothing to do now: the reconciler wakes when the back-off ends.
    return undefined;
  },
};

function fail(ctx: ExecuteContext, key: string, reason: string, error: unknown): undefined {
  const message = errorMessage(error);
  const before = ctx.state.container(key).lastError;
  ctx.state.updateContainer(key, { lastError: { reason, message } });
  ctx.log.warn({ container: key, reason, err: message }, 'container step failed');
  if (before?.reason !== reason || before.message !== message) ctx.report?.(key, 'Warning', 'Failed', `${reason}: ${message}`);
  return undefined;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Whether the engine has the image already: the policy Never pulls nothing, so it only looks. */
async function imagePresent(ctx: ExecuteContext, image: string): Promise<boolean> {
  try {
    await ctx.runtime.ensureImage(image, 'Never');
    return true;
  } catch {
    return false;
  }
}

function run(ctx: ExecuteContext, step: Step): Promise<Effect> {
  const executor = executors[step.action] as Executor<Step['action']>;
  return executor(ctx, step);
}

/** Stops and removes a container on its own, for a removal nothing in the plan waits for. */
export async function removeContainer(ctx: ExecuteContext, step: Extract<Step, { action: 'remove' }>): Promise<void> {
  await run(ctx, step);
}

/** Removals first (they free names and ports), then everything else side by side. */
export async function execute(ctx: ExecuteContext, steps: readonly Step[]): Promise<Touched> {
  const effects = [
    ...(await Promise.all(steps.filter((s) => s.action === 'remove').map((s) => run(ctx, s)))),
    ...(await Promise.all(steps.filter((s) => s.action !== 'remove').map((s) => run(ctx, s)))),
  ];
  const touched: Touched = { changed: [], removed: [] };
  for (const effect of effects) {
    if (effect === undefined) continue;
    if ('removed' in effect) touched.removed.push(effect.removed);
    else touched.changed.push(effect.changed);
  }
  return touched;
}
