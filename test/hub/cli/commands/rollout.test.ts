import t from 'tap';
import { pino } from 'pino';
import { parseWorkload, watchRollout } from '../../../../hub/cli/commands/rollout.js';
import { CliError } from '../../../../hub/cli/errors.js';
import type { RolloutWorkload } from '../../../../hub/cli/format/rollout-status.js';
import { DeploymentController } from '../../../../hub/controllers/deployment/index.js';
import type { Deployment, RolloutStatus } from '../../../../shared/objects.js';
import { startApiServer } from '../../../helpers/api-server.js';
import { runCli } from '../../../helpers/run-cli.js';

t.test('names a workload the ways kubectl does', async (t) => {
  t.same(parseWorkload('deployment/web', undefined), { kind: 'Deployment', name: 'web' });
  t.same(parseWorkload('deploy', 'web'), { kind: 'Deployment', name: 'web' });
  t.same(parseWorkload('deployment.apps/web', undefined), { kind: 'Deployment', name: 'web' });
  t.same(parseWorkload('ds/agent', undefined), { kind: 'DaemonSet', name: 'agent' });
  t.same(parseWorkload('daemonsets', 'agent'), { kind: 'DaemonSet', name: 'agent' });
});

t.test('refuses a kind without rollouts, a missing name and a name given twice, with the forms to use', async (t) => {
  t.throws(() => parseWorkload('pod/web-1', undefined), { message: '"pod" has no rollouts: only deployments and daemonsets do', exitCode: 2 });
  t.throws(() => parseWorkload('deployment', undefined), { message: /the name is missing/, hint: /deployment\/<name>, deploy <name>/ });
  t.throws(() => parseWorkload('deployment/web', 'api'), { message: /"api" is one too many/ });
});

function workload(rollout: RolloutStatus | undefined, generation = 2, observed = 2): RolloutWorkload {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', generation },
    spec: { template: { spec: { containers: [] } } },
    status: { observedGeneration: observed, replicas: 3, updatedReplicas: 0, readyReplicas: 0, availableReplicas: 0, ...(rollout ? { rollout } : {}) },
  };
}

const progressing: RolloutStatus = { revision: 2, phase: 'Progressing', wave: 1, waves: 2, target: 3, updated: 1, ready: 0, failed: 0, pending: 0, message: 'wave 1 of 2: 0 of 1 pods updated and available' };

async function follow(states: RolloutWorkload[], options: { watch?: boolean; timeoutMs?: number } = {}) {
  const lines: string[] = [];
  let reads = 0;
  let clock = 0;
  const result = watchRollout({
    watch: options.watch ?? true,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    intervalMs: 0,
    read: async () => {
      clock += 1000;
      return states[Math.min(reads++, states.length - 1)]!;
    },
    print: (line) => lines.push(line),
    now: () => clock,
  });
  return { lines, result };
}

t.test('status prints each change once and ends well when the rollout completes', async (t) => {
  const { lines, result } = await follow([
    workload(undefined, 2, 1),
    workload(progressing),
    workload(progressing),
    workload({ ...progressing, wave: 2, updated: 3, ready: 3, message: undefined } as RolloutStatus),
    workload({ ...progressing, phase: 'Complete', wave: 2, updated: 3, ready: 3, pending: 1 }),
  ]);
  await t.resolves(result);
  t.same(lines, [
    'Waiting for deployment.apps/web: the hub has not taken up its latest change yet',
    'deployment.apps/web: revision 2, wave 1/2, Progressing: 1/3 updated, 0 ready, 0 failed, 0 pending; wave 1 of 2: 0 of 1 pods updated and available',
    'deployment.apps/web: revision 2, wave 2/2, Progressing: 3/3 updated, 3 ready, 0 failed, 0 pending',
    'deployment.apps/web successfully rolled out (revision 2) (1 of 3 pods wait for Offline devices and update when they return)',
  ]);
});

t.test('status fails naming the failure and what to do when the rollout was rolled back', async (t) => {
  const rolledBack: RolloutStatus = { ...progressing, revision: 3, phase: 'RolledBack', rolledBackFrom: 2, failed: 1, message: 'revision 2 failed in wave 1 of 2: 1 of 1 updated pod failed' };
  const { result } = await follow([workload(progressing), workload(rolledBack)]);
  const error = (await result.then(
    () => undefined,
    (e: unknown) => e,
  )) as CliError;
  t.type(error, CliError);
  t.equal(error.exitCode, 1);
  t.match(error.message, 'deployment.apps/web was rolled back from revision 2: revision 2 failed in wave 1 of 2');
  t.match(error.hint, /fix the template .* flotilla rollout history deployment\/web/);
  const failed = await follow([workload({ ...progressing, phase: 'Failed', message: 'revision 2 failed' })]);
  await t.rejects(failed.result, { message: 'deployment.apps/web rollout failed: revision 2 failed', hint: /flotilla rollout undo deployment\/web/ });
});

t.test('status with --watch=false looks once; --timeout gives up, saying where the rollout stands', async (t) => {
  const once = await follow([workload(progressing), workload({ ...progressing, phase: 'Complete' })], { watch: false });
  await t.resolves(once.result);
  t.equal(once.lines.length, 1);
  const slow = await follow([workload(progressing)], { timeoutMs: 5000 });
  await t.rejects(slow.result, { message: /timed out waiting for the rollout of deployment.apps\/web; where it stands: .*Progressing/ });
});

t.test('the CLI pauses, resumes, lists the history, undoes, and shows the status of a Deployment on a hub', async (t) => {
  const api = await startApiServer();
  t.teardown(() => api.close());
  const controller = new DeploymentController({ store: api.store, events: { record: () => {} }, log: pino({ level: 'silent' }) });
  t.teardown(() => controller.stop());
  const env = { FLOTILLA_SERVER: api.url, FLOTILLA_TOKEN: api.adminToken };
  const deployment = await api.store.create<Deployment>({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: { replicas: 0, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'main', image: 'app:1' }] } } },
  });
  await controller.reconcile('default/web');
  const template = structuredClone(deployment.spec.template);
  template.spec.containers[0]!.image = 'app:2';
  const stored = (await api.store.get('Deployment', 'default', 'web'))!;
  await api.store.update({ ...stored, spec: { ...stored.spec, template } });
  await controller.reconcile('default/web');

  const status = await runCli(['rollout', 'status', 'deployment/web'], { env });
  t.equal(status.code, 0, status.stderr);
  t.equal(status.stdout, 'deployment.apps/web successfully rolled out (revision 2)\n');

  const paused = await runCli(['rollout', 'pause', 'deploy', 'web'], { env });
  t.equal(paused.stdout, 'deployment.apps/web paused\n');
  t.equal((await api.store.get('Deployment', 'default', 'web'))?.spec.paused, true);
  const resumed = await runCli(['rollout', 'resume', 'deploy/web'], { env });
  t.equal(resumed.stdout, 'deployment.apps/web resumed\n');

  const history = await runCli(['rollout', 'history', 'deployment/web'], { env });
  t.equal(history.code, 0, history.stderr);
  t.match(history.stdout, /^deployment\.apps\/web \(current revision 2\)\nREVISION\s+IMAGES\s+AGE\s+CHANGE-CAUSE\n1\s+app:1\s+\S+\s+<none>\n2\s+app:2\s+/);
  const detail = await runCli(['rollout', 'history', 'deployment/web', '--revision', '1'], { env });
  t.match(detail.stdout, /deployment\.apps\/web with revision #1\nPod Template:\n  Labels:\s+app=web\n  Containers:\n    main:\n      Image:\s+app:1/);

  const undone = await runCli(['rollout', 'undo', 'deployment/web'], { env });
  t.equal(undone.stdout, 'deployment.apps/web rolled back to revision 1\n');
  t.equal((await api.store.get('Deployment', 'default', 'web'))?.spec.template.spec.containers[0]?.image, 'app:1');
  const missing = await runCli(['rollout', 'undo', 'deployment/web', '--to-revision', '7'], { env });
  t.equal(missing.code, 1);
  t.match(missing.stderr, /error: deployment default\/web has no revision 7 \(it has 1, 2\)/);
});
