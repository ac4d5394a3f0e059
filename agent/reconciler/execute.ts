/**
 * Runs the planner's steps against the engine. Each failure is remembered on the container
 * (shown as its waiting reason) instead of thrown: one broken pod never stops the others.
 */
import type { Logger } from '../../shared/log.js';
import type { ContainerRuntime, PullPolicy } from '../runtime/runtime.js';
import type { LocalState } from '../state/local-state.js';
import { createSpec } from './containers.js';
import type { Step } from './plan.js';

export interface ExecuteContext {
  device: string;
  runtime: ContainerRuntime;
  state: LocalState;
  log: Logger;
}

type Executor<A extends Step['action']> = (ctx: ExecuteContext, step: Extract<Step, { action: A }>) => Promise<void>;

const executors: { [A in Step['action']]: Executor<A> } = {
  async create(ctx, { key, pod, container }) {
    const policy = (container.imagePullPolicy || 'IfNotPresent') as PullPolicy;
    try {
      await ctx.runtime.ensureImage(container.image, policy);
    } catch (error) {
      const reason = policy === 'Never' ? 'ErrImageNeverPull' : 'ErrImagePull';
      return fail(ctx, key, reason, error);
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
    } catch (error) {
      fail(ctx, key, 'RunContainerError', error);
    }
  },

  async start(ctx, { key, id }) {
    try {
      await ctx.runtime.start(id);
      ctx.state.updateContainer(key, { lastError: undefined });
    } catch (error) {
      fail(ctx, key, 'RunContainerError', error);
    }
  },

  async restart(ctx, { key, id }) {
    const memory = ctx.state.container(key);
    // Counted before the attempt: a start that fails is still a restart the user should see.
    ctx.state.updateContainer(key, { restartCount: memory.restartCount + 1 });
    try {
      await ctx.runtime.start(id);
      ctx.state.updateContainer(key, { lastError: undefined });
      ctx.log.info({ container: key, restartCount: memory.restartCount }, 'container restarted');
    } catch (error) {
      fail(ctx, key, 'RunContainerError', error);
    }
  },

  async remove(ctx, { id, name, graceSeconds, reason }) {
    try {
      await ctx.runtime.stop(id, graceSeconds);
      await ctx.runtime.remove(id);
      ctx.log.info({ container: name, reason }, 'container removed');
    } catch (error) {
      ctx.log.warn({ container: name, err: (error as Error).message }, 'container removal failed; retrying on the next pass');
    }
  },

  async wait() {
    // Nothing to do now: the reconciler wakes when the back-off ends.
  },
};

function fail(ctx: ExecuteContext, key: string, reason: string, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  ctx.state.updateContainer(key, { lastError: { reason, message } });
  ctx.log.warn({ container: key, reason, err: message }, 'container step failed');
}

function run(ctx: ExecuteContext, step: Step): Promise<void> {
  const executor = executors[step.action] as Executor<Step['action']>;
  return executor(ctx, step);
}

/** Removals first (they free names and ports), then everything else side by side. */
export async function execute(ctx: ExecuteContext, steps: readonly Step[]): Promise<void> {
  await Promise.all(steps.filter((s) => s.action === 'remove').map((s) => run(ctx, s)));
  await Promise.all(steps.filter((s) => s.action !== 'remove').map((s) => run(ctx, s)));
}
