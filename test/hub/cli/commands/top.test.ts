import t from 'tap';
import { runCli } from '../../../helpers/run-cli.js';
import { startApiServer } from '../../../helpers/api-server.js';

t.test('top refuses what it cannot show before asking the hub, as a usage error', async (t) => {
  const things = await runCli(['top', 'deployments']);
  t.equal(things.code, 2);
  t.match(things.stderr, /top shows devices or pods, not "deployments"/);
  const sort = await runCli(['top', 'pods', '--sort-by', 'disk']);
  t.equal(sort.code, 2);
  t.match(sort.stderr, /invalid --sort-by "disk": sort by cpu or memory/);
  const selector = await runCli(['top', 'devices', '-l', 'site in (a']);
  t.equal(selector.code, 2);
  t.match(selector.stderr, /invalid -l "site in \(a"/);
});

t.test("top devices shows the hub's live figures of the devices the selector picks", async (t) => {
  const api = await startApiServer();
  t.teardown(() => api.close());
  for (const [name, site] of [['cam-1', 'a'], ['cam-2', 'b']] as const) {
    await api.store.create({ apiVersion: 'flotilla.io/v1', kind: 'Device', metadata: { name, labels: { site } }, status: { state: 'Ready' } });
  }
  api.usage.set('cam-1', { cpuPercent: 37, memoryUsedBytes: 512 * 1024 ** 2, memoryTotalBytes: 2 * 1024 ** 3 });
  const top = await runCli(['top', 'devices', '-l', 'site=a'], { env: { FLOTILLA_SERVER: api.url, FLOTILLA_TOKEN: api.adminToken } });
  t.equal(top.code, 0, top.stderr);
  t.match(top.stdout, /^NAME\s+CPU%\s+MEMORY\s+MEMORY%/);
  t.match(top.stdout, /\ncam-1\s+37%\s+512Mi\s+25%\s/);
  t.notMatch(top.stdout, /cam-2/);
  const none = await runCli(['top', 'devices', '-l', 'site=z'], { env: { FLOTILLA_SERVER: api.url, FLOTILLA_TOKEN: api.adminToken } });
  t.equal(none.code, 0);
  t.equal(none.stderr, 'No devices match site=z\n');
});
