// The overview page's numbers, served from the rollups — UsageHourly (hour x model x feature) for totals
// and the model/feature series, UsageDailyUser (UTC day x end user) for the user series — never by
// scanning calls, so it stays fast at millions of calls. All queries are scoped to one project.
import { getPool } from "../db/client";
import { LATENCY_BUCKET_COUNT, latencyPercentile } from "../ingest/rollup";

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
/**
 * One stacked series. `bucket` is its own grain: users are rolled up per UTC day, so the user series is
 * daily even when the range is shown per hour, and then covers the whole days the range touches
 * (`from`/`to` say which).
 */
export type Series = { keys: string[]; points: SeriesPoint[]; bucket: "hour" | "day"; from: string; to: string };

export type Overview = {
  range: { from: string; to: string; bucket: "hour" | "day" };
  totals: Totals;
  previous: Totals;
  /** Relative change vs the previous period of equal length (null when it had nothing). */
  change: { costUsd: number | null; requests: number | null; errorRate: number | null; latencyP95Ms: number | null };
  series: Record<Breakdown, Series>;
};

type TotalsRow = {
  requests: string | null;
  errors: string | null;
  unpriced: string | null;
  cost: number | null;
  input: string | null;
  output: string | null;
  cached: string | null;
} & Record<`b${number}`, string | null>;

// The latency histograms summed element-wise in the same scan (one sum per bucket, no unnest).
const BUCKET_SUMS = Array.from({ length: LATENCY_BUCKET_COUNT }, (_, i) => `sum("latencyBuckets"[${i + 1}]) AS b${i}`).join(", ");

async function totals(projectId: string, range: Range): Promise<Totals> {
  const { rows } = await getPool().query<TotalsRow>(
    `SELECT sum(requests) AS requests, sum(errors) AS errors, sum("unpricedRequests") AS unpriced, sum("costUsd") AS cost,
            sum("inputTokens") AS input, sum("outputTokens") AS output, sum("cachedInputTokens") AS cached, ${BUCKET_SUMS}
       FROM "UsageHourly" WHERE "projectId" = $1 AND hour >= $2 AND hour < $3`,
    [projectId, range.from, range.to],
  );
  const r = rows[0];
  const histogram = Array.from({ length: LATENCY_BUCKET_COUNT }, (_, i) => Number(r[`b${i}`] ?? 0));
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

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

// Where each breakdown is rolled up: its table, time column and grain.
const SOURCE: Record<Breakdown, { table: string; time: string; col: string; grain: "hour" | "day" }> = {
  model: { table: `"UsageHourly"`, time: "hour", col: `"model"`, grain: "hour" },
  feature: { table: `"UsageHourly"`, time: "hour", col: `"feature"`, grain: "hour" },
  endUser: { table: `"UsageDailyUser"`, time: "day", col: `"endUser"`, grain: "day" },
};

async function series(projectId: string, range: Range, by: Breakdown, bucket: "hour" | "day", top: number): Promise<Series> {
  const src = SOURCE[by];
  // A daily table answers for whole days: the range widened to the days it touches.
  const from = src.grain === "day" ? new Date(Math.floor(range.from.getTime() / DAY_MS) * DAY_MS) : range.from;
  const to = src.grain === "day" ? new Date(Math.ceil(range.to.getTime() / DAY_MS) * DAY_MS) : range.to;
  const grain = src.grain === "day" ? "day" : bucket;
  const col = src.col;
  // One scan: cost per (bucket, key), each key ranked by cost (then requests) over the range, keys
  // beyond the top N folded into "other" (k NULL) in SQL so only buckets x (N + 1) rows come back.
  const { rows } = await getPool().query<{ b: Date; k: string | null; cost: number; rank: string }>(
    `WITH per AS (
       SELECT date_trunc('${grain}', ${src.time} AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS b, ${col} AS k,
              sum("costUsd") AS cost, sum(requests) AS requests
         FROM ${src.table} WHERE "projectId" = $1 AND ${src.time} >= $2 AND ${src.time} < $3
        GROUP BY 1, 2
     ), ranked AS (
       SELECT k, row_number() OVER (ORDER BY sum(cost) DESC, sum(requests) DESC, k) AS rank FROM per GROUP BY k
     )
     SELECT per.b, CASE WHEN ranked.rank <= $4 THEN per.k END AS k, min(ranked.rank) AS rank, sum(per.cost) AS cost
       FROM per JOIN ranked USING (k)
      GROUP BY 1, 2`,
    [projectId, from, to, top],
  );
  const label = (k: string | null) => (k === null ? "other" : k === "" ? "(none)" : k);
  const byBucket = new Map<string, SeriesPoint>();
  const step = grain === "hour" ? HOUR_MS : DAY_MS;
  const first = Math.floor(from.getTime() / step) * step;
  for (let t = first; t < to.getTime(); t += step) {
    const key = new Date(t).toISOString();
    byBucket.set(key, { bucket: key, values: {}, total: 0 });
  }
  const ranked = new Map<number, string>();
  for (const row of rows) {
    if (row.k !== null) ranked.set(Number(row.rank), label(row.k));
    const key = new Date(row.b).toISOString();
    const point = byBucket.get(key) ?? { bucket: key, values: {}, total: 0 };
    const name = label(row.k);
    point.values[name] = (point.values[name] ?? 0) + Number(row.cost);
    point.total += Number(row.cost);
    byBucket.set(key, point);
  }
  const keys = [...ranked.entries()].sort((x, y) => x[0] - y[0]).map(([, name]) => name);
  if (rows.some((r) => r.k === null)) keys.push("other");
  return {
    keys,
    points: [...byBucket.values()].sort((a, b) => a.bucket.localeCompare(b.bucket)),
    bucket: grain,
    from: from.toISOString(),
    to: to.toISOString(),
  };
}

function relChange(now: number, before: number): number | null {
  return before > 0 ? (now - before) / before : null;
}

export async function getOverview(projectId: string, range: Range, opts: { top?: number } = {}): Promise<Overview> {
  if (!(range.to > range.from)) throw new Error("range: `to` must be after `from`");
  const span = range.to.getTime() - range.from.getTime();
  const previousRange = { from: new Date(range.from.getTime() - span), to: range.from };
  const bucket = span <= 3 * DAY_MS ? "hour" : "day";
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
