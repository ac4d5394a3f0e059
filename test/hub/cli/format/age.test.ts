import t from 'tap';
import { age, humanDuration } from '../../../../hub/cli/format/age.js';

const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;

t.test('durations read like kubectl: seconds up to two minutes, then coarser units', (t) => {
  t.equal(humanDuration(0), '0s');
  t.equal(humanDuration(45 * s), '45s');
  t.equal(humanDuration(119 * s), '119s');
  t.equal(humanDuration(3 * m + 12 * s), '3m12s');
  t.equal(humanDuration(5 * m), '5m');
  t.equal(humanDuration(42 * m), '42m');
  t.equal(humanDuration(4 * h + 5 * m), '4h5m');
  t.equal(humanDuration(20 * h), '20h');
  t.equal(humanDuration(2 * d + 3 * h), '2d3h');
  t.equal(humanDuration(400 * d), '400d');
  t.equal(humanDuration(3 * 365 * d + 10 * d), '3y10d');
  t.end();
});

t.test('a clock slightly ahead reads as now, one far ahead as invalid', (t) => {
  t.equal(humanDuration(-800), '0s');
  t.equal(humanDuration(-5 * s), '<invalid>');
  t.end();
});

t.test('the age of a timestamp is measured from now, and unknown without one', (t) => {
  const now = Date.parse('2026-01-01T12:00:00Z');
  t.equal(age('2026-01-01T11:59:30Z', now), '30s');
  t.equal(age(undefined, now), '<unknown>');
  t.equal(age('yesterday', now), '<unknown>');
  t.end();
});
