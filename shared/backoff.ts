/**
 * Exponential back-off with full jitter: a fleet that lost its hub must not come back in
 * one synchronised wave.
 */
export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** 0 = no jitter; 1 = delay drawn from [0, ceiling). */
  jitter?: number;
}

export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, attempt));
  const jitter = options.jitter ?? 0;
  return Math.round(ceiling * (1 - jitter * random()));
}
