import t from 'tap';
import { backoffDelay } from '../../shared/backoff.js';

const OPTIONS = { baseMs: 100, maxMs: 5_000 };

t.test('doubles the delay per attempt, starting from the base', async (t) => {
  t.same(
    [0, 1, 2, 3, 4, 5].map((attempt) => backoffDelay(attempt, OPTIONS)),
    [100, 200, 400, 800, 1_600, 3_200],
  );
});

t.test('never waits longer than the maximum, however many attempts', async (t) => {
  t.equal(backoffDelay(6, OPTIONS), 5_000);
  t.equal(backoffDelay(60, OPTIONS), 5_000);
  t.equal(backoffDelay(5_000, OPTIONS), 5_000);
});

t.test('treats a negative attempt as the first', async (t) => {
  t.equal(backoffDelay(-3, OPTIONS), 100);
});

t.test('without jitter, ignores the random source', async (t) => {
  t.equal(backoffDelay(2, OPTIONS, () => 0.99), 400);
  t.equal(backoffDelay(2, { ...OPTIONS, jitter: 0 }, () => 0.99), 400);
});

t.test('with jitter, draws the delay between (1 - jitter) × the ceiling and the ceiling', async (t) => {
  const jittered = { ...OPTIONS, jitter: 0.5 };
  t.equal(backoffDelay(3, jittered, () => 0), 800, 'the ceiling at one end');
  t.equal(backoffDelay(3, jittered, () => 0.999_999), 400, 'half the ceiling at the other');
  t.equal(backoffDelay(3, jittered, () => 0.5), 600);
  for (let i = 0; i < 1_000; i++) {
    const delay = backoffDelay(i % 10, jittered);
    const ceiling = Math.min(5_000, 100 * 2 ** (i % 10));
    if (delay < ceiling / 2 || delay > ceiling) {
      t.fail(`attempt ${i % 10}: ${delay}ms outside [${ceiling / 2}, ${ceiling}]`);
      return;
    }
  }
  t.pass('1000 random draws within range');
});

t.test('with full jitter, spreads delays over the whole range so a fleet does not reconnect in one wave', async (t) => {
  const delays = Array.from({ length: 2_000 }, () => backoffDelay(10, { ...OPTIONS, jitter: 1 }));
  t.ok(Math.min(...delays) < 500, `some come early (min ${Math.min(...delays)})`);
  t.ok(Math.max(...delays) > 4_500, `some come late (max ${Math.max(...delays)})`);
  t.ok(delays.every((d) => d >= 0 && d <= 5_000));
  t.ok(new Set(delays).size > 100, 'they differ from one another');
});

t.test('returns whole milliseconds', async (t) => {
  t.ok(Number.isInteger(backoffDelay(1, { baseMs: 33, maxMs: 1_000, jitter: 0.3 }, () => 0.123)));
});
