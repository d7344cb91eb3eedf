/**
 * Range statistics of one activation tensor over a calibration set: min, max and a histogram of |x| whose range
 * grows by doubling (adjacent bins merged), so one pass over the images is enough for every calibration method.
 */
export const HISTOGRAM_BINS = 2048;

export class AbsHistogram {
  readonly bins = new Float64Array(HISTOGRAM_BINS);
  /** Width of one bin; 0 until a non-zero value was seen. */
  binWidth = 0;
  min = Infinity;
  max = -Infinity;

  get absMax(): number {
    return Math.max(Math.abs(this.min), Math.abs(this.max));
  }

  add(values: Float32Array): void {
    let lo = Infinity,
      hi = -Infinity;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (lo < this.min) this.min = lo;
    if (hi > this.max) this.max = hi;
    const absMax = Math.max(Math.abs(lo), Math.abs(hi));
    if (absMax === 0) {
      this.bins[0]! += values.length;
      return;
    }
    if (this.binWidth === 0) this.binWidth = absMax / HISTOGRAM_BINS;
    while (absMax >= this.binWidth * HISTOGRAM_BINS) this.doubleRange();
    const inv = 1 / this.binWidth;
    const last = HISTOGRAM_BINS - 1;
    const bins = this.bins;
    for (let i = 0; i < values.length; i++) {
      const b = Math.floor(Math.abs(values[i]!) * inv);
      bins[b > last ? last : b]! += 1;
    }
  }

  private doubleRange(): void {
    const half = HISTOGRAM_BINS / 2;
    for (let i = 0; i < half; i++) this.bins[i] = this.bins[2 * i]! + this.bins[2 * i + 1]!;
    this.bins.fill(0, half);
    this.binWidth *= 2;
  }

  /** The |x| below which `percent` of the values lie (upper edge of that bin), capped at the largest |x| seen. */
  percentile(percent: number): number {
    if (this.binWidth === 0) return 0;
    let total = 0;
    for (const c of this.bins) total += c;
    const target = (total * percent) / 100;
    let sum = 0;
    for (let i = 0; i < HISTOGRAM_BINS; i++) {
      sum += this.bins[i]!;
      if (sum >= target) return Math.min(this.absMax, (i + 1) * this.binWidth);
    }
    return this.absMax;
  }

  /**
   * TensorRT's entropy calibration: the clipping threshold whose 128-level quantization of the |x| distribution
   * (clipped values folded into the last bin) loses the least information, KL(P || Q).
   */
  entropy(levels = 128, stride = 8): number {
    if (this.binWidth === 0) return 0;
    let best = HISTOGRAM_BINS,
      bestKl = Infinity;
    const p = new Float64Array(HISTOGRAM_BINS);
    const q = new Float64Array(HISTOGRAM_BINS);
    let tail = 0;
    for (const c of this.bins) tail += c;
    // tail = count of values in bins [i, end): start with all, subtract as i grows.
    let consumed = 0;
    for (let i = 0; i < levels; i++) consumed += this.bins[i]!;
    for (let i = levels; i <= HISTOGRAM_BINS; i += stride) {
      if (i > levels) for (let j = i - stride; j < i; j++) consumed += this.bins[j]!;
      const outliers = tail - consumed;
      for (let j = 0; j < i; j++) p[j] = this.bins[j]!;
      p[i - 1]! += outliers;
      // Q: merge the i reference bins into `levels` levels, spread each level over its non-empty bins.
      q.fill(0, 0, i);
      for (let level = 0; level < levels; level++) {
        const start = Math.floor((level * i) / levels),
          end = Math.floor(((level + 1) * i) / levels);
        let sum = 0,
          nonZero = 0;
        for (let j = start; j < end; j++) {
          sum += this.bins[j]!;
          if (this.bins[j]! > 0) nonZero++;
        }
        if (nonZero === 0) continue;
        const share = sum / nonZero;
        for (let j = start; j < end; j++) if (this.bins[j]! > 0) q[j] = share;
      }
      let pSum = 0,
        qSum = 0;
      for (let j = 0; j < i; j++) {
        pSum += p[j]!;
        qSum += q[j]!;
      }
      if (pSum === 0 || qSum === 0) continue;
      let kl = 0;
      for (let j = 0; j < i; j++) {
        const pj = p[j]! / pSum;
        if (pj === 0) continue;
        const qj = q[j]! / qSum;
        kl += qj === 0 ? pj * 20 : pj * Math.log(pj / qj); // a value Q cannot represent: a large, finite penalty
      }
      if (kl < bestKl) {
        bestKl = kl;
        best = i;
      }
    }
    return Math.min(this.absMax, best * this.binWidth);
  }
}
