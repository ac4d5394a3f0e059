import t from 'tap';
import { create, NAME } from '../../../../../hub/scheduler/plugins/spread/index.js';
import { device, pod, scoresOf } from '../../fixtures.js';

const plugin = create();
const devices = [device('a'), device('b'), device('c')];

t.test('is registered under the name spread', async (t) => {
  t.equal(plugin.name, NAME);
  t.equal(NAME, 'spread');
});

t.test('prefers devices holding fewer pods of the same owner', async (t) => {
  const others = [
    pod('web-1', { nodeName: 'a', owner: 'dep-web' }),
    pod('web-2', { nodeName: 'a', owner: 'dep-web' }),
    pod('web-3', { nodeName: 'b', owner: 'dep-web' }),
  ];
  const scores = scoresOf(plugin, pod('web-4', { owner: 'dep-web' }), devices, others);
  t.same(Object.fromEntries(scores), { a: 0, b: 50, c: 100 });
});

t.test('ignores pods of other owners', async (t) => {
  const others = [pod('db-1', { nodeName: 'a', owner: 'dep-db' })];
  const scores = scoresOf(plugin, pod('web-1', { owner: 'dep-web' }), devices, others);
  t.same(Object.fromEntries(scores), { a: 100, b: 100, c: 100 });
});

t.test('scores every device alike for a pod without an owner', async (t) => {
  const others = [pod('web-1', { nodeName: 'a', owner: 'dep-web' })];
  t.same(Object.fromEntries(scoresOf(plugin, pod('lonely'), devices, others)), { a: 100, b: 100, c: 100 });
});
