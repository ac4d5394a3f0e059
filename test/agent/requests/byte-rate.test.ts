import t from 'tap';
import { ByteRate } from '../../../agent/requests/byte-rate.js';

t.test('a second of bytes goes at once, more waits for the rate to earn it', async (t) => {
  const rate = new ByteRate(10_000);
  const start = Date.now();
  await rate.take(10_000);
  t.ok(Date.now() - start < 100, 'the first second of bytes is not held back');
  await rate.take(5_000);
  const waited = Date.now() - start;
  t.ok(waited >= 450, `the next 5,000 bytes waited about half a second (${waited} ms)`);
});

t.test('takers share the budget in the order they asked', async (t) => {
  const rate = new ByteRate(10_000);
  const order: string[] = [];
  await Promise.all([rate.take(10_000).then(() => order.push('a')), rate.take(2_000).then(() => order.push('b')), rate.take(1).then(() => order.push('c'))]);
  t.same(order, ['a', 'b', 'c']);
});

t.test('a take larger than a second of bytes waits for a full second, not forever', async (t) => {
  const rate = new ByteRate(1_000);
  await rate.take(1_000);
  const start = Date.now();
  await rate.take(50_000);
  t.ok(Date.now() - start < 2_000);
});

t.test('refuses a rate of zero', async (t) => {
  t.throws(() => new ByteRate(0), RangeError);
});
