import { pgSafeText } from "./pg-copy";

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

/** Start of the UTC day containing t (the UsageDailyUser.day key). */
export function dayOf(t: Date): Date {
  return new Date(Math.floor(t.getTime() / 86_400_000) * 86_400_000);
}

/** What one stored call contributes to its rollup rows. */
export type RollupInput = {
  timestamp: Date;
  model: string | null;
  feature: string | null;
  endUser: string | null;
  status: number;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  costUsd: number | null;
  latencyMs: number | null;
};

/** One UsageHourly increment (keys use "" for none, as the table does). */
export type RollupDelta = {
  hour: string;
  model: string;
  feature: string;
  requests: number;
  errors: number;
  unpricedRequests: number;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  costUsd: number;
  latencySumMs: number;
  latencyCount: number;
  latencyBuckets: number[];
};

/** One UsageDailyUser increment ("" = calls without a user). */
export type UserDayDelta = {
  day: string;
  endUser: string;
  requests: number;
  errors: number;
  unpricedRequests: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
};

export type Rollups = { hourly: RollupDelta[]; users: UserDayDelta[] };

const isError = (status: number) => status < 200 || status > 399;

function sortedValues<T>(byKey: Map<string, T>): T[] {
  return [...byKey.keys()].sort().map((k) => byKey.get(k)!);
}

/**
 * Sum calls into rollup increments: one UsageHourly row per (hour, model, feature) and one
 * UsageDailyUser row per (day, user), each list sorted by key so concurrent writers lock rollup rows in
 * the same order. Errors are statuses outside 200-399; unpriced = cost unknown (NULL), which adds
 * nothing to the cost.
 */
export function aggregateRollups(calls: Iterable<RollupInput>): Rollups {
  const hourly = new Map<string, RollupDelta>();
  const users = new Map<string, UserDayDelta>();
  for (const c of calls) {
    const hour = hourOf(c.timestamp).toISOString();
    // Keys as Postgres will hold them (pgSafeText): "\u0000" and "\ud800" are one key there.
    const model = pgSafeText(c.model ?? "");
    const feature = pgSafeText(c.feature ?? "");
    const hourKey = `${hour}\u0000${model}\u0000${feature}`;
    let h = hourly.get(hourKey);
    if (!h) {
      h = {
        hour,
        model,
        feature,
        requests: 0,
        errors: 0,
        unpricedRequests: 0,
        inputTokens: 0,
        outputTokens: 0,
        cachedInputTokens: 0,
        costUsd: 0,
        latencySumMs: 0,
        latencyCount: 0,
        latencyBuckets: new Array<number>(LATENCY_BUCKET_COUNT).fill(0),
      };
      hourly.set(hourKey, h);
    }
    const day = dayOf(c.timestamp).toISOString();
    const endUser = pgSafeText(c.endUser ?? "");
    const userKey = `${day}\u0000${endUser}`;
    let u = users.get(userKey);
    if (!u) {
      u = { day, endUser, requests: 0, errors: 0, unpricedRequests: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };
      users.set(userKey, u);
    }
    const error = isError(c.status);
    for (const d of [h, u]) {
      d.requests++;
      if (error) d.errors++;
      if (c.costUsd === null) d.unpricedRequests++;
      else d.costUsd += c.costUsd;
      d.inputTokens += c.inputTokens;
      d.outputTokens += c.outputTokens;
    }
    h.cachedInputTokens += c.cachedInputTokens;
    if (c.latencyMs !== null) {
      h.latencySumMs += c.latencyMs;
      h.latencyCount++;
      h.latencyBuckets[latencyBucket(c.latencyMs)]++;
    }
  }
  return { hourly: sortedValues(hourly), users: sortedValues(users) };
}
