import t from 'tap';
import { create, NAME, taintsOf } from '../../../../../hub/scheduler/plugins/taint-toleration/index.js';
import { Status } from '../../../../../hub/scheduler/framework.js';
import { device, filterOn, pod, preFilterOn } from '../../fixtures.js';

const gpu = device('gpu-1', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] });
const plain = device('plain');

t.test('is registered under the name taint-toleration', async (t) => {
  t.equal(create().name, NAME);
  t.equal(NAME, 'taint-toleration');
});

t.test('keeps a pod without a matching toleration off a tainted device, naming the taint', async (t) => {
  const status = filterOn(create(), pod('web'), gpu);
  t.equal(status.code, 'UnschedulableAndUnresolvable');
  t.same(status.reasons, ['device has the taint dedicated=gpu:NoSchedule, which the pod does not tolerate']);
});

t.test('lets a pod onto a tainted device when it tolerates the taint, by value or by key alone', async (t) => {
  const plugin = create();
  t.equal(filterOn(plugin, pod('ml', { tolerations: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }), gpu).code, 'Success');
  t.equal(filterOn(plugin, pod('ml', { tolerations: [{ key: 'dedicated', operator: 'Exists' }] }), gpu).code, 'Success');
  t.equal(filterOn(plugin, pod('any', { tolerations: [{ operator: 'Exists' }] }), gpu).code, 'Success', 'an empty key with Exists tolerates everything');
});

t.test('does not count a toleration of another value or another effect', async (t) => {
  const plugin = create();
  t.equal(filterOn(plugin, pod('ml', { tolerations: [{ key: 'dedicated', value: 'vision' }] }), gpu).code, 'UnschedulableAndUnresolvable');
  t.equal(filterOn(plugin, pod('ml', { tolerations: [{ key: 'dedicated', value: 'gpu', effect: 'NoExecute' }] }), gpu).code, 'UnschedulableAndUnresolvable');
});

t.test('keeps pods off a device with a NoExecute taint too unless they tolerate it', async (t) => {
  const quarantined = device('q', { taints: [{ key: 'quarantine', effect: 'NoExecute' }] });
  t.equal(filterOn(create(), pod('web'), quarantined).code, 'UnschedulableAndUnresolvable');
  t.equal(filterOn(create(), pod('web', { tolerations: [{ key: 'quarantine', operator: 'Exists', effect: 'NoExecute' }] }), quarantined).code, 'Success');
});

t.test("gives an Offline device the hub's unreachable taint, which Kubernetes' name for it tolerates too", async (t) => {
  const offline = device('off', { state: 'Offline' });
  t.same(taintsOf(offline), [{ key: 'flotilla.io/unreachable', effect: 'NoExecute' }]);
  t.same(taintsOf(plain), []);
  t.same(filterOn(create(), pod('web'), offline).reasons, ['device has the taint flotilla.io/unreachable:NoExecute, which the pod does not tolerate']);
  const tolerant = pod('web', { tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' }] });
  t.equal(filterOn(create(), tolerant, offline).code, 'Success');
});

t.test('lets any pod onto a device without taints', async (t) => {
  t.equal(filterOn(create(), pod('web'), plain).code, 'Success');
});

t.test('is skipped for a fleet in which no device is tainted', async (t) => {
  t.equal(preFilterOn(create(), pod('web'), [plain, device('other')]), Status.skip());
});

t.test('names the devices a pod may use, the same list for every pod with the same tolerations', async (t) => {
  const plugin = create();
  const fleet = [gpu, plain, device('z')];
  t.same(preFilterOn(plugin, pod('web'), fleet), { devices: ['plain', 'z'], exact: true });
  t.equal(preFilterOn(plugin, pod('ml', { tolerations: [{ key: 'dedicated', operator: 'Exists' }] }), fleet), Status.skip(), 'a pod that tolerates every taint there is asks no device');
});

t.test('gives every device refused for one taint the same status, so a large fleet costs no allocations per device', async (t) => {
  const plugin = create();
  t.equal(filterOn(plugin, pod('a'), gpu), filterOn(plugin, pod('b'), device('gpu-2', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] })));
});
