import t from 'tap';
import { capacityAmounts, podRequest } from '../../../hub/scheduler/resources.js';
import type { Pod } from '../../../shared/objects.js';
import { pod } from './fixtures.js';

t.test("sums the requests of a pod's containers", async (t) => {
  const p = pod('web', { requests: { cpu: '250m', memory: '64Mi' } });
  p.spec.containers.push({ name: 'sidecar', image: 'envoy', resources: { requests: { cpu: '0.5', memory: '32Mi' } } });
  t.same(podRequest(p), { cpuMillis: 750, memoryBytes: 96 * 2 ** 20 });
});

t.test('takes the limit for a resource a container only limits, resource by resource', async (t) => {
  const p = pod('web', { requests: { cpu: '100m' }, limits: { cpu: '1', memory: '1Gi' } });
  t.same(podRequest(p), { cpuMillis: 100, memoryBytes: 2 ** 30 });
});

t.test('asks for nothing when no container states resources', async (t) => {
  t.same(podRequest(pod('web')), { cpuMillis: 0, memoryBytes: 0 });
});

t.test('names the pod and the field of an unreadable quantity', async (t) => {
  const p: Pod = pod('web', { namespace: 'shop' });
  p.spec.containers.push({ name: 'b', image: 'x', resources: { limits: { memory: '12 apples' } } });
  t.throws(() => podRequest(p), {
    code: 'Invalid',
    message: /^pod shop\/web is invalid: spec\.containers\[1\]\.resources\.limits\.memory: /,
    details: [{ field: 'spec.containers[1].resources.limits.memory' }],
  });
});

t.test('reads a device capacity, refusing a fractional pod count', async (t) => {
  t.same(capacityAmounts({ cpu: '2', memory: '1G', pods: 10 }), { cpuMillis: 2000, memoryBytes: 1e9, pods: 10 });
  t.throws(() => capacityAmounts({ cpu: '2', memory: '1G', pods: 1.5 }), { code: 'Invalid', details: [{ field: 'status.capacity.pods' }] });
});
