// Recommendations on a real database: findings written by the real run path (executeAnalysisRun), the
// waterfall over the open ones, decisions (accept / dismiss with reason / snooze / reopen), decisions
// carried over to the next run of the same analysis, and tenant scoping.
import { beforeAll, describe, expect, it } from "vitest";
import type { LeverFinding } from "../analysis/types";
import { createAnalysisRun, executeAnalysisRun } from "../analysis/runs";
import { db } from "../db/client";
import { useTestDatabase } from "../db/testing";
import { ForbiddenError, NotFoundError, ValidationError } from "../http/errors";
import { createProjectWithKey, openAIChatEvent, type ProjectFixture } from "../ingest/test-fixtures";
import { writeEvents } from "../ingest/writer";
import { combineFindings } from "./combine";
import { currentMonthlySpend } from "./spend";
import { decideFinding, getSavingsSummary, parseDecision, toLeverFinding } from "./findings";

useTestDatabase();

const NOW = new Date(Date.UTC(2026, 11, 20, 12, 0));
let p: ProjectFixture;
let other: ProjectFixture;

function lever(kind: LeverFinding["lever"], ids: string[], perCallMonthly: number, share: number, extra: Partial<LeverFinding> = {}): LeverFinding {
  const affected = perCallMonthly * ids.length;
  return {
    lever: kind,
    title: `${kind} on ${ids.length} calls`,
    scope: { feature: "support", model: "gpt-4o-mini" },
    callIds: ids,
    affectedMonthlyCostUsd: affected,
    savingsShare: { point: share, low: share * 0.5, high: Math.min(1, share * 1.2) },
    monthly: { usd: affected * share, low: affected * share * 0.5, high: affected * Math.min(1, share * 1.2) },
    confidence: "medium",
    evidence: { kind: `${kind}-evidence` },
    howToApply: { summary: `apply ${kind}` },
    ...extra,
  };
}

async function runWith(projectId: string, kind: "modelfit" | "cache" | "bloat", findings: LeverFinding[]) {
  const run = await createAnalysisRun(projectId, kind);
  await executeAnalysisRun(run.id, undefined, async () => ({ result: { ok: true }, findings }));
  return run.id;
}

const ids = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `call-${from + i}`);

beforeAll(async () => {
  p = await createProjectWithKey("rec");
  other = await createProjectWithKey("other");
  // 10 days of traffic ending at NOW: the monthly spend is extrapolated from them.
  const events = Array.from({ length: 200 }, (_, i) =>
    openAIChatEvent({ id: `call-${i}`, timestamp: new Date(NOW.getTime() - (i % 10) * 86_400_000 - 3_600_000).toISOString() }),
  );
  await writeEvents({ projectId: p.projectId, organizationId: p.organizationId, source: "sdk" }, events);
});

describe("current monthly spend", () => {
  it("extrapolates the rollup's last days to 30", async () => {
    const spend = await currentMonthlySpend(p.projectId, NOW);
    const calls = await db.call.aggregate({ where: { projectId: p.projectId }, _sum: { costUsd: true } });
    expect(spend.observedUsd).toBeCloseTo(calls._sum.costUsd!, 10);
    expect(spend.days).toBeGreaterThan(9);
    expect(spend.days).toBeLessThan(11);
    expect(spend.monthlyUsd).toBeCloseTo((spend.observedUsd * 30) / spend.days, 10);
  });
});

describe("savings summary and decisions", () => {
  let rightsizeId: string;
  let cacheId: string;
  let originals: LeverFinding[];

  beforeAll(async () => {
    const monthly = (await currentMonthlySpend(p.projectId, NOW)).monthlyUsd;
    const perCall = monthly / 200;
    // Both levers act on calls 0-99: together they must save less than the sum of their figures.
    originals = [lever("rightsize", ids(100), perCall, 0.6), lever("cache", ids(100), perCall, 0.25)];
    await runWith(p.projectId, "modelfit", [originals[0]]);
    await runWith(p.projectId, "cache", [originals[1]]);
    const rows = await db.finding.findMany({ where: { projectId: p.projectId } });
    rightsizeId = rows.find((r) => r.lever === "rightsize")!.id;
    cacheId = rows.find((r) => r.lever === "cache")!.id;
  });

  it("stored findings map back to the levers' own figures, and the waterfall never double counts", async () => {
    const row = await db.finding.findUniqueOrThrow({ where: { id: rightsizeId } });
    const back = toLeverFinding(row);
    expect(back.affectedMonthlyCostUsd).toBeCloseTo(originals[0].affectedMonthlyCostUsd, 10);
    expect(back.savingsShare).toEqual(originals[0].savingsShare);
    expect(back.callIds).toEqual(originals[0].callIds);

    const s = await getSavingsSummary(p.projectId, NOW);
    const expected = combineFindings(s.spend.monthlyUsd, originals);
    expect(s.projection.savedUsd).toBeCloseTo(expected.savedUsd, 8);
    expect(s.projection.savedUsd).toBeLessThan(originals[0].monthly.usd + originals[1].monthly.usd);
    expect(s.projection.steps.map((x) => x.lever)).toEqual(["rightsize", "cache"]);
    // ranked by $/month, call ids kept out of the view
    expect(s.findings.map((f) => f.lever)).toEqual(["rightsize", "cache"]);
    expect(s.findings[0].callCount).toBe(100);
    expect(JSON.stringify(s.findings)).not.toContain("call-42");
    expect(s.counts).toEqual({ open: 2, accepted: 0, dismissed: 0, snoozed: 0 });
  });

  it("dismissing needs a reason; a dismissed finding leaves the waterfall", async () => {
    expect(() => parseDecision({ action: "dismiss", reason: "  " })).toThrow(ValidationError);
    try {
      parseDecision({ action: "dismiss" });
    } catch (err) {
      expect((err as ValidationError).fields).toEqual({ reason: "Reason is required to dismiss a recommendation." });
    }
    const before = await getSavingsSummary(p.projectId, NOW);
    const f = await decideFinding({ projectId: p.projectId, findingId: rightsizeId, decision: parseDecision({ action: "dismiss", reason: "quality matters more" }), actorRole: "MEMBER", now: NOW });
    expect(f.status).toBe("dismissed");
    expect(f.dismissReason).toBe("quality matters more");
    const after = await getSavingsSummary(p.projectId, NOW);
    expect(after.projection.steps.map((x) => x.lever)).toEqual(["cache"]);
    // Alone, the cache saves its full stand-alone figure: more than it did behind the right-size.
    expect(after.projection.savedUsd).toBeCloseTo(originals[1].monthly.usd, 8);
    expect(after.projection.savedUsd).toBeLessThan(before.projection.savedUsd);
    expect(after.projection.projectedMonthlyUsd).toBeGreaterThan(before.projection.projectedMonthlyUsd);
  });

  it("a snooze hides the finding until its date, then it is open again", async () => {
    expect(() => parseDecision({ action: "snooze", until: "2020-01-01" }, NOW)).toThrow(/future/);
    expect(() => parseDecision({ action: "snooze", until: "not a date" }, NOW)).toThrow(/date/);
    const until = new Date(NOW.getTime() + 7 * 86_400_000);
    await decideFinding({ projectId: p.projectId, findingId: cacheId, decision: parseDecision({ action: "snooze", until: until.toISOString() }, NOW), actorRole: "ADMIN", now: NOW });
    const during = await getSavingsSummary(p.projectId, NOW);
    expect(during.projection.steps).toEqual([]);
    expect(during.projection.projectedMonthlyUsd).toBeCloseTo(during.spend.monthlyUsd, 8);
    expect(during.findings.find((f) => f.id === cacheId)!.status).toBe("snoozed");
    const later = new Date(until.getTime() + 3_600_000);
    const afterwards = await getSavingsSummary(p.projectId, later);
    expect(afterwards.findings.find((f) => f.id === cacheId)!.status).toBe("open");
    expect(afterwards.projection.steps.map((x) => x.lever)).toEqual(["cache"]);
  });

  it("a viewer cannot decide; a finding of another project is not found", async () => {
    await expect(decideFinding({ projectId: p.projectId, findingId: cacheId, decision: { action: "accept" }, actorRole: "VIEWER" })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(decideFinding({ projectId: other.projectId, findingId: cacheId, decision: { action: "accept" }, actorRole: "OWNER" })).rejects.toBeInstanceOf(NotFoundError);
    expect((await db.finding.findUniqueOrThrow({ where: { id: cacheId } })).status).toBe("snoozed");
    expect((await getSavingsSummary(other.projectId, NOW)).findings).toEqual([]);
  });

  it("a re-run keeps the dismissal of the same recommendation; reopening sticks across the next run", async () => {
    const monthly = (await currentMonthlySpend(p.projectId, NOW)).monthlyUsd;
    // The next model-fit run finds the same recommendation with a slightly different figure and title.
    await runWith(p.projectId, "modelfit", [lever("rightsize", ids(100), monthly / 200, 0.62, { title: "rightsize, re-measured" })]);
    let s = await getSavingsSummary(p.projectId, NOW);
    const fresh = s.findings.find((f) => f.lever === "rightsize")!;
    expect(fresh.id).not.toBe(rightsizeId);
    expect(fresh.title).toBe("rightsize, re-measured");
    expect(fresh.status).toBe("dismissed");
    expect(fresh.dismissReason).toBe("quality matters more");
    expect(s.findings.filter((f) => f.lever === "rightsize")).toHaveLength(1);

    await decideFinding({ projectId: p.projectId, findingId: fresh.id, decision: { action: "reopen" }, actorRole: "MEMBER", now: NOW });
    await runWith(p.projectId, "modelfit", [lever("rightsize", ids(100), monthly / 200, 0.61)]);
    s = await getSavingsSummary(p.projectId, NOW);
    expect(s.findings.find((f) => f.lever === "rightsize")!.status).toBe("open");
    expect(s.projection.steps[0].lever).toBe("rightsize");
  });

  it("accepting records when, and re-accepting keeps the first moment", async () => {
    const s = await getSavingsSummary(p.projectId, NOW);
    const id = s.findings.find((f) => f.lever === "rightsize")!.id;
    const first = await decideFinding({ projectId: p.projectId, findingId: id, decision: { action: "accept" }, actorRole: "MEMBER", now: NOW });
    expect(first.acceptedAt).toBe(NOW.toISOString());
    const again = await decideFinding({ projectId: p.projectId, findingId: id, decision: { action: "accept" }, actorRole: "MEMBER", now: new Date(NOW.getTime() + 86_400_000) });
    expect(again.acceptedAt).toBe(NOW.toISOString());
    expect(() => parseDecision({ action: "delete" })).toThrow(/Action must be one of/);
  });
});
