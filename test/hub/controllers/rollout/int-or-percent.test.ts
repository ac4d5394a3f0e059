import t from 'tap';
import { percentOf, scaledValue } from '../../../../hub/controllers/rollout/int-or-percent.js';

t.test('a share rounds the way the caller asks, as Kubernetes does for surge (up) and unavailability (down)', async (t) => {
  t.equal(scaledValue('25%', 2, true), 1);
  t.equal(scaledValue('25%', 2, false), 0);
  t.equal(scaledValue('25%', 10, true), 3);
  t.equal(scaledValue('25%', 10, false), 2);
  t.equal(scaledValue('10%', 30, true), 3, 'an exact share is not pushed up by floating point');
  t.equal(scaledValue('0.5%', 10_000, true), 50);
});

t.test('a count is taken as it is, and nothing counts as 0', async (t) => {
  t.equal(scaledValue(3, 100, true), 3);
  t.equal(scaledValue(undefined, 100, true), 0);
  t.equal(scaledValue('lots', 100, true), 0);
  t.equal(percentOf('40%'), 40);
  t.equal(percentOf(40), undefined);
});
