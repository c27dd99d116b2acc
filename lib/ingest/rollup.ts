// Latency histogram of the hourly rollup (UsageHourly.latencyBuckets). Bucket i counts calls with
// LATENCY_BUCKET_BOUNDS_MS[i-1] <= latency < LATENCY_BUCKET_BOUNDS_MS[i]; the last bucket is open-ended.
// Roughly exponential bounds keep the p50/p95 error of an interpolated estimate within ~20% at any scale,
// with a fixed, small array per rollup row.

export const LATENCY_BUCKET_BOUNDS_MS = [
  50, 100, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 7500, 10000, 15000, 20000, 30000, 60000, 120000,
] as const;

/** Number of buckets (one more than the bounds: the last is [120 s, infinity)). */
export const LATENCY_BUCKET_COUNT = LATENCY_BUCKET_BOUNDS_MS.length + 1;

/** Bucket index of one latency (same rule as the SQL in the writer: width_bucket over the bounds). */
export function latencyBucket(latencyMs: number): number {
  let i = 0;
  while (i < LATENCY_BUCKET_BOUNDS_MS.length && latencyMs >= LATENCY_BUCKET_BOUNDS_MS[i]) i++;
  return i;
}

/** Element-wise sum of histograms (rollup rows of several hours or keys), tolerating short arrays. */
export function addLatencyBuckets(...histograms: ReadonlyArray<readonly number[]>): number[] {
  const out = new Array<number>(LATENCY_BUCKET_COUNT).fill(0);
  for (const h of histograms) for (let i = 0; i < Math.min(h.length, out.length); i++) out[i] += h[i] ?? 0;
  return out;
}

/**
 * The p-th percentile (0 < p <= 100, e.g. 50 or 95) of latency from a bucket histogram, interpolating
 * linearly inside the bucket that holds it. null when the histogram is empty. The open last bucket
 * reports its lower bound (a floor, not a guess).
 */
export function latencyPercentile(buckets: readonly number[], p: number): number | null {
  if (!(p > 0 && p <= 100)) throw new Error(`latencyPercentile: p must be in (0, 100], got ${p}`);
  const total = buckets.reduce((a, b) => a + (b ?? 0), 0);
  if (total <= 0) return null;
  const rank = (p / 100) * total;
  let seen = 0;
  for (let i = 0; i < buckets.length; i++) {
    const count = buckets[i] ?? 0;
    if (count > 0 && seen + count >= rank) {
      const lower = i === 0 ? 0 : LATENCY_BUCKET_BOUNDS_MS[i - 1];
      if (i >= LATENCY_BUCKET_BOUNDS_MS.length) return lower;
      const upper = LATENCY_BUCKET_BOUNDS_MS[i];
      return lower + ((rank - seen) / count) * (upper - lower);
    }
    seen += count;
  }
  return LATENCY_BUCKET_BOUNDS_MS[LATENCY_BUCKET_BOUNDS_MS.length - 1];
}

/** Start of the UTC hour containing t (the UsageHourly.hour key). */
export function hourOf(t: Date): Date {
  return new Date(Math.floor(t.getTime() / 3_600_000) * 3_600_000);
}
