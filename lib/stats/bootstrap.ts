// Seeded percentile bootstrap for quantities with no closed-form interval (savings, shares of a
// filtered subset, differences). Resamples whole units (calls), so within-call coupling is kept.
import { seededRandom, randomInt } from "./random";
import type { Interval } from "./wilson";

export type BootstrapOptions = { iterations?: number; confidence?: number; seed?: number | string };

/**
 * Percentile interval of `statistic` over `iterations` resamples (with replacement) of `units`.
 * The resample buffer is reused between iterations: `statistic` must not keep a reference to it.
 */
export function bootstrapInterval<T>(
  units: readonly T[],
  statistic: (sample: readonly T[]) => number,
  opts: BootstrapOptions = {},
): Interval {
  const iterations = opts.iterations ?? 1000;
  const confidence = opts.confidence ?? 0.95;
  if (!(confidence > 0 && confidence < 1)) throw new Error(`confidence must be in (0, 1), got ${confidence}`);
  if (!Number.isInteger(iterations) || iterations < 10) throw new Error(`iterations must be an integer >= 10, got ${iterations}`);
  const point = statistic(units);
  if (units.length === 0) return { point, low: point, high: point };
  const random = seededRandom(opts.seed ?? 1);
  const values: number[] = [];
  const sample: T[] = new Array(units.length);
  for (let b = 0; b < iterations; b++) {
    for (let i = 0; i < units.length; i++) sample[i] = units[randomInt(random, units.length)];
    const v = statistic(sample);
    if (Number.isFinite(v)) values.push(v);
  }
  if (values.length === 0) return { point, low: point, high: point };
  values.sort((a, b) => a - b);
  const alpha = (1 - confidence) / 2;
  return { point, low: quantileSorted(values, alpha), high: quantileSorted(values, 1 - alpha) };
}

/** Linear-interpolated quantile of an ascending array. */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Quantile of an unsorted array (copies). */
export function quantile(values: readonly number[], q: number): number {
  return quantileSorted(values.slice().sort((a, b) => a - b), q);
}
