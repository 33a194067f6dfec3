/** A growable symmetric histogram of a tensor's values over the calibration set (merged batch by batch). */

/** Bins of every histogram; range [-limit, limit] doubles (merging bin pairs) when a value falls outside. */
export const HIST_BINS = 2048;

/** Value statistics of one tensor over the calibration set. */
export class Histogram {
  min = Infinity;
  max = -Infinity;
  limit = 0;
  readonly counts = new Float64Array(HIST_BINS);

  /** Add a batch of values. */
  add(data: ArrayLike<number>): void {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (!(lo <= hi)) return;
    this.min = Math.min(this.min, lo);
    this.max = Math.max(this.max, hi);
    const need = Math.max(Math.abs(lo), Math.abs(hi));
    if (this.limit === 0) this.limit = need > 0 ? need : 1e-8;
    while (need > this.limit) this.grow();
    const scale = HIST_BINS / (2 * this.limit);
    const c = this.counts;
    for (let i = 0; i < data.length; i++) {
      const b = Math.floor((data[i] + this.limit) * scale);
      c[b < 0 ? 0 : b >= HIST_BINS ? HIST_BINS - 1 : b]++;
    }
  }

  /** Double the range: old bins 2m, 2m+1 become new bin HIST_BINS/4 + m. */
  private grow(): void {
    const old = Float64Array.from(this.counts);
    this.counts.fill(0);
    for (let i = 0; i < HIST_BINS; i++) this.counts[HIST_BINS / 4 + (i >> 1)] += old[i];
    this.limit *= 2;
  }

  /** Lower edge of bin b. */
  edge(b: number): number {
    return -this.limit + (2 * this.limit * b) / HIST_BINS;
  }

  /** Total count. */
  total(): number {
    let t = 0;
    for (const c of this.counts) t += c;
    return t;
  }

  /** Value below which fraction `p` of the samples lie (linear within a bin). */
  quantile(p: number): number {
    const target = p * this.total();
    let acc = 0;
    for (let b = 0; b < HIST_BINS; b++) {
      const c = this.counts[b];
      if (acc + c >= target && c > 0) return this.edge(b) + ((target - acc) / c) * (this.edge(b + 1) - this.edge(b));
      acc += c;
    }
    return this.max;
  }
}
