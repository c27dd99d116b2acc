// The weekly report of an organization (or one project): spend this week vs last, by model and feature,
// top recommendations, realised savings of accepted ones, unpriced models, error-rate and latency
// changes, and anomalous days. All figures come from the hourly rollups and stored findings.
import { db, getPool } from "../db/client";
import { getOverview, type Totals } from "../dashboard/overview";
import { currentFindings } from "../recommend/findings";
import { realisedSavings } from "../recommend/realised";
import { previousWeek } from "./week";

export type WeeklyReport = {
  organization: { id: string; name: string; slug: string; timezone: string };
  week: { label: string; start: string; end: string };
  projects: Array<{ id: string; name: string; slug: string; costUsd: number; previousCostUsd: number }>;
  totals: { costUsd: number; previousCostUsd: number; change: number | null; requests: number; previousRequests: number; errorRate: number; previousErrorRate: number; latencyP95Ms: number | null; previousLatencyP95Ms: number | null };
  daily: Array<{ day: string; costUsd: number }>;
  byModel: Array<{ key: string; costUsd: number }>;
  byFeature: Array<{ key: string; costUsd: number }>;
  recommendations: Array<{ id: string; project: string; lever: string; title: string; monthlyUsd: number; lowUsd: number | null; highUsd: number | null }>;
  realised: { acceptedCount: number; expectedMonthlyUsd: number; realisedMonthlyUsd: number };
  unpricedModels: Array<{ model: string; requests: number }>;
  anomalies: Array<{ day: string; costUsd: number; baselineUsd: number }>;
};

function sumTotals(list: Totals[]) {
  const requests = list.reduce((s, t) => s + t.requests, 0);
  const errors = list.reduce((s, t) => s + t.errors, 0);
  const p95 = list.map((t) => t.latencyP95Ms).filter((x): x is number => x !== null);
  return {
    costUsd: list.reduce((s, t) => s + t.costUsd, 0),
    requests,
    errorRate: requests ? errors / requests : 0,
    // Across projects, report the worst project's p95 (a bound; histograms are per project here).
    latencyP95Ms: p95.length ? Math.max(...p95) : null,
  };
}

export async function buildWeeklyReport(organizationId: string, at: Date, opts: { projectId?: string } = {}): Promise<WeeklyReport> {
  const org = await db.organization.findUniqueOrThrow({ where: { id: organizationId }, select: { id: true, name: true, slug: true, timezone: true } });
  const week = previousWeek(at, org.timezone);
  const projects = await db.project.findMany({
    where: { organizationId, ...(opts.projectId ? { id: opts.projectId } : {}) },
    select: { id: true, name: true, slug: true },
    orderBy: { createdAt: "asc" },
  });
  const ids = projects.map((p) => p.id);
  const overviews = await Promise.all(projects.map((p) => getOverview(p.id, { from: week.start, to: week.end }, { top: 5 })));
  const now = sumTotals(overviews.map((o) => o.totals));
  const before = sumTotals(overviews.map((o) => o.previous));

  const pool = getPool();
  const [models, features, daily, unpriced, history] = await Promise.all([
    pool.query<{ k: string; cost: number }>(
      `SELECT model AS k, sum("costUsd") AS cost FROM "UsageHourly" WHERE "projectId" = ANY($1) AND hour >= $2 AND hour < $3 GROUP BY 1 ORDER BY 2 DESC LIMIT 5`,
      [ids, week.start, week.end],
    ),
    pool.query<{ k: string; cost: number }>(
      `SELECT feature AS k, sum("costUsd") AS cost FROM "UsageHourly" WHERE "projectId" = ANY($1) AND hour >= $2 AND hour < $3 GROUP BY 1 ORDER BY 2 DESC LIMIT 5`,
      [ids, week.start, week.end],
    ),
    pool.query<{ d: number; cost: number }>(
      `SELECT floor(extract(epoch FROM hour - $2::timestamptz) / 86400)::int AS d, sum("costUsd") AS cost
         FROM "UsageHourly" WHERE "projectId" = ANY($1) AND hour >= $2 AND hour < $3 GROUP BY 1`,
      [ids, week.start, week.end],
    ),
    pool.query<{ model: string; n: string }>(
      `SELECT model, sum("unpricedRequests") AS n FROM "UsageHourly" WHERE "projectId" = ANY($1) AND hour >= $2 AND hour < $3
        GROUP BY 1 HAVING sum("unpricedRequests") > 0 ORDER BY 2 DESC`,
      [ids, week.start, week.end],
    ),
    // 28 days before the week, per day, for the anomaly baseline.
    pool.query<{ cost: number }>(
      `SELECT sum("costUsd") AS cost FROM "UsageHourly" WHERE "projectId" = ANY($1) AND hour >= $2 AND hour < $3
        GROUP BY floor(extract(epoch FROM hour - $2::timestamptz) / 86400)`,
      [ids, new Date(week.start.getTime() - 28 * 86_400_000), week.start],
    ),
  ]);
  const dailyCost = Array.from({ length: 7 }, (_, i) => ({
    day: new Date(week.start.getTime() + i * 86_400_000).toISOString().slice(0, 10),
    costUsd: Number(daily.rows.find((r) => r.d === i)?.cost ?? 0),
  }));
  // A day is anomalous when it costs more than twice the median day of the 4 weeks before (and > $1).
  const hist = history.rows.map((r) => Number(r.cost)).sort((a, b) => a - b);
  const median = hist.length ? hist[Math.floor(hist.length / 2)] : 0;
  const anomalies = median > 0 ? dailyCost.filter((d) => d.costUsd > 2 * median && d.costUsd > 1).map((d) => ({ ...d, baselineUsd: median })) : [];

  // The project's current recommendations (latest run of each analysis, decisions carried over) and
  // realised savings measured from the rollups, as the savings page shows them.
  const [current, realised] = await Promise.all([
    Promise.all(projects.map((p) => currentFindings(p.id))),
    Promise.all(projects.map((p) => realisedSavings(p.id, week.end))),
  ]);
  const findings = current
    .flat()
    .filter((f) => f.status === "open" && f.monthlySavingsUsd > 0)
    .sort((a, b) => b.monthlySavingsUsd - a.monthlySavingsUsd)
    .slice(0, 3);
  const label = (k: string) => (k === "" ? "(none)" : k);
  return {
    organization: org,
    week: { label: week.label, start: week.start.toISOString(), end: week.end.toISOString() },
    projects: projects.map((p, i) => ({ ...p, costUsd: overviews[i].totals.costUsd, previousCostUsd: overviews[i].previous.costUsd })),
    totals: {
      costUsd: now.costUsd,
      previousCostUsd: before.costUsd,
      change: before.costUsd > 0 ? (now.costUsd - before.costUsd) / before.costUsd : null,
      requests: now.requests,
      previousRequests: before.requests,
      errorRate: now.errorRate,
      previousErrorRate: before.errorRate,
      latencyP95Ms: now.latencyP95Ms,
      previousLatencyP95Ms: before.latencyP95Ms,
    },
    daily: dailyCost,
    byModel: models.rows.map((r) => ({ key: label(r.k), costUsd: Number(r.cost) })),
    byFeature: features.rows.map((r) => ({ key: label(r.k), costUsd: Number(r.cost) })),
    recommendations: findings.map((f) => ({
      id: f.id,
      project: projects.find((p) => p.id === f.projectId)?.name ?? "",
      lever: f.lever,
      title: f.title,
      monthlyUsd: f.monthlySavingsUsd,
      lowUsd: f.savingsLowUsd,
      highUsd: f.savingsHighUsd,
    })),
    realised: {
      acceptedCount: realised.reduce((n, r) => n + r.items.length, 0),
      expectedMonthlyUsd: realised.reduce((n, r) => n + r.expectedMonthlyUsd, 0),
      realisedMonthlyUsd: realised.reduce((n, r) => n + r.realisedMonthlyUsd, 0),
    },
    unpricedModels: unpriced.rows.map((r) => ({ model: label(r.model), requests: Number(r.n) })),
    anomalies,
  };
}
