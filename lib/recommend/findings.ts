// A project's recommendations: the findings of the latest run of each analysis, ranked by $/month, the
// decisions users take on them (accept, dismiss with a reason, snooze until a date, reopen), and the
// waterfall of what the open ones would save together (combineFindings, no double counting).
// Every query is scoped to one project.
//
// A finding's evidence holds the ids of the calls it acts on (up to the analyses' load limit, so
// hundreds of thousands across a project). Pages never need them, so rows are read without them; the
// waterfall needs them only when the set of open findings changes, and its per-lever savings are kept
// per set (they do not depend on the current spend), so a page load reads no id lists at all.
import { createHash } from "node:crypto";
import type { LeverFinding } from "../analysis/types";
import { roleAtLeast, type Role } from "../auth/roles";
import { getPool } from "../db/client";
import { ForbiddenError, NotFoundError, ValidationError } from "../http/errors";
import { LEVER_ORDER, leverSavings, projectSavings, type LeverSavings, type Projection } from "./combine";
import { currentMonthlySpend, type MonthlySpend } from "./spend";

export type FindingStatus = "open" | "accepted" | "dismissed" | "snoozed";
export type Lever = LeverFinding["lever"];

export type FindingView = {
  id: string;
  runId: string | null;
  lever: Lever;
  title: string;
  scope: LeverFinding["scope"];
  monthlySavingsUsd: number;
  savingsLowUsd: number | null;
  savingsHighUsd: number | null;
  confidence: string | null;
  /** Stored evidence without the call id list (which can hold thousands of ids); see callCount. */
  evidence: Record<string, unknown>;
  callCount: number | null;
  affectedMonthlyCostUsd: number | null;
  howToApply: LeverFinding["howToApply"] | null;
  /** Stored status; a snooze whose date has passed reads as "open" here. */
  status: FindingStatus;
  dismissReason: string | null;
  snoozedUntil: string | null;
  acceptedAt: string | null;
  createdAt: string;
  updatedAt: string;
};

/** A Finding row as read here: evidence without `callIds`, and their number. */
export type StoredFinding = {
  id: string;
  projectId: string;
  runId: string | null;
  lever: string;
  title: string;
  scope: unknown;
  monthlySavingsUsd: number;
  savingsLowUsd: number | null;
  savingsHighUsd: number | null;
  confidence: string | null;
  evidence: unknown;
  callCount: number | null;
  howToApply: unknown;
  status: string;
  dismissReason: string | null;
  snoozedUntil: Date | null;
  acceptedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
};

const LEVERS = new Set<string>(LEVER_ORDER);

const SELECT_FINDING = `SELECT id, "projectId", "runId", lever, title, scope, "monthlySavingsUsd", "savingsLowUsd", "savingsHighUsd", confidence,
  evidence - 'callIds' AS evidence,
  CASE WHEN jsonb_typeof(evidence->'callIds') = 'array' THEN jsonb_array_length(evidence->'callIds') END AS "callCount",
  "howToApply", status, "dismissReason", "snoozedUntil", "acceptedAt", "createdAt", "updatedAt"
  FROM "Finding"`;

const ORDER_FINDINGS = `ORDER BY "monthlySavingsUsd" DESC, "savingsHighUsd" DESC NULLS LAST, id ASC`;

async function selectFindings(where: string, args: unknown[]): Promise<StoredFinding[]> {
  const { rows } = await getPool().query<StoredFinding>(`${SELECT_FINDING} WHERE ${where} ${ORDER_FINDINGS}`, args);
  return rows;
}

/** The status a user sees: a snooze ends by itself when its date has passed. */
export function effectiveStatus(row: { status: string; snoozedUntil: Date | null }, now: Date): FindingStatus {
  if (row.status === "snoozed" && (!row.snoozedUntil || row.snoozedUntil <= now)) return "open";
  return (["open", "accepted", "dismissed", "snoozed"] as const).includes(row.status as FindingStatus) ? (row.status as FindingStatus) : "open";
}

function asObject(v: unknown): Record<string, unknown> {
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function finite(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

type LeverFields = { lever: string; title: string; scope: unknown; monthlySavingsUsd: number; savingsLowUsd: number | null; savingsHighUsd: number | null; confidence: string | null; evidence: unknown; howToApply: unknown };

/**
 * A stored finding back in the form combineFindings takes. executeAnalysisRun keeps the lever's
 * affected spend, savings share and call ids in the evidence (ids may also be passed apart); a row
 * without them (written by hand or an older run) acts as a block whose whole affected spend is its
 * stated saving.
 */
export function toLeverFinding(row: LeverFields, callIdsApart?: string[]): LeverFinding {
  const evidence = asObject(row.evidence);
  const usd = row.monthlySavingsUsd;
  const low = row.savingsLowUsd ?? usd;
  const high = row.savingsHighUsd ?? usd;
  let affected = finite(evidence.affectedMonthlyCostUsd);
  const shareIn = asObject(evidence.savingsShare);
  let share = { point: finite(shareIn.point), low: finite(shareIn.low), high: finite(shareIn.high) };
  if (affected === null || affected <= 0 || share.point === null) {
    affected = Math.max(high, usd, 0);
    share = affected > 0 ? { point: usd / affected, low: low / affected, high: high / affected } : { point: 0, low: 0, high: 0 };
  }
  const rawIds = callIdsApart ?? evidence.callIds;
  const callIds = Array.isArray(rawIds) ? rawIds.filter((x): x is string => typeof x === "string") : undefined;
  return {
    lever: (LEVERS.has(row.lever) ? row.lever : "compress") as Lever,
    title: row.title,
    scope: asObject(row.scope) as LeverFinding["scope"],
    callIds: callIds && callIds.length > 0 ? callIds : undefined,
    affectedMonthlyCostUsd: affected,
    savingsShare: { point: share.point ?? 0, low: share.low ?? share.point ?? 0, high: share.high ?? share.point ?? 0 },
    monthly: { usd, low, high },
    confidence: row.confidence === "high" || row.confidence === "medium" ? row.confidence : "low",
    evidence,
    howToApply: { summary: "", ...asObject(row.howToApply) } as LeverFinding["howToApply"],
  };
}

export function toFindingView(row: StoredFinding, now: Date): FindingView {
  const { callIds: _ids, affectedMonthlyCostUsd, ...evidence } = asObject(row.evidence);
  return {
    id: row.id,
    runId: row.runId,
    lever: (LEVERS.has(row.lever) ? row.lever : "compress") as Lever,
    title: row.title,
    scope: asObject(row.scope) as LeverFinding["scope"],
    monthlySavingsUsd: row.monthlySavingsUsd,
    savingsLowUsd: row.savingsLowUsd,
    savingsHighUsd: row.savingsHighUsd,
    confidence: row.confidence,
    evidence,
    callCount: row.callCount === null || row.callCount === undefined ? null : Number(row.callCount),
    affectedMonthlyCostUsd: finite(affectedMonthlyCostUsd),
    howToApply: row.howToApply ? ({ summary: "", ...asObject(row.howToApply) } as LeverFinding["howToApply"]) : null,
    status: effectiveStatus(row, now),
    dismissReason: row.dismissReason,
    snoozedUntil: row.snoozedUntil?.toISOString() ?? null,
    acceptedAt: row.acceptedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** What makes two findings of different runs "the same recommendation" (titles carry numbers that move). */
export function findingIdentity(row: { lever: string; scope: unknown; evidence: unknown }): string {
  const s = asObject(row.scope);
  const kind = asObject(row.evidence).kind;
  return JSON.stringify([row.lever, s.feature ?? null, s.model ?? null, s.promptHash ?? null, typeof kind === "string" ? kind : null]);
}

/**
 * Findings that stand for the project now: those of the latest succeeded run of each analysis kind, plus
 * findings not tied to a run. A re-run writes fresh rows; a decision taken on an earlier run's finding
 * (dismissed, accepted, snoozed) carries over to the new row of the same recommendation, so a dismissed
 * finding does not come back on the next run.
 */
export async function currentFindings(projectId: string): Promise<StoredFinding[]> {
  const { rows: latest } = await getPool().query<{ id: string }>(
    `SELECT DISTINCT ON (kind) id FROM "AnalysisRun" WHERE "projectId" = $1 AND status = 'succeeded' ORDER BY kind, "finishedAt" DESC NULLS LAST, "createdAt" DESC`,
    [projectId],
  );
  const runIds = latest.map((r) => r.id);
  const rows = await selectFindings(`"projectId" = $1 AND ("runId" IS NULL OR "runId" = ANY($2::text[]))`, [projectId, runIds]);
  const undecided = rows.filter((r) => r.status === "open" && r.runId !== null);
  if (undecided.length === 0) return rows;
  const { rows: decided } = await getPool().query<{ lever: string; scope: unknown; evidence: unknown; status: string; dismissReason: string | null; snoozedUntil: Date | null; acceptedAt: Date | null }>(
    `SELECT lever, scope, jsonb_build_object('kind', evidence->'kind') AS evidence, status, "dismissReason", "snoozedUntil", "acceptedAt"
       FROM "Finding" WHERE "projectId" = $1 AND status IN ('accepted', 'dismissed', 'snoozed') AND ("runId" IS NULL OR NOT ("runId" = ANY($2::text[])))
      ORDER BY "updatedAt" DESC`,
    [projectId, runIds],
  );
  if (decided.length === 0) return rows;
  const byIdentity = new Map<string, (typeof decided)[number]>();
  for (const d of decided) if (!byIdentity.has(findingIdentity(d))) byIdentity.set(findingIdentity(d), d);
  const out: StoredFinding[] = [];
  for (const r of rows) {
    const prior = r.status === "open" && r.runId !== null ? byIdentity.get(findingIdentity(r)) : undefined;
    if (!prior) {
      out.push(r);
      continue;
    }
    // Conditional on still being open: a concurrent decision on the new row wins.
    const res = await getPool().query(
      `UPDATE "Finding" SET status = $3, "dismissReason" = $4, "snoozedUntil" = $5, "acceptedAt" = $6, "updatedAt" = now()
        WHERE id = $1 AND "projectId" = $2 AND status = 'open'`,
      [r.id, projectId, prior.status, prior.dismissReason, prior.snoozedUntil, prior.acceptedAt],
    );
    out.push(res.rowCount === 1 ? { ...r, status: prior.status, dismissReason: prior.dismissReason, snoozedUntil: prior.snoozedUntil, acceptedAt: prior.acceptedAt } : r);
  }
  return out;
}

// ---------------------------------------------------------------- the waterfall of open findings

/** Per-lever savings by set of open findings (rows are immutable but for their status). */
const savingsBySet = new Map<string, LeverSavings[]>();
const SAVINGS_CACHE_ENTRIES = 64;

/** Per-lever savings of these open findings, reading their call ids only when this set is new. */
export async function openFindingsSavings(projectId: string, open: StoredFinding[]): Promise<LeverSavings[]> {
  const ids = open.map((r) => r.id).sort();
  const key = createHash("sha256").update(projectId).update("\u0000").update(ids.join(",")).digest("hex");
  const hit = savingsBySet.get(key);
  if (hit) {
    savingsBySet.delete(key);
    savingsBySet.set(key, hit); // most recently used last
    return hit;
  }
  const withIds = open.filter((r) => (r.callCount ?? 0) > 0).map((r) => r.id);
  const idLists = new Map<string, string[]>();
  if (withIds.length > 0) {
    const { rows } = await getPool().query<{ id: string; ids: unknown }>(
      `SELECT id, evidence->'callIds' AS ids FROM "Finding" WHERE "projectId" = $1 AND id = ANY($2::text[])`,
      [projectId, withIds],
    );
    for (const r of rows) if (Array.isArray(r.ids)) idLists.set(r.id, r.ids as string[]);
  }
  const levers = leverSavings(open.map((r) => toLeverFinding(r, idLists.get(r.id) ?? [])));
  savingsBySet.set(key, levers);
  if (savingsBySet.size > SAVINGS_CACHE_ENTRIES) savingsBySet.delete(savingsBySet.keys().next().value!);
  return levers;
}

export type SavingsSummary = {
  spend: MonthlySpend;
  /** Open findings (incl. expired snoozes) combined in lever order, on the current monthly spend. */
  projection: Projection;
  findings: FindingView[];
  counts: Record<FindingStatus, number>;
};

export async function getSavingsSummary(projectId: string, now: Date = new Date()): Promise<SavingsSummary> {
  const [spend, rows] = await Promise.all([currentMonthlySpend(projectId, now), currentFindings(projectId)]);
  const open = rows.filter((r) => effectiveStatus(r, now) === "open");
  const projection = projectSavings(spend.monthlyUsd, await openFindingsSavings(projectId, open));
  const findings = rows.map((r) => toFindingView(r, now));
  const counts: Record<FindingStatus, number> = { open: 0, accepted: 0, dismissed: 0, snoozed: 0 };
  for (const f of findings) counts[f.status]++;
  return { spend, projection, findings, counts };
}

export async function getFinding(projectId: string, findingId: string, now: Date = new Date()): Promise<FindingView> {
  const [row] = await selectFindings(`id = $1 AND "projectId" = $2`, [findingId, projectId]);
  if (!row) throw new NotFoundError("Finding not found.");
  return toFindingView(row, now);
}

/** The first ids of the calls a finding acts on (kept out of FindingView), for the drill-down. */
export async function findingCallIds(projectId: string, findingId: string, limit = 50): Promise<string[]> {
  const { rows } = await getPool().query<{ ids: unknown }>(
    `SELECT CASE WHEN jsonb_typeof(evidence->'callIds') = 'array' THEN jsonb_path_query_array(evidence->'callIds', ('$[0 to ' || $3::int || ']')::jsonpath) END AS ids
       FROM "Finding" WHERE id = $1 AND "projectId" = $2`,
    [findingId, projectId, Math.max(limit - 1, 0)],
  );
  if (rows.length === 0) throw new NotFoundError("Finding not found.");
  const ids = rows[0].ids;
  return Array.isArray(ids) ? ids.filter((x): x is string => typeof x === "string").slice(0, limit) : [];
}

// ---------------------------------------------------------------- decisions

export type Decision = { action: "accept" } | { action: "dismiss"; reason: string } | { action: "snooze"; until: Date } | { action: "reopen" };

export const DISMISS_REASON_MAX = 500;
const MAX_SNOOZE_MS = 366 * 86_400_000;

/** Reads { action, reason?, until? } from a request body; each problem names its field. */
export function parseDecision(body: Record<string, unknown>, now: Date = new Date()): Decision {
  const action = body.action;
  if (action === "accept" || action === "reopen") return { action };
  if (action === "dismiss") {
    const reason = typeof body.reason === "string" ? body.reason.trim() : "";
    if (!reason) throw ValidationError.field("reason", "Reason is required to dismiss a recommendation.");
    if (reason.length > DISMISS_REASON_MAX) throw ValidationError.field("reason", `Reason must be at most ${DISMISS_REASON_MAX} characters.`);
    return { action, reason };
  }
  if (action === "snooze") {
    if (typeof body.until !== "string" || body.until.trim() === "") throw ValidationError.field("until", "Until is required: the date the recommendation comes back.");
    const until = new Date(body.until);
    if (Number.isNaN(until.getTime())) throw ValidationError.field("until", "Until must be a date (YYYY-MM-DD or ISO 8601).");
    if (until <= now) throw ValidationError.field("until", "Until must be in the future.");
    if (until.getTime() - now.getTime() > MAX_SNOOZE_MS) throw ValidationError.field("until", "Until must be within a year.");
    return { action, until };
  }
  throw ValidationError.field("action", "Action must be one of accept, dismiss, snooze, reopen.");
}

/**
 * Applies a decision to one finding of the project. MEMBER and above may decide; a VIEWER is refused.
 * Accepting records the moment from which realised savings are measured (kept when re-accepted).
 */
export async function decideFinding(input: { projectId: string; findingId: string; decision: Decision; actorRole: Role; now?: Date }): Promise<FindingView> {
  if (!roleAtLeast(input.actorRole, "MEMBER")) throw new ForbiddenError("Viewers cannot change recommendations.");
  const now = input.now ?? new Date();
  const pool = getPool();
  const { rows } = await pool.query<{ id: string; lever: string; scope: unknown; evidence: unknown; status: string; acceptedAt: Date | null }>(
    `SELECT id, lever, scope, jsonb_build_object('kind', evidence->'kind') AS evidence, status, "acceptedAt" FROM "Finding" WHERE id = $1 AND "projectId" = $2`,
    [input.findingId, input.projectId],
  );
  const row = rows[0];
  if (!row) throw new NotFoundError("Finding not found.");
  const d = input.decision;
  const next =
    d.action === "accept"
      ? { status: "accepted", acceptedAt: row.status === "accepted" && row.acceptedAt ? row.acceptedAt : now, dismissReason: null, snoozedUntil: null }
      : d.action === "dismiss"
        ? { status: "dismissed", dismissReason: d.reason, snoozedUntil: null, acceptedAt: null }
        : d.action === "snooze"
          ? { status: "snoozed", snoozedUntil: d.until, dismissReason: null, acceptedAt: null }
          : { status: "open", dismissReason: null, snoozedUntil: null, acceptedAt: null };
  // The same recommendation from earlier runs follows, so currentFindings never carries an older
  // decision over this one (a reopened finding stays open after the next run).
  const { rows: siblings } = await pool.query<{ id: string; lever: string; scope: unknown; evidence: unknown }>(
    `SELECT id, lever, scope, jsonb_build_object('kind', evidence->'kind') AS evidence FROM "Finding" WHERE "projectId" = $1 AND lever = $2 AND id <> $3`,
    [input.projectId, row.lever, row.id],
  );
  const ids = [row.id, ...siblings.filter((s) => findingIdentity(s) === findingIdentity(row)).map((s) => s.id)];
  await pool.query(
    `UPDATE "Finding" SET status = $3, "dismissReason" = $4, "snoozedUntil" = $5, "acceptedAt" = $6, "updatedAt" = now()
      WHERE "projectId" = $1 AND id = ANY($2::text[])`,
    [input.projectId, ids, next.status, next.dismissReason, next.snoozedUntil, next.acceptedAt],
  );
  return getFinding(input.projectId, row.id, now);
}
