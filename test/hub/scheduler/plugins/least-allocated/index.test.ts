import t from 'tap';
import { create, NAME } from '../../../../../hub/scheduler/plugins/least-allocated/index.js';
import { device, pod, scoresOf } from '../../fixtures.js';

const plugin = create();

t.test('is registered under the name least-allocated', async (t) => {
  t.equal(plugin.name, NAME);
  t.equal(NAME, 'least-allocated');
});

t.test("scores by Kubernetes' LeastAllocated formula, counting the pod itself", async (t) => {
  const d = device('pi-1', { capacity: { cpu: '4', memory: '8Gi' } });
  // cpu: (4000 - 1000) * 100 / 4000 = 75; memory: (8Gi - 2Gi) * 100 / 8Gi = 75.
  t.equal(scoresOf(plugin, pod('web', { requests: { cpu: '1', memory: '2Gi' } }), [d]).get('pi-1'), 75);
});

t.test('prefers the device with more room left', async (t) => {
  const devices = [device('busy'), device('idle')];
  const others = [pod('a', { nodeName: 'busy', requests: { cpu: '2', memory: '4Gi' } })];
  const scores = scoresOf(plugin, pod('web', { requests: { cpu: '500m', memory: '512Mi' } }), devices, others);
  t.ok((scores.get('idle') ?? 0) > (scores.get('busy') ?? 0), `idle ${scores.get('idle')} beats busy ${scores.get('busy')}`);
});

t.test('gives the lowest score to a device without reported capacity', async (t) => {
  t.equal(scoresOf(plugin, pod('web'), [device('new', { capacity: null })]).get('new'), 0);
});

t.test('stays within 0..100 on an overcommitted device', async (t) => {
  const others = [pod('hog', { nodeName: 'pi-1', requests: { cpu: '10', memory: '20Gi' } })];
  t.equal(scoresOf(plugin, pod('web'), [device('pi-1')], others).get('pi-1'), 0);
});
