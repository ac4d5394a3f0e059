import t from 'tap';
import { daemonFitConfig } from '../../../../hub/controllers/daemonset/fit.js';
import { daemonTolerations, placementOn, type DaemonSelection } from '../../../../hub/controllers/daemonset/placement.js';
import type { Device, Taint } from '../../../../shared/objects.js';

function device(taints: Taint[] = [], state: 'Ready' | 'Offline' = 'Ready'): Device {
  return { apiVersion: 'flotilla.io/v1', kind: 'Device', metadata: { name: 'cam-1', labels: { role: 'camera' } }, spec: { taints }, status: { state } };
}

const everywhere = (tolerations = daemonTolerations(undefined)): DaemonSelection => ({ mismatch: () => undefined, tolerations });

t.test('every daemon pod tolerates the unreachable taint for ever, unless its template already does', async (t) => {
  t.same(daemonTolerations(undefined), [{ key: 'flotilla.io/unreachable', operator: 'Exists', effect: 'NoExecute' }]);
  const limited = [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists' as const, effect: 'NoExecute' as const, tolerationSeconds: 300 }];
  t.equal(daemonTolerations(limited).length, 2, 'a toleration with a limit gets the unlimited one beside it');
  const forever = [{ operator: 'Exists' as const }];
  t.same(daemonTolerations(forever), forever, 'a template that tolerates everything needs nothing more');
});

t.test('an Offline device keeps and gets its daemon pod: the unreachable taint is tolerated', async (t) => {
  t.same(placementOn(device([], 'Offline'), everywhere()), { shouldRun: true, shouldContinueRunning: true });
  t.match(placementOn(device([], 'Offline'), everywhere([])), { shouldRun: false, shouldContinueRunning: false }, 'without the toleration it would go');
});

t.test('a device the template does not ask for runs nothing of it, saying why', async (t) => {
  const placement = placementOn(device(), { mismatch: () => 'labels do not match selector role=sensor', tolerations: [] });
  t.same(placement, { shouldRun: false, shouldContinueRunning: false, reason: 'labels do not match selector role=sensor' });
});

t.test('NoSchedule keeps new pods off but lets a running one stay; NoExecute removes it, naming the taint', async (t) => {
  t.same(placementOn(device([{ key: 'lab', effect: 'NoSchedule' }]), everywhere()), {
    shouldRun: false,
    shouldContinueRunning: true,
    reason: 'device has the taint lab:NoSchedule, which the pod does not tolerate',
  });
  t.match(placementOn(device([{ key: 'lab', effect: 'NoSchedule' }, { key: 'broken', value: 'disk', effect: 'NoExecute' }]), everywhere()), {
    shouldContinueRunning: false,
    reason: /broken=disk:NoExecute/,
  });
});

t.test("the fit check runs the hub's filters less those about the device's state and the selection, with their arguments only", async (t) => {
  const config = daemonFitConfig({
    filters: ['node-name', 'device-selector', 'device-platform', 'device-ready', 'taint-toleration', 'device-pressure', 'pods-per-device', 'resources-fit'],
    pluginArgs: { 'pods-per-device': { max: 2 }, 'label-spread': { topologyKey: 'site' } },
  });
  t.same(config.filters, ['pods-per-device', 'resources-fit']);
  t.same(config.pluginArgs, { 'pods-per-device': { max: 2 } });
  t.same(config.scores, []);
});
