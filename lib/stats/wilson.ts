// Wilson score interval for a proportion: correct near 0 and 1 and for small samples, where the
// normal ("Wald") interval collapses to zero width (e.g. 50/50 successes gives [1, 1]).

export type Interval = { point: number; low: number; high: number };

/** Two-sided standard normal quantile for a confidence level (0.95 -> 1.959964). */
export function zForConfidence(confidence: number): number {
  if (!(confidence > 0 && confidence < 1)) throw new Error(`confidence must be in (0, 1), got ${confidence}`);
  return normalQuantile(1 - (1 - confidence) / 2);
}

/** Inverse standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`p must be in (0, 1), got ${p}`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lowTail = 0.02425;
  if (p < lowTail) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - lowTail) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/**
 * Wilson interval for `successes` out of `n` at the given confidence (default 95%).
 * n = 0 gives the uninformative [0, 1] with point NaN-free 0.
 */
export function wilsonInterval(successes: number, n: number, confidence = 0.95): Interval {
  if (!Number.isInteger(n) || n < 0) throw new Error(`n must be a non-negative integer, got ${n}`);
  if (!(successes >= 0 && successes <= n)) throw new Error(`successes must be in [0, n], got ${successes} of ${n}`);
  if (n === 0) return { point: 0, low: 0, high: 1 };
  const z = zForConfidence(confidence);
  const p = successes / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  // Clamp the float noise so that 0/n has low exactly 0 and n/n has high exactly 1.
  return { point: p, low: successes === 0 ? 0 : Math.max(0, centre - half), high: successes === n ? 1 : Math.min(1, centre + half) };
}

/**
 * Smallest sample size at which an observed rate `p` would give a Wilson lower bound >= `target`
 * (or upper bound < target when p < target): how many more replays a decision needs.
 * Returns null when no sample size decides it (p equals the target) or it exceeds `max`.
 */
export function sampleSizeToDecide(p: number, target: number, confidence = 0.95, max = 100_000): number | null {
  if (p === target) return null;
  const decided = (n: number) => {
    const k = Math.round(p * n);
    const iv = wilsonInterval(Math.min(n, Math.max(0, k)), n, confidence);
    return p > target ? iv.low >= target : iv.high < target;
  };
  if (!decided(max)) return null;
  let lo = 1;
  let hi = max;
  // Monotone in n up to rounding of k; binary search then step back over rounding wiggles.
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (decided(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
