// Realised savings: for each accepted recommendation, what its scope actually cost after acceptance
// compared with before, read from the hourly rollup (never the call log).
//
// Two ways to measure, by lever:
//  - per request (rightsize, compress, prefix_cache, batch): the calls still reach the provider, only
//    cheaper. Saving = baseline cost per request x requests since acceptance - cost since acceptance, so
//    traffic growing or shrinking does not read as a saving or a loss.
//  - spend rate (cache, distill): answered calls never reach the provider (and may vanish from the log),
//    so requests cannot be the yardstick. Saving = baseline cost per day x days since - cost since.
// The scope is the finding's feature (or its model when it has no feature). A right-size or distil
// changes the model by design, so those are measured on the feature alone.
import { findingIdentity, type Lever } from "./findings";
import { getPool } from "../db/client";

export type RealisedMethod = "per_request" | "spend_rate";

export type RealisedItem = {
  findingId: string;
  lever: Lever;
  title: string;
  acceptedAt: string;
  expectedMonthlyUsd: number;
  method: RealisedMethod;
  scope: { feature?: string | null; model?: string | null };
  /** "measuring": less than MIN_AFTER_HOURS of data since acceptance; "no_baseline": nothing before it. */
  state: "measured" | "measuring" | "no_baseline";
  baseline: { from: string; to: string; days: number; costUsd: number; requests: number };
  after: { from: string; to: string; days: number; costUsd: number; requests: number };
  /** Saved since acceptance (negative = it costs more). null until measured. */
  realisedUsd: number | null;
  /** realisedUsd at a 30-day rate. */
  realisedMonthlyUsd: number | null;
  /** realisedMonthlyUsd / expectedMonthlyUsd. */
  shareOfExpected: number | null;
};

export type RealisedSummary = { items: RealisedItem[]; realisedMonthlyUsd: number; expectedMonthlyUsd: number; measured: number };

const HOUR = 3_600_000;
const DAY = 86_400_000;
export const BASELINE_DAYS = 14;
export const MIN_AFTER_HOURS = 24;

const PER_REQUEST_LEVERS = new Set<string>(["rightsize", "compress", "prefix_cache", "batch"]);
const MODEL_CHANGING_LEVERS = new Set<string>(["rightsize", "distill"]);

export function realisedMethod(lever: string): RealisedMethod {
  return PER_REQUEST_LEVERS.has(lever) ? "per_request" : "spend_rate";
}

/** The rollup filter for a finding: its feature, else its model (unless the lever changes the model). */
export function realisedScope(lever: string, scope: unknown): { feature?: string; model?: string } {
  const s = (scope && typeof scope === "object" ? scope : {}) as Record<string, unknown>;
  if ("feature" in s && (typeof s.feature === "string" || s.feature === null)) {
    // A finding about untagged calls (feature null) is about the rollup's "" feature.
    return { feature: (s.feature as string | null) ?? "" };
  }
  if (!MODEL_CHANGING_LEVERS.has(lever) && typeof s.model === "string") return { model: s.model };
  return {};
}

type Window = { from: Date; to: Date };

async function spendIn(projectId: string, scope: { feature?: string; model?: string }, w: Window) {
  const where = [`"projectId" = $1`, `hour >= $2`, `hour < $3`];
  const args: unknown[] = [projectId, w.from, w.to];
  if (scope.feature !== undefined) {
    args.push(scope.feature);
    where.push(`feature = $${args.length}`);
  }
  if (scope.model !== undefined) {
    args.push(scope.model);
    where.push(`model = $${args.length}`);
  }
  const { rows } = await getPool().query<{ cost: number | null; requests: string | null }>(
    `SELECT sum("costUsd") AS cost, sum(requests) AS requests FROM "UsageHourly" WHERE ${where.join(" AND ")}`,
    args,
  );
  return { costUsd: Number(rows[0]?.cost ?? 0), requests: Number(rows[0]?.requests ?? 0) };
}

export async function measureRealised(
  projectId: string,
  finding: { id: string; lever: string; title: string; scope: unknown; monthlySavingsUsd: number; acceptedAt: Date },
  now: Date,
): Promise<RealisedItem> {
  const method = realisedMethod(finding.lever);
  const scope = realisedScope(finding.lever, finding.scope);
  // Whole hours only: the hour the change was made in is neither before nor after.
  const acceptedHour = Math.floor(finding.acceptedAt.getTime() / HOUR) * HOUR;
  const baselineW = { from: new Date(acceptedHour - BASELINE_DAYS * DAY), to: new Date(acceptedHour) };
  const afterW = { from: new Date(acceptedHour + HOUR), to: new Date(Math.max(Math.floor(now.getTime() / HOUR) * HOUR, acceptedHour + HOUR)) };
  const [before, after] = await Promise.all([spendIn(projectId, scope, baselineW), spendIn(projectId, scope, afterW)]);
  const afterDays = (afterW.to.getTime() - afterW.from.getTime()) / DAY;
  const base = {
    findingId: finding.id,
    lever: finding.lever as Lever,
    title: finding.title,
    acceptedAt: finding.acceptedAt.toISOString(),
    expectedMonthlyUsd: finding.monthlySavingsUsd,
    method,
    scope,
    baseline: { from: baselineW.from.toISOString(), to: baselineW.to.toISOString(), days: BASELINE_DAYS, ...before },
    after: { from: afterW.from.toISOString(), to: afterW.to.toISOString(), days: afterDays, ...after },
  };
  const unmeasured = { realisedUsd: null, realisedMonthlyUsd: null, shareOfExpected: null };
  if (before.requests === 0 || before.costUsd <= 0) return { ...base, state: "no_baseline", ...unmeasured };
  if (afterDays * 24 < MIN_AFTER_HOURS) return { ...base, state: "measuring", ...unmeasured };
  const expectedCost = method === "per_request" ? (before.costUsd / before.requests) * after.requests : (before.costUsd / BASELINE_DAYS) * afterDays;
  const realisedUsd = expectedCost - after.costUsd;
  const realisedMonthlyUsd = (realisedUsd / afterDays) * 30;
  return {
    ...base,
    state: "measured",
    realisedUsd,
    realisedMonthlyUsd,
    shareOfExpected: finding.monthlySavingsUsd > 0 ? realisedMonthlyUsd / finding.monthlySavingsUsd : null,
  };
}

/** Every accepted finding of the project, measured against the spend after it was accepted. */
export async function realisedSavings(projectId: string, now: Date = new Date()): Promise<RealisedSummary> {
  const { rows: accepted } = await getPool().query<{ id: string; lever: string; title: string; scope: unknown; evidence: unknown; monthlySavingsUsd: number; acceptedAt: Date }>(
    `SELECT id, lever, title, scope, jsonb_build_object('kind', evidence->'kind') AS evidence, "monthlySavingsUsd", "acceptedAt"
       FROM "Finding" WHERE "projectId" = $1 AND status = 'accepted' AND "acceptedAt" IS NOT NULL
      ORDER BY "acceptedAt" ASC, "createdAt" DESC LIMIT 500`,
    [projectId],
  );
  // One recommendation accepted once, even when later runs produced it again (same identity).
  const seen = new Set<string>();
  const unique = accepted.filter((f) => {
    const key = findingIdentity(f);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  // Newest first on the page.
  const items = await Promise.all(unique.reverse().slice(0, 100).map((f) => measureRealised(projectId, f, now)));
  const measured = items.filter((i) => i.state === "measured");
  return {
    items,
    realisedMonthlyUsd: measured.reduce((s, i) => s + (i.realisedMonthlyUsd ?? 0), 0),
    expectedMonthlyUsd: items.reduce((s, i) => s + i.expectedMonthlyUsd, 0),
    measured: measured.length,
  };
}
