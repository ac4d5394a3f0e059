import t from 'tap';
import { create, NAME } from '../../../../../hub/scheduler/plugins/device-platform/index.js';
import { create as createSelector } from '../../../../../hub/scheduler/plugins/device-selector/index.js';
import { Status } from '../../../../../hub/scheduler/framework.js';
import { device, filterOn, pod, preFilterOn } from '../../fixtures.js';

const pi = device('pi', { platform: { arch: 'arm64', os: 'linux' } });
const nuc = device('nuc', { platform: { arch: 'amd64', os: 'linux' } });
const oldPi = device('old-pi', { platform: { arch: 'armv7l', os: 'linux' } });
const silent = device('silent');

t.test('is registered under the name device-platform', async (t) => {
  t.equal(create().name, NAME);
  t.equal(NAME, 'device-platform');
});

t.test("lets a pod that asks for kubernetes.io/arch onto a device whose agent reports that architecture", async (t) => {
  const arm = pod('web', { nodeSelector: { 'kubernetes.io/arch': 'arm64' } });
  t.equal(filterOn(create(), arm, pi).code, 'Success');
});

t.test('keeps it off a device of another architecture, saying what the device is and what the pod wants', async (t) => {
  const status = filterOn(create(), pod('web', { nodeSelector: { 'kubernetes.io/arch': 'arm64' } }), nuc);
  t.equal(status.code, 'UnschedulableAndUnresolvable');
  t.same(status.reasons, ['device is linux/amd64, not kubernetes.io/arch=arm64']);
});

t.test("judges the device's report, not a label someone put on it", async (t) => {
  const mislabelled = device('nuc-2', { labels: { 'kubernetes.io/arch': 'arm64', 'flotilla.io/arch': 'arm64' }, platform: { arch: 'amd64', os: 'linux' } });
  t.equal(filterOn(create(), pod('web', { nodeSelector: { 'flotilla.io/arch': 'arm64' } }), mislabelled).code, 'UnschedulableAndUnresolvable');
});

t.test('reads the names engines and Node.js use as Kubernetes names them, on either side', async (t) => {
  const plugin = create();
  t.equal(filterOn(plugin, pod('web', { nodeSelector: { 'kubernetes.io/arch': 'arm' } }), oldPi).code, 'Success', 'armv7l is arm');
  t.equal(filterOn(plugin, pod('web', { nodeSelector: { 'kubernetes.io/arch': 'x86_64' } }), nuc).code, 'Success', 'x86_64 is amd64');
  t.equal(filterOn(plugin, pod('web', { nodeSelector: { 'kubernetes.io/arch': 'amd64' } }), device('x', { platform: { arch: 'x64', os: 'Linux' } })).code, 'Success');
});

t.test('takes set-based requirements on arch and OS in the deviceSelector, and the beta and flotilla.io keys', async (t) => {
  const plugin = create();
  t.equal(filterOn(plugin, pod('web', { deviceSelector: 'kubernetes.io/arch in (arm64,arm)' }), oldPi).code, 'Success');
  t.equal(filterOn(plugin, pod('web', { deviceSelector: 'kubernetes.io/arch notin (arm64,arm)' }), pi).code, 'UnschedulableAndUnresolvable');
  t.equal(filterOn(plugin, pod('web', { nodeSelector: { 'beta.kubernetes.io/os': 'linux' } }), pi).code, 'Success');
  t.same(filterOn(plugin, pod('web', { nodeSelector: { 'flotilla.io/os': 'windows' } }), pi).reasons, ['device is linux/arm64, not flotilla.io/os=windows']);
});

t.test('keeps a pod that asks for a platform off a device that has not reported one', async (t) => {
  t.same(filterOn(create(), pod('web', { nodeSelector: { 'kubernetes.io/os': 'linux' } }), silent).reasons, ['device has not reported its architecture and OS yet']);
});

t.test('is skipped for a pod that asks for no platform, whatever else it selects', async (t) => {
  t.equal(preFilterOn(create(), pod('web', { deviceSelector: 'role=camera' }), [pi, nuc]), Status.skip());
});

t.test('names exactly the devices of the platform asked for before any device is looked at', async (t) => {
  const answer = preFilterOn(create(), pod('web', { nodeSelector: { 'kubernetes.io/arch': 'arm64' } }), [nuc, pi, silent, device('pi-2', { platform: { arch: 'aarch64', os: 'linux' } })]);
  t.same(answer, { devices: ['pi', 'pi-2'], exact: true });
});

t.test('leaves the platform keys to itself: the label filter does not ask devices to carry them as labels', async (t) => {
  const arm = pod('web', { nodeSelector: { 'kubernetes.io/arch': 'arm64', role: 'camera' } });
  const camera = device('cam', { labels: { role: 'camera' }, platform: { arch: 'arm64', os: 'linux' } });
  t.equal(filterOn(createSelector(), arm, camera).code, 'Success', 'the labels part matches');
  t.equal(filterOn(create(), arm, camera).code, 'Success', 'and so does the platform part');
  const sensor = device('sensor', { labels: { role: 'sensor' }, platform: { arch: 'arm64', os: 'linux' } });
  t.same(filterOn(createSelector(), arm, sensor).reasons, ['device does not match role=camera'], 'a label mismatch names the labels only');
});

t.test('refuses a pod whose selector cannot be read, as the label filter does', async (t) => {
  t.match(filterOn(create(), pod('web', { deviceSelector: 'kubernetes.io/arch in (arm64' }), pi).reasons[0], /^deviceSelector .* is invalid at the end/);
});
