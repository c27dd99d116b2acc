// The overview page's numbers, served from the hourly rollup (UsageHourly) — never by scanning calls,
// so it stays fast at millions of calls. All queries are scoped to one project.
import { getPool } from "../db/client";
import { addLatencyBuckets, latencyPercentile } from "../ingest/rollup";

export type Range = { from: Date; to: Date };
export type Breakdown = "model" | "feature" | "endUser";

export type Totals = {
  requests: number;
  errors: number;
  unpricedRequests: number;
  costUsd: number;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  /** Share of input tokens served from the provider's prompt cache. */
  cachedShare: number;
  errorRate: number;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
};

export type SeriesPoint = { bucket: string; values: Record<string, number>; total: number };

export type Overview = {
  range: { from: string; to: string; bucket: "hour" | "day" };
  totals: Totals;
  previous: Totals;
  /** Relative change vs the previous period of equal length (null when it had nothing). */
  change: { costUsd: number | null; requests: number | null; errorRate: number | null; latencyP95Ms: number | null };
  series: Record<Breakdown, { keys: string[]; points: SeriesPoint[] }>;
};

type TotalsRow = {
  requests: string | null;
  errors: string | null;
  unpriced: string | null;
  cost: number | null;
  input: string | null;
  output: string | null;
  cached: string | null;
};

async function totals(projectId: string, range: Range): Promise<Totals> {
  const pool = getPool();
  const [{ rows }, buckets] = await Promise.all([
    pool.query<TotalsRow>(
      `SELECT sum(requests) AS requests, sum(errors) AS errors, sum("unpricedRequests") AS unpriced, sum("costUsd") AS cost,
              sum("inputTokens") AS input, sum("outputTokens") AS output, sum("cachedInputTokens") AS cached
         FROM "UsageHourly" WHERE "projectId" = $1 AND hour >= $2 AND hour < $3`,
      [projectId, range.from, range.to],
    ),
    // Element-wise sum of the latency histograms in SQL (unnest WITH ORDINALITY), one row per bucket.
    pool.query<{ i: number; n: string }>(
      `SELECT b.i::int AS i, sum(b.n) AS n
         FROM "UsageHourly" u, unnest(u."latencyBuckets") WITH ORDINALITY AS b(n, i)
        WHERE u."projectId" = $1 AND u.hour >= $2 AND u.hour < $3
        GROUP BY b.i ORDER BY b.i`,
      [projectId, range.from, range.to],
    ),
  ]);
  const r = rows[0];
  const hist: number[] = [];
  for (const row of buckets.rows) hist[row.i - 1] = Number(row.n);
  const histogram = addLatencyBuckets(Array.from(hist, (x) => x ?? 0));
  const requests = Number(r.requests ?? 0);
  const input = Number(r.input ?? 0);
  const cached = Number(r.cached ?? 0);
  const errors = Number(r.errors ?? 0);
  return {
    requests,
    errors,
    unpricedRequests: Number(r.unpriced ?? 0),
    costUsd: Number(r.cost ?? 0),
    inputTokens: input,
    outputTokens: Number(r.output ?? 0),
    cachedInputTokens: cached,
    cachedShare: input > 0 ? cached / input : 0,
    errorRate: requests > 0 ? errors / requests : 0,
    latencyP50Ms: latencyPercentile(histogram, 50),
    latencyP95Ms: latencyPercentile(histogram, 95),
  };
}

const COLUMN: Record<Breakdown, string> = { model: `"model"`, feature: `"feature"`, endUser: `"endUser"` };

async function series(projectId: string, range: Range, by: Breakdown, bucket: "hour" | "day", top: number) {
  const col = COLUMN[by];
  const pool = getPool();
  // The top keys by cost over the range; the rest is folded into "other".
  const topKeys = await pool.query<{ k: string }>(
    `SELECT ${col} AS k FROM "UsageHourly" WHERE "projectId" = $1 AND hour >= $2 AND hour < $3
      GROUP BY ${col} ORDER BY sum("costUsd") DESC, sum(requests) DESC LIMIT $4`,
    [projectId, range.from, range.to, top],
  );
  const keys = topKeys.rows.map((r) => r.k);
  // k is NULL for keys outside the top N ("other"); empty strings mean "none" in the rollup key.
  const { rows } = await pool.query<{ b: Date; k: string | null; cost: number }>(
    `SELECT date_trunc('${bucket}', hour AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS b,
            CASE WHEN ${col} = ANY($4) THEN ${col} END AS k, sum("costUsd") AS cost
       FROM "UsageHourly" WHERE "projectId" = $1 AND hour >= $2 AND hour < $3
      GROUP BY 1, 2 ORDER BY 1`,
    [projectId, range.from, range.to, keys],
  );
  const label = (k: string | null) => (k === null ? "other" : k === "" ? "(none)" : k);
  const byBucket = new Map<string, SeriesPoint>();
  const step = bucket === "hour" ? 3_600_000 : 86_400_000;
  const first = Math.floor(range.from.getTime() / step) * step;
  for (let t = first; t < range.to.getTime(); t += step) {
    const key = new Date(t).toISOString();
    byBucket.set(key, { bucket: key, values: {}, total: 0 });
  }
  const seen = new Set<string>();
  for (const row of rows) {
    const key = new Date(row.b).toISOString();
    const point = byBucket.get(key) ?? { bucket: key, values: {}, total: 0 };
    const name = label(row.k);
    seen.add(name);
    point.values[name] = (point.values[name] ?? 0) + Number(row.cost);
    point.total += Number(row.cost);
    byBucket.set(key, point);
  }
  const ordered = keys.map(label).filter((k) => seen.has(k));
  if (seen.has("other")) ordered.push("other");
  return { keys: ordered, points: [...byBucket.values()].sort((a, b) => a.bucket.localeCompare(b.bucket)) };
}

function relChange(now: number, before: number): number | null {
  return before > 0 ? (now - before) / before : null;
}

export async function getOverview(projectId: string, range: Range, opts: { top?: number } = {}): Promise<Overview> {
  if (!(range.to > range.from)) throw new Error("range: `to` must be after `from`");
  const span = range.to.getTime() - range.from.getTime();
  const previousRange = { from: new Date(range.from.getTime() - span), to: range.from };
  const bucket = span <= 3 * 86_400_000 ? "hour" : "day";
  const top = opts.top ?? 6;
  const [now, before, byModel, byFeature, byUser] = await Promise.all([
    totals(projectId, range),
    totals(projectId, previousRange),
    series(projectId, range, "model", bucket, top),
    series(projectId, range, "feature", bucket, top),
    series(projectId, range, "endUser", bucket, top),
  ]);
  return {
    range: { from: range.from.toISOString(), to: range.to.toISOString(), bucket },
    totals: now,
    previous: before,
    change: {
      costUsd: relChange(now.costUsd, before.costUsd),
      requests: relChange(now.requests, before.requests),
      errorRate: before.requests > 0 ? now.errorRate - before.errorRate : null,
      latencyP95Ms: now.latencyP95Ms !== null && before.latencyP95Ms ? relChange(now.latencyP95Ms, before.latencyP95Ms) : null,
    },
    series: { model: byModel, feature: byFeature, endUser: byUser },
  };
}
