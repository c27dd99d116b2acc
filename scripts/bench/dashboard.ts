// Benchmark part "dashboard" (`npm run bench -- dashboard`): latency of the overview and savings APIs
// (the real route handlers, session cookie and all) on a project with 1M and then 10M calls in Postgres.
// Calls are generated in SQL (generate_series: 12 features on 8 models, 1,000 end users with a heavy
// head, 15% background calls without a user, 60 days of history, ~1.2% errors) and their rollups are
// built with the same aggregation as the ingest writer. Findings come from five analysis runs written
// through executeAnalysisRun, with the ids of the calls they act on among the 100,000 most recent ones
// (an analysis run's load limit). Everything lives in a scratch database dropped at the end.
// Rollups: UsageHourly (hour x model x feature) and UsageDailyUser (UTC day x end user), as the writer keeps them.
//
// BENCH_DASHBOARD_SIZES=1000000,10000000 (default) picks the sizes; each size adds calls to the previous.
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import pg from "pg";
import type { LeverFinding } from "../../lib/analysis/types";
import { LATENCY_BUCKET_BOUNDS_MS } from "../../lib/ingest/rollup";
import { DAY_SQL, HOUR_SQL } from "../../lib/ingest/writer";

const SIZES = (process.env.BENCH_DASHBOARD_SIZES ?? "1000000,10000000").split(",").map((s) => Number(s.trim()));
const CHUNK = 1_000_000;
const REPEAT = 30;
const WARMUP = 3;
const MIN_SAMPLES = 5;
const TIME_BUDGET_MS = 45_000;
const GOAL_MS = 300;
const HISTORY_DAYS = 60;
const ID_LIMIT = 100_000;

const FEATURES = ["support-classifier", "ticket-router", "reply-drafter", "chat", "search-answer", "summarise-thread", "extract-invoice", "translate", "code-review", "tagging", "nightly-summary", "backfill-embeddings"];
const MODELS = ["gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "o4-mini", "claude-sonnet-4-20250514", "claude-3-5-haiku-20241022", "claude-opus-4-20250514"];
// $ per token (input, output), close to list prices.
const PRICE_IN = [2.5e-6, 0.15e-6, 2e-6, 0.4e-6, 1.1e-6, 3e-6, 0.8e-6, 15e-6];
const PRICE_OUT = [10e-6, 0.6e-6, 8e-6, 1.6e-6, 4.4e-6, 15e-6, 4e-6, 75e-6];
const ANSWERS = ["card_arrival", "Your refund is on its way.", "I have escalated your ticket to a human agent.", "{\"intent\":\"top_up\"}", "Here is a summary of the thread.", "Bonjour, comment puis-je vous aider ?", "LGTM with two nits.", "billing"];
const BOUNDS = LATENCY_BUCKET_BOUNDS_MS; // the writer's histogram, so the rollup is the one ingest would build

type Stats = { p50: number; p95: number; max: number; n: number };

function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
  return { p50: at(0.5), p95: at(0.95), max: s[s.length - 1], n: s.length };
}

const fmt = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

// ---------------------------------------------------------------- data generation (SQL)

const sqlArray = (xs: Array<string | number>) => `ARRAY[${xs.map((x) => (typeof x === "number" ? String(x) : `'${x.replace(/'/g, "''")}'`)).join(",")}]`;

/** Calls g in [from, to]: timestamps spread over the window by a golden-ratio sequence, so any prefix covers it evenly. */
function insertCallsSql(): string {
  return `
INSERT INTO "Call" ("projectId", "eventId", "timestamp", "provider", "endpoint", "model", "source", "status", "errorMessage", "latencyMs",
  "inputTokens", "outputTokens", "cachedInputTokens", "costUsd", "feature", "endUser", "environment", "outputText", "priceVersion")
SELECT $1, 'ev-' || lpad(g::text, 10, '0'),
  $4::timestamptz + (((g * 0.6180339887498949) - floor(g * 0.6180339887498949)) * ${HISTORY_DAYS} * 86400) * interval '1 second',
  CASE WHEN m <= 5 THEN 'openai' ELSE 'anthropic' END,
  CASE WHEN m <= 5 THEN '/v1/chat/completions' ELSE '/v1/messages' END,
  (${sqlArray(MODELS)})[m], 'sdk', CASE WHEN err THEN 500 ELSE 200 END, CASE WHEN err THEN 'upstream error' END,
  150 + floor(-ln(1 - random()) * (300 + out_t * 8))::int,
  in_t, out_t, cached,
  CASE WHEN err THEN 0 ELSE (in_t - cached) * (${sqlArray(PRICE_IN)})[m] + cached * (${sqlArray(PRICE_IN)})[m] * 0.5 + out_t * (${sqlArray(PRICE_OUT)})[m] END,
  (${sqlArray(FEATURES)})[f + 1],
  CASE WHEN f >= 10 OR u < 0.15 THEN NULL ELSE 'user_' || floor(1000 * power(random(), 3))::int END,
  'production', (${sqlArray(ANSWERS)})[1 + floor(random() * ${ANSWERS.length})::int], 'bench'
FROM (
  SELECT g, f, 1 + ((f * 3 + (random() < 0.15)::int) % ${MODELS.length}) AS m, random() AS u, random() < 0.012 AS err,
         in_t, out_t, CASE WHEN random() < 0.25 THEN in_t / 2 ELSE 0 END AS cached
  FROM (
    SELECT g, floor(${FEATURES.length} * power(random(), 1.6))::int AS f,
           150 + floor(random() * random() * 3000)::int AS in_t, 5 + floor(random() * random() * 600)::int AS out_t
    FROM generate_series($2::bigint, $3::bigint) AS g
  ) a
) b`;
}

const ROLLUP_SQL = `
INSERT INTO "UsageHourly" ("projectId", "hour", "model", "feature", "requests", "errors", "unpricedRequests",
  "inputTokens", "outputTokens", "cachedInputTokens", "costUsd", "latencySumMs", "latencyCount", "latencyBuckets")
SELECT "projectId", ${HOUR_SQL(`"timestamp"`)}, coalesce(model, ''), coalesce(feature, ''),
  count(*), count(*) FILTER (WHERE status >= 400), count(*) FILTER (WHERE "costUsd" IS NULL),
  sum("inputTokens"), sum("outputTokens"), sum("cachedInputTokens"), coalesce(sum("costUsd"), 0), coalesce(sum("latencyMs"), 0), count("latencyMs"),
  ARRAY[${Array.from({ length: BOUNDS.length + 1 }, (_, i) => `count(*) FILTER (WHERE width_bucket("latencyMs", '{${BOUNDS.join(",")}}'::int[]) = ${i})`).join(", ")}]::int[]
FROM "Call" WHERE "projectId" = $1 AND "replayRunId" IS NULL
GROUP BY 1, 2, 3, 4`;

const USER_ROLLUP_SQL = `
INSERT INTO "UsageDailyUser" ("projectId", "day", "endUser", "requests", "errors", "unpricedRequests", "inputTokens", "outputTokens", "costUsd")
SELECT "projectId", ${DAY_SQL(`"timestamp"`)}, coalesce("endUser", ''),
  count(*), count(*) FILTER (WHERE status >= 400), count(*) FILTER (WHERE "costUsd" IS NULL),
  sum("inputTokens"), sum("outputTokens"), coalesce(sum("costUsd"), 0)
FROM "Call" WHERE "projectId" = $1 AND "replayRunId" IS NULL
GROUP BY 1, 2, 3`;

const SECONDARY_INDEXES = [
  `CREATE INDEX IF NOT EXISTS "Call_projectId_timestamp_idx" ON "Call"("projectId", "timestamp")`,
  `CREATE INDEX IF NOT EXISTS "Call_projectId_feature_timestamp_idx" ON "Call"("projectId", "feature", "timestamp")`,
  `CREATE INDEX IF NOT EXISTS "Call_projectId_model_timestamp_idx" ON "Call"("projectId", "model", "timestamp")`,
  `CREATE INDEX IF NOT EXISTS "Call_projectId_promptHash_idx" ON "Call"("projectId", "promptHash")`,
];

// ---------------------------------------------------------------- measurement

type Handler = (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>;

async function timeRoute(handler: unknown, url: string, params: Record<string, string>, cookie: string, init: RequestInit = {}): Promise<number> {
  const started = performance.now();
  const res = await (handler as Handler)(new Request(url, { ...init, headers: { cookie, ...(init.body ? { "content-type": "application/json" } : {}) } }), { params: Promise.resolve(params) });
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return performance.now() - started;
}

/** REPEAT timed calls after WARMUP, or fewer (at least MIN_SAMPLES) when they use up TIME_BUDGET_MS. */
async function repeat(fn: () => Promise<number>, n = REPEAT): Promise<Stats> {
  for (let i = 0; i < WARMUP; i++) await fn();
  const out: number[] = [];
  let spent = 0;
  for (let i = 0; i < n; i++) {
    out.push(await fn());
    spent += out[out.length - 1];
    if (out.length >= MIN_SAMPLES && spent > TIME_BUDGET_MS) break;
  }
  return stats(out);
}

export async function run(): Promise<string> {
  process.env.NEXTAUTH_SECRET ??= randomBytes(32).toString("base64");
  const { adminUrl, createScratchDatabase, dropDatabase } = await import("../../lib/db/scratch");
  const { migrate } = await import("../../lib/db/migrate");
  const scratch = await createScratchDatabase(adminUrl(), "benchdash");
  process.env.DATABASE_URL = scratch.url;
  const { closeDb, db } = await import("../../lib/db/client");
  const loader = new pg.Client({ connectionString: scratch.url });
  const lines: string[] = [];
  try {
    await migrate(scratch.url);
    await loader.connect();
    // Load tuning for a throw-away database: no WAL for the two big tables, room to sort and hash.
    await loader.query(`SET work_mem = '256MB'; SET maintenance_work_mem = '512MB'; SET synchronous_commit = off`);
    await loader.query(`ALTER TABLE "UsageHourly" SET UNLOGGED; ALTER TABLE "UsageDailyUser" SET UNLOGGED; ALTER TABLE "Call" SET UNLOGGED`);

    const { signUp } = await import("../../lib/auth/sign-up");
    const { sessionCookieFor } = await import("../../lib/auth/session");
    const owner = await signUp({ name: "Bench", email: "bench@example.com", password: "bench-password" });
    const cookie = await sessionCookieFor(owner.user);
    const projectId = owner.project.id;
    const params = { org: owner.organization.slug, project: owner.project.slug };
    const base = `http://localhost/api/orgs/${params.org}/projects/${params.project}`;
    const end = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
    const start = new Date(end.getTime() - HISTORY_DAYS * 86_400_000);

    const overviewRoute = await import("../../app/api/orgs/[org]/projects/[project]/overview/route");
    const findingsRoute = await import("../../app/api/orgs/[org]/projects/[project]/findings/route");
    const findingRoute = await import("../../app/api/orgs/[org]/projects/[project]/findings/[findingId]/route");
    const analysesRoute = await import("../../app/api/orgs/[org]/projects/[project]/analyses/route");
    const callsRoute = await import("../../app/api/orgs/[org]/projects/[project]/calls/route");
    const { createAnalysisRun, executeAnalysisRun } = await import("../../lib/analysis/runs");

    lines.push(
      "## Dashboard: overview and savings API latency",
      "",
      `Route handlers called in-process with a real session cookie (auth, guards, queries, JSON), ${REPEAT} timed requests after ${WARMUP} warm-up ones, one at a time, Postgres 15 on the same 2-core machine. Goal: p95 < ${GOAL_MS} ms at 10M calls.`,
      `Generated data: ${FEATURES.length} features on ${MODELS.length} models, 1,000 end users (heavy head), 15% of calls without a user, ${HISTORY_DAYS} days of history ending now, bodies not stored (the dashboard never reads them). Findings: 5 analysis runs, ${FEATURES.length * 2} findings written by executeAnalysisRun (two levers per feature, on the same calls), with the ids of the calls they act on among the ${ID_LIMIT.toLocaleString("en-US")} most recent (an analysis run's load limit).`,
      "",
    );
    const results: Array<{ size: number; rows: Record<string, Stats>; load: Record<string, string> }> = [];

    let loaded = 0;
    for (const size of SIZES) {
      const load: Record<string, string> = {};
      // -- calls, without the secondary indexes (rebuilt once after the load: much faster than per row)
      for (const ddl of ["Call_projectId_timestamp_idx", "Call_projectId_feature_timestamp_idx", "Call_projectId_model_timestamp_idx", "Call_projectId_promptHash_idx"]) {
        await loader.query(`DROP INDEX IF EXISTS "${ddl}"`);
      }
      let t = performance.now();
      for (let from = loaded + 1; from <= size; from += CHUNK) {
        const to = Math.min(size, from + CHUNK - 1);
        await loader.query(insertCallsSql(), [projectId, from, to, start]);
        process.stderr.write(`\r[bench:dashboard] calls ${to.toLocaleString("en-US")}/${size.toLocaleString("en-US")}`);
      }
      process.stderr.write("\n");
      load.calls = secs(performance.now() - t);
      t = performance.now();
      for (const ddl of SECONDARY_INDEXES) await loader.query(ddl);
      load.indexes = secs(performance.now() - t);
      // -- rollups, rebuilt from the calls with the writer's aggregation
      t = performance.now();
      await loader.query(`TRUNCATE "UsageHourly", "UsageDailyUser"`);
      await loader.query(ROLLUP_SQL, [projectId]);
      await loader.query(USER_ROLLUP_SQL, [projectId]);
      await loader.query(`ANALYZE "Call"; ANALYZE "UsageHourly"; ANALYZE "UsageDailyUser"`);
      load.rollup = secs(performance.now() - t);
      loaded = size;

      // -- findings: a fresh run per analysis kind, as a re-run at this size would write them
      t = performance.now();
      const monthStart = new Date(end.getTime() - 30 * 86_400_000);
      const kinds = ["modelfit", "bloat", "cache", "batch", "distill"] as const;
      const levers = { modelfit: ["rightsize"], bloat: ["compress", "prefix_cache"], cache: ["cache"], batch: ["batch"], distill: ["distill"] } as const;
      const findingsByKind: Record<string, LeverFinding[]> = {};
      // An analysis run loads at most the 100,000 most recent calls: its findings' ids come from those.
      const recent = await loader.query<{ id: string; feature: string }>(
        `SELECT "eventId" AS id, feature FROM "Call" WHERE "projectId" = $1 ORDER BY "timestamp" DESC LIMIT ${ID_LIMIT}`,
        [projectId],
      );
      const idsByFeature = new Map<string, string[]>();
      for (const r of recent.rows) {
        const list = idsByFeature.get(r.feature);
        if (list) list.push(r.id);
        else idsByFeature.set(r.feature, [r.id]);
      }
      for (const [i, feature] of FEATURES.entries()) {
        const total = await loader.query<{ cost: number }>(`SELECT sum("costUsd") AS cost FROM "UsageHourly" WHERE "projectId" = $1 AND feature = $2 AND hour >= $3`, [projectId, feature, monthStart]);
        const affected = Number(total.rows[0].cost ?? 0);
        const ids = idsByFeature.get(feature) ?? [];
        // Two levers per feature from different analyses, overlapping on the same calls.
        const picks: Array<[(typeof kinds)[number], LeverFinding["lever"], number]> = [
          [kinds[i % 5], levers[kinds[i % 5]][0], 0.2 + (i % 4) * 0.1],
          [kinds[(i + 2) % 5], levers[kinds[(i + 2) % 5]][levers[kinds[(i + 2) % 5]].length - 1], 0.1 + (i % 3) * 0.05],
        ];
        for (const [kind, lever, share] of picks) {
          (findingsByKind[kind] ??= []).push({
            lever,
            title: `${lever} for ${feature}`,
            scope: { feature, model: null },
            callIds: ids,
            affectedMonthlyCostUsd: affected,
            savingsShare: { point: share, low: share * 0.7, high: Math.min(1, share * 1.2) },
            monthly: { usd: affected * share, low: affected * share * 0.7, high: affected * Math.min(1, share * 1.2) },
            confidence: "medium",
            evidence: { kind: `${lever}-bench`, groupCalls: ids.length, examples: ids.slice(0, 5).map((id) => ({ callId: id, note: "example" })) },
            howToApply: { summary: `Apply ${lever} to ${feature}.` },
          });
        }
      }
      for (const kind of kinds) {
        const runRow = await createAnalysisRun(projectId, kind);
        const findings = findingsByKind[kind] ?? [];
        await executeAnalysisRun(runRow.id, undefined, async () => ({ result: { bench: true }, findings }));
      }
      await loader.query(`ANALYZE "Finding"`);
      load.findings = secs(performance.now() - t);

      const counts = await loader.query<{ calls: string; rollup: string; users: string; size: string; findings: string }>(
        `SELECT (SELECT count(*) FROM "Call") AS calls, (SELECT count(*) FROM "UsageHourly" WHERE "projectId" = $1) AS rollup, (SELECT count(*) FROM "UsageDailyUser" WHERE "projectId" = $1) AS users,
                (SELECT count(*) FROM "Finding" f JOIN "AnalysisRun" r ON r.id = f."runId" WHERE r."createdAt" = (SELECT max("createdAt") FROM "AnalysisRun" r2 WHERE r2.kind = r.kind)) AS findings,
                pg_size_pretty(pg_database_size(current_database())) AS size`,
        [projectId],
      );
      load.rollupRows = counts.rows[0].rollup;
      load.userRows = counts.rows[0].users;
      load.rows = `${Number(counts.rows[0].calls).toLocaleString("en-US")} calls, ${Number(counts.rows[0].rollup).toLocaleString("en-US")} hourly rollup rows (hour x model x feature), ${Number(counts.rows[0].users).toLocaleString("en-US")} daily user rollup rows, ${counts.rows[0].findings} current findings, database ${counts.rows[0].size}`;

      // -- measure
      const rows: Record<string, Stats> = {};
      for (const range of ["24h", "7d", "30d"]) {
        rows[`overview ${range}`] = await repeat(() => timeRoute(overviewRoute.GET, `${base}/overview?range=${range}`, params, cookie));
      }
      rows["savings (findings, waterfall, realised)"] = await repeat(() => timeRoute(findingsRoute.GET, `${base}/findings`, params, cookie));
      // After a decision the set of open findings changes: the next summary recomputes the waterfall.
      const open = await db.finding.findMany({ where: { projectId, status: "open" }, orderBy: { monthlySavingsUsd: "desc" }, select: { id: true }, take: 1 });
      const target = open[0].id;
      const afterDecision: number[] = [];
      const decision: number[] = [];
      for (let i = 0; i < 10; i++) {
        const body = i % 2 === 0 ? { action: "dismiss", reason: "bench" } : { action: "reopen" };
        decision.push(await timeRoute(findingRoute.PATCH, `${base}/findings/${target}`, { ...params, findingId: target }, cookie, { method: "PATCH", body: JSON.stringify(body) }));
        afterDecision.push(await timeRoute(findingsRoute.GET, `${base}/findings`, params, cookie));
      }
      rows["decision (dismiss / reopen)"] = stats(decision);
      rows["savings right after a decision"] = stats(afterDecision);
      rows["analysis runs (polled)"] = await repeat(() => timeRoute(analysesRoute.GET, `${base}/analyses`, params, cookie));
      rows["calls explorer, first page"] = await repeat(() => timeRoute(callsRoute.GET, `${base}/calls?limit=50`, params, cookie));
      rows["calls explorer, feature filter"] = await repeat(() => timeRoute(callsRoute.GET, `${base}/calls?limit=50&feature=translate&status=error`, params, cookie));
      results.push({ size, rows, load });
      process.stderr.write(`[bench:dashboard] ${size.toLocaleString("en-US")} calls measured\n`);
    }

    for (const r of results) {
      lines.push(`### ${r.size.toLocaleString("en-US")} calls`, "", `${r.load.rows}. Load: calls ${r.load.calls}, indexes ${r.load.indexes}, rollup ${r.load.rollup}, findings ${r.load.findings}.`, "");
      lines.push("| request | p50 ms | p95 ms | max ms | n |", "|---|---:|---:|---:|---:|");
      for (const [name, s] of Object.entries(r.rows)) lines.push(`| ${name} | ${fmt(s.p50)} | ${fmt(s.p95)} | ${fmt(s.max)} | ${s.n} |`);
      lines.push("");
    }
    const largest = results[results.length - 1];
    const goalRows = Object.entries(largest.rows).filter(([name]) => (name.startsWith("overview") || name.startsWith("savings")) && !name.includes("comparison"));
    const worst = goalRows.reduce((m, [, s]) => Math.max(m, s.p95), 0);
    const verdict = worst < GOAL_MS ? "met" : "NOT met";
    lines.push(
      `Where the time goes: the overview reads the hourly rollup (hour x model x feature: ${Number(largest.load.rollupRows).toLocaleString("en-US")} rows for ${largest.size.toLocaleString("en-US")} calls, a number that grows with hours, models and features, not with traffic) for totals, latency percentiles and the model/feature series, and the daily user rollup (${Number(largest.load.userRows).toLocaleString("en-US")} rows) for the user series; the savings page's 30-day spend and realised savings read the hourly rollup. Until this change the hourly rollup was keyed by end user too and grew with the call log (0.48 rows per call at 10M, worst p95 15.2 s).`,
      "",
    );
    lines.push(
      `**Verdict at ${largest.size.toLocaleString("en-US")} calls: goal ${verdict}** — worst overview/savings p95 ${fmt(worst)} ms (goal < ${GOAL_MS} ms).`,
      largest.size < 10_000_000 ? "Only sizes below 10M were run (BENCH_DASHBOARD_SIZES); the goal is stated for 10M." : "",
    );
    return lines.join("\n");
  } finally {
    await loader.end().catch(() => {});
    await closeDb();
    await dropDatabase(adminUrl(), scratch.name).catch(() => {});
  }
}
