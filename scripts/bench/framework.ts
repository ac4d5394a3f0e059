/**
 * What every benchmark returns and how the runner shows it. A figure is measured, never
 * asserted: a goal that is missed is reported as missed.
 */

export interface Figure {
  /** The benchmark it belongs to, e.g. "pod start-up". */
  benchmark: string;
  /** What was measured, e.g. "apply → Running p99". */
  name: string;
  /** null when it could not be measured; `note` says why. */
  value: number | null;
  unit: string;
  /** The goal, for people: "≤ 1.0 s". */
  goal?: string;
  /** Whether the value meets the goal; absent when there is none. */
  met?: boolean;
  /** A reference figure from elsewhere or from the same run, for context. */
  reference?: string;
  note?: string;
}

export interface BenchContext {
  quick: boolean;
  /** A scratch directory of this run, removed afterwards. */
  workDir: string;
  /** The compiled CLI, `dist/hub/cli/flotilla.js`. */
  cli: string;
  log(line: string): void;
}

export interface Benchmark {
  name: string;
  run(ctx: BenchContext): Promise<Figure[]>;
}

export function atMost(value: number | null, goal: number): boolean | undefined {
  return value === null || Number.isNaN(value) ? undefined : value <= goal;
}

export function atLeast(value: number | null, goal: number): boolean | undefined {
  return value === null || Number.isNaN(value) ? undefined : value >= goal;
}

export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
