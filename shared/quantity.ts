/**
 * Kubernetes resource quantities: `500m` or `0.5` CPU, `128Mi` or `129e6` bytes of memory.
 *
 * A quantity is a non-negative decimal number and a suffix: a binary one (Ki Mi Gi Ti Pi Ei,
 * powers of 1024), a decimal one (n u m k/K M G T P E, powers of 1000), or an exponent
 * (`e6`, `E6`). Arithmetic is exact (BigInt), so "1.1" CPU is 1100 millicores, not 1101.
 * Fractions of the unit returned are rounded up, as Kubernetes does.
 */
import { FlotillaError } from './errors.js';

const CPU_FORMS = 'cores as "2" or "0.5", or millicores as "500m"';
const MEMORY_FORMS =
  'bytes as "134217728" or "129e6", or with a unit: "128Mi", "1Gi", "500M" (Ki Mi Gi Ti Pi Ei, k M G T P E)';

/** CPU in millicores: "500m" → 500, "1" → 1000, "0.5" → 500, 2 → 2000. */
export function parseCpu(quantity: string | number): number {
  const quick = quickParse(quantity, 1000);
  if (quick !== undefined) return quick;
  const parsed = parseQuantity(quantity);
  if (parsed === undefined) throw quantityError('CPU', quantity, `write ${CPU_FORMS}`);
  return Number(ceilDivide(parsed.numerator * 1000n, parsed.denominator));
}

/** Memory in bytes: "123Mi" → 128974848, "129e6" → 129000000, "1k" → 1000. */
export function parseMemory(quantity: string | number): number {
  const quick = quickParse(quantity, 1);
  if (quick !== undefined) return quick;
  const parsed = parseQuantity(quantity);
  if (parsed === undefined) throw quantityError('memory', quantity, `write ${MEMORY_FORMS}`);
  if (SUB_UNIT_SUFFIXES.has(parsed.suffix)) {
    // "500m" of memory is half a byte: valid Kubernetes, and always a slip for "500M" or "500Mi".
    throw quantityError(
      'memory',
      quantity,
      `"${parsed.suffix}" is a fraction of a byte; for megabytes write "M" (10^6 bytes) or "Mi" (2^20 bytes)`,
    );
  }
  return Number(ceilDivide(parsed.numerator, parsed.denominator));
}

/** What is wrong with a CPU quantity, or undefined. */
export function cpuProblem(quantity: string | number): string | undefined {
  return problemOf(() => parseCpu(quantity));
}

/** What is wrong with a memory quantity, or undefined. */
export function memoryProblem(quantity: string | number): string | undefined {
  return problemOf(() => parseMemory(quantity));
}

/** Millicores as Kubernetes writes them: whole cores as "2", the rest as "1500m". */
export function formatCpu(millis: number): string {
  const rounded = Math.round(millis);
  return rounded % 1000 === 0 ? String(rounded / 1000) : `${rounded}m`;
}

const BINARY_UNITS = ['Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'] as const;

/**
 * Bytes for people, in the largest binary unit that keeps the number at least 1: "512Mi",
 * "7.5Gi", "977Ki". Rounded to three significant figures or so, so for tables, not for storage.
 */
export function formatMemory(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 1024) return String(Math.round(bytes));
  let value = bytes;
  let unit = -1;
  while (unit < BINARY_UNITS.length - 1 && value >= 1024) {
    value /= 1024;
    unit += 1;
  }
  let shown = value < 10 ? Math.round(value * 10) / 10 : Math.round(value);
  // 1023.6Mi rounds to 1024Mi: say 1Gi instead.
  if (shown >= 1024 && unit < BINARY_UNITS.length - 1) {
    shown = 1;
    unit += 1;
  }
  return `${shown}${BINARY_UNITS[unit]}`;
}

interface ParsedQuantity {
  /** The quantity's value is numerator / denominator, in units (cores, bytes). */
  numerator: bigint;
  denominator: bigint;
  suffix: string;
}

const NUMBER_AND_SUFFIX = /^(\d+(?:\.\d*)?|\.\d+)(.*)$/;
const EXPONENT = /^[eE]([+-]?\d+)$/;
const SUB_UNIT_SUFFIXES = new Set(['n', 'u', 'm']);
const BINARY_EXPONENT: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL_EXPONENT: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  K: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
// Exponents beyond this are typos, and would make BigInt powers needlessly large.
const MAX_EXPONENT = 30;

function parseQuantity(quantity: string | number): ParsedQuantity | undefined {
  if (typeof quantity === 'number') {
    if (!Number.isFinite(quantity) || quantity < 0) return undefined;
    // String(1e-7) is "1e-7": the exponent form below reads it.
    return parseQuantity(String(quantity));
  }
  if (typeof quantity !== 'string') return undefined;
  const match = NUMBER_AND_SUFFIX.exec(quantity.trim());
  if (match === null) return undefined;
  const [, number = '', suffix = ''] = match;
  const [whole = '', fraction = ''] = number.split('.');
  let numerator = BigInt(`${whole}${fraction}` || '0');
  let denominator = 10n ** BigInt(fraction.length);

  let decimalExponent: number;
  const exponent = EXPONENT.exec(suffix);
  if (Object.hasOwn(BINARY_EXPONENT, suffix)) {
    numerator *= 2n ** BigInt(BINARY_EXPONENT[suffix] ?? 0);
    decimalExponent = 0;
  } else if (Object.hasOwn(DECIMAL_EXPONENT, suffix)) {
    decimalExponent = DECIMAL_EXPONENT[suffix] ?? 0;
  } else if (exponent !== null) {
    decimalExponent = Number(exponent[1]);
  } else {
    return undefined;
  }
  if (Math.abs(decimalExponent) > MAX_EXPONENT) return undefined;
  if (decimalExponent >= 0) numerator *= 10n ** BigInt(decimalExponent);
  else denominator *= 10n ** BigInt(-decimalExponent);
  return { numerator, denominator, suffix };
}

// Most quantities are a whole number and a common suffix ("100m", "128Mi", "2"): those are
// exact in floating point, so they skip the BigInt path. Anything else returns undefined.
const QUICK = /^(\d{1,9})(m|Ki|Mi|Gi|k|K|M|G|)$/;
const QUICK_FACTOR: Record<string, number> = {
  '': 1,
  k: 1e3,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
};

function quickParse(quantity: string | number, unitsPerWhole: number): number | undefined {
  if (typeof quantity !== 'string') return undefined;
  const match = QUICK.exec(quantity);
  if (match === null) return undefined;
  const [, digits = '', suffix = ''] = match;
  if (suffix === 'm') {
    // Only CPU takes millis as whole units; memory's "m" goes the slow way to its error.
    return unitsPerWhole === 1000 ? Number(digits) : undefined;
  }
  // One rounding at most, as Number() of the exact BigInt result: the factor product is exact.
  return Number(digits) * ((QUICK_FACTOR[suffix] ?? 1) * unitsPerWhole);
}

function ceilDivide(numerator: bigint, denominator: bigint): bigint {
  return (numerator + denominator - 1n) / denominator;
}

function quantityError(resource: 'CPU' | 'memory', quantity: unknown, explanation: string): FlotillaError {
  const shown = typeof quantity === 'string' ? `"${quantity}"` : String(quantity);
  const message = `${shown} is not a valid ${resource} quantity: ${explanation}`;
  return new FlotillaError('Invalid', message, {
    details: [{ field: resource === 'CPU' ? 'cpu' : 'memory', message }],
  });
}

function problemOf(parse: () => number): string | undefined {
  try {
    parse();
    return undefined;
  } catch (error) {
    if (error instanceof FlotillaError) return error.message;
    throw error;
  }
}
