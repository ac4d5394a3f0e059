import t from 'tap';
import { canonicalArch, podSelection, type PodSelection } from '../../../hub/scheduler/pod-selection.js';
import { Status } from '../../../hub/scheduler/framework.js';
import { pod } from './fixtures.js';

const selected = (value: PodSelection | Status): PodSelection => {
  if (value instanceof Status) throw new Error(value.toString());
  return value;
};

t.test("splits a pod's selectors into its label part and its platform part", async (t) => {
  const selection = selected(podSelection(pod('web', { nodeSelector: { 'kubernetes.io/arch': 'arm64', site: 'a' }, deviceSelector: 'role=camera,kubernetes.io/os in (linux)' })));
  t.equal(selection.labels?.toString(), 'role=camera,site=a');
  t.equal(selection.platform?.toString(), 'kubernetes.io/arch=arm64,kubernetes.io/os in (linux)');
});

t.test('selects nothing for a pod without selectors, and no platform for one without platform keys', async (t) => {
  t.same(podSelection(pod('web')), { labels: null, platform: null });
  t.equal(selected(podSelection(pod('web', { deviceSelector: 'role=camera' }))).platform, null);
  t.equal(selected(podSelection(pod('web', { nodeSelector: { 'flotilla.io/arch': 'amd64' } }))).labels, null);
});

t.test('hands pods with the same selectors the same selector objects', async (t) => {
  const a = selected(podSelection(pod('web-1', { nodeSelector: { role: 'camera' }, deviceSelector: 'site=a' })));
  const b = selected(podSelection(pod('web-2', { nodeSelector: { role: 'camera' }, deviceSelector: 'site=a' })));
  t.equal(a.labels, b.labels);
});

t.test('writes platform values in Kubernetes names', async (t) => {
  t.equal(selected(podSelection(pod('web', { nodeSelector: { 'kubernetes.io/arch': 'aarch64' } }))).platform?.toString(), 'kubernetes.io/arch=arm64');
  t.same(['x64', 'x86_64', 'AARCH64', 'armv7l', 'armv6l', 'ia32', 'riscv64'].map(canonicalArch), ['amd64', 'amd64', 'arm64', 'arm', 'arm', '386', 'riscv64']);
});

t.test('turns an unreadable selector into a refusal saying where it breaks', async (t) => {
  const status = podSelection(pod('web', { deviceSelector: 'site in (a' }));
  t.ok(status instanceof Status);
  t.match((status as Status).reasons[0], /^deviceSelector "site in \(a" is invalid at the end: /);
  const bad = podSelection(pod('web', { nodeSelector: { 'bad key': 'x' } }));
  t.match((bad as Status).reasons[0], /^nodeSelector is invalid: /);
});
