/** The p-th percentile (0–100) of the values, nearest-rank; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

/** The last `size` samples of a measurement, for percentiles without unbounded memory. */
export class SampleWindow {
  readonly #samples: number[] = [];
  readonly #size: number;
  #next = 0;
  count = 0;

  constructor(size = 10_000) {
    this.#size = size;
  }

  add(value: number): void {
    this.count++;
    if (this.#samples.length < this.#size) this.#samples.push(value);
    else {
      this.#samples[this.#next] = value;
      this.#next = (this.#next + 1) % this.#size;
    }
  }

  percentile(p: number): number {
    return percentile(this.#samples, p);
  }

  reset(): void {
    this.#samples.length = 0;
    this.#next = 0;
    this.count = 0;
  }
}
