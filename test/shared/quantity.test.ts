import t from 'tap';
import type { FlotillaError } from '../../shared/errors.js';
import { cpuProblem, formatCpu, formatMemory, memoryProblem, parseCpu, parseMemory } from '../../shared/quantity.js';
import { invalidMessage } from '../helpers/errors.js';

t.test('CPU reads as millicores from cores, fractions, millis and numbers', async (t) => {
  const cases: [string | number, number][] = [
    ['500m', 500],
    ['1', 1000],
    ['0.5', 500],
    ['.25', 250],
    ['2.', 2000],
    ['1.1', 1100],
    ['0.1', 100],
    ['1500m', 1500],
    ['0', 0],
    ['2k', 2_000_000],
    ['1e-3', 1],
    ['5E2', 500_000],
    [2, 2000],
    [0.5, 500],
    [0.001, 1],
  ];
  for (const [quantity, millis] of cases) t.equal(parseCpu(quantity), millis, `${JSON.stringify(quantity)}`);
});

t.test('CPU finer than a millicore rounds up, as Kubernetes does', async (t) => {
  t.equal(parseCpu('0.0001'), 1);
  t.equal(parseCpu('100u'), 1);
  t.equal(parseCpu('1500000n'), 2);
  t.equal(parseCpu('1.0005'), 1001);
});

t.test('memory reads as bytes from every suffix Kubernetes knows', async (t) => {
  const cases: [string | number, number][] = [
    ['128974848', 128974848],
    ['129e6', 129_000_000],
    ['129E6', 129_000_000],
    ['123Mi', 128974848],
    ['129M', 129_000_000],
    ['1Ki', 1024],
    ['1k', 1000],
    ['1K', 1000],
    ['1Gi', 1024 ** 3],
    ['1G', 1e9],
    ['1Ti', 1024 ** 4],
    ['1T', 1e12],
    ['1Pi', 1024 ** 5],
    ['2E', 2e18],
    ['1Ei', 2 ** 60],
    ['1.5Gi', 1610612736],
    ['0.5Ki', 512],
    ['0', 0],
    [1048576, 1048576],
  ];
  for (const [quantity, bytes] of cases) t.equal(parseMemory(quantity), bytes, `${JSON.stringify(quantity)}`);
});

t.test('fractions of a byte round up', async (t) => {
  t.equal(parseMemory('1.1Gi'), Math.ceil(1.1 * 1024 ** 3));
  t.equal(parseMemory('1.5'), 2);
});

t.test('refuses memory in millis, which is always a slip for megabytes', async (t) => {
  const message = invalidMessage(() => parseMemory('500m'));
  t.match(message, /"500m" is not a valid memory quantity: "m" is a fraction of a byte; for megabytes write "M" .* or "Mi"/);
});

t.test('refuses CPU quantities that are not numbers with a known suffix, showing the accepted forms', async (t) => {
  for (const quantity of ['', 'abc', '1 core', '-1', '500mm', '1.2.3', '1e', 'm', '1e99']) {
    const message = invalidMessage(() => parseCpu(quantity));
    t.match(message, /is not a valid CPU quantity: write cores as "2" or "0.5", or millicores as "500m"/, quantity);
  }
  t.match(invalidMessage(() => parseCpu(-1)), /^-1 is not a valid CPU quantity/);
  t.match(invalidMessage(() => parseCpu(Number.NaN)), /NaN is not a valid CPU quantity/);
});

t.test('refuses memory quantities with unknown suffixes, showing the accepted forms', async (t) => {
  for (const quantity of ['1GB', '1gi', '12 Mi', 'lots', '1MiB']) {
    const message = invalidMessage(() => parseMemory(quantity));
    t.match(message, /is not a valid memory quantity: write bytes as .*"128Mi"/, quantity);
  }
});

t.test('the error names the resource field it is about', async (t) => {
  try {
    parseMemory('lots');
    t.fail('should throw');
  } catch (error) {
    t.equal((error as FlotillaError).details[0]?.field, 'memory');
  }
});

t.test('problem helpers return the message, or undefined for a good quantity', async (t) => {
  t.equal(cpuProblem('250m'), undefined);
  t.match(cpuProblem('fast'), /"fast" is not a valid CPU quantity/);
  t.equal(memoryProblem('64Mi'), undefined);
  t.match(memoryProblem('64 MB'), /"64 MB" is not a valid memory quantity/);
});

t.test('CPU prints as whole cores when it can, else as millicores', async (t) => {
  t.equal(formatCpu(2000), '2');
  t.equal(formatCpu(0), '0');
  t.equal(formatCpu(500), '500m');
  t.equal(formatCpu(1500), '1500m');
  t.equal(parseCpu(formatCpu(1500)), 1500);
});

t.test('memory prints in the largest binary unit that reads well', async (t) => {
  t.equal(formatMemory(512 * 1024 ** 2), '512Mi');
  t.equal(formatMemory(8053063680), '7.5Gi');
  t.equal(formatMemory(1024 ** 3), '1Gi');
  t.equal(formatMemory(1_000_000), '977Ki');
  t.equal(formatMemory(1023.7 * 1024 ** 2), '1Gi');
  t.equal(formatMemory(512), '512');
  t.equal(formatMemory(0), '0');
  t.equal(formatMemory(3 * 1024 ** 4), '3Ti');
  t.equal(parseMemory(formatMemory(256 * 1024 ** 2)), 256 * 1024 ** 2);
});
