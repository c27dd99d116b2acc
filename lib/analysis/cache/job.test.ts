// The cache job against the test database: calls written through ingest, the run row, its findings,
// and a re-run over unchanged data.
import { beforeAll, describe, expect, it } from "vitest";
import { db } from "../../db/client";
import { useTestDatabase } from "../../db/testing";
import type { IngestEvent } from "../../ingest/event";
import { createProjectWithKey, type ProjectFixture } from "../../ingest/test-fixtures";
import { writeEvents } from "../../ingest/writer";
import { banking77Calls } from "../modelfit/datasets";
import { createAnalysisRun } from "../runs";
import type { AnalysisCall } from "../types";
import { parseCacheParams, runCacheAnalysis } from "./job";
import type { CacheReport } from "./types";

useTestDatabase();

let p: ProjectFixture;

function toEvent(c: AnalysisCall): IngestEvent {
  return { id: c.id, timestamp: c.timestamp.toISOString(), provider: c.provider, endpoint: c.endpoint, request: c.request, response: c.response, latency_ms: c.latencyMs ?? 0, tags: { feature: c.feature! } };
}

beforeAll(async () => {
  p = await createProjectWithKey("cache");
  // 400 banking queries, then the first 200 asked again (a support inbox sees the same questions).
  const { test } = banking77Calls({ limitTrain: 0, limitTest: 400 });
  const start = Date.now() - 5 * 86_400_000;
  const repeated = [...test, ...test.slice(0, 200).map((c) => ({ ...c, id: `${c.id}-again` }))].map((c, i) => ({ ...c, timestamp: new Date(start + i * 600_000) }));
  await writeEvents({ projectId: p.projectId, organizationId: p.organizationId, source: "sdk" }, repeated.map(toEvent));
});

async function run(params: Record<string, unknown> = {}) {
  const row = await createAnalysisRun(p.projectId, "cache", params);
  const report = await runCacheAnalysis({ projectId: p.projectId, runId: row.id, params }, undefined, { embedder: null });
  return { report, runId: row.id };
}

describe("runCacheAnalysis", () => {
  it("stores the report and the findings on the run, with the project's tolerance", async () => {
    await db.project.update({ where: { id: p.projectId }, data: { cacheWrongHitTolerance: 0.02 } });
    const { report, runId } = await run({ ttlHours: null });
    const row = await db.analysisRun.findUniqueOrThrow({ where: { id: runId } });
    expect(row.status).toBe("succeeded");
    expect(row.inputHash).toMatch(/^[0-9a-f]{32}$/);
    expect((row.result as unknown as CacheReport).totals.calls).toBe(600);
    expect(report.settings.tolerance).toBe(0.02);
    expect(report.settings.ttlSeconds).toBeNull();
    const group = report.groups[0];
    expect(group.exactDuplicates.hits).toBeGreaterThanOrEqual(200);
    expect(report.findings.length).toBeGreaterThan(0);
    const findings = await db.finding.findMany({ where: { runId, projectId: p.projectId } });
    expect(findings.map((f) => f.lever)).toEqual(report.findings.map(() => "cache"));
    expect(findings[0].monthlySavingsUsd).toBeCloseTo(report.findings[0].monthly.usd, 10);
    expect((findings[0].evidence as { callIds: string[] }).callIds.length).toBeGreaterThanOrEqual(200);
  });

  it("gives the same result on a re-run over unchanged data, and a new one when the data changes", async () => {
    const a = await run({ ttlHours: 24 });
    const b = await run({ ttlHours: 24 });
    const [ra, rb] = await Promise.all([a.runId, b.runId].map((id) => db.analysisRun.findUniqueOrThrow({ where: { id } })));
    expect(rb.inputHash).toBe(ra.inputHash);
    expect(b.report).toEqual(a.report);
    expect(rb.message).toMatch(/reused/);
    const c = await run({ ttlHours: 48 });
    const rc = await db.analysisRun.findUniqueOrThrow({ where: { id: c.runId } });
    expect(rc.inputHash).not.toBe(ra.inputHash);
    // New calls change the hash too.
    const extra = banking77Calls({ limitTrain: 1, limitTest: 0 }).train.map((x) => ({ ...x, id: "late-1", timestamp: new Date(Date.now() - 60_000) }));
    await writeEvents({ projectId: p.projectId, organizationId: p.organizationId, source: "sdk" }, extra.map(toEvent));
    const d = await run({ ttlHours: 24 });
    const rd = await db.analysisRun.findUniqueOrThrow({ where: { id: d.runId } });
    expect(rd.inputHash).not.toBe(ra.inputHash);
    expect(d.report.totals.calls).toBe(601);
  });

  it("refuses bad params, naming the field, and fails the run", async () => {
    expect(() => parseCacheParams({ tolerance: 2 })).toThrow(/params.tolerance/);
    expect(() => parseCacheParams({ thresholds: [0.5, 1.5] })).toThrow(/params.thresholds/);
    expect(() => parseCacheParams({ ttlHours: -1 })).toThrow(/params.ttlHours/);
    expect(() => parseCacheParams({ treshold: 0.9 })).toThrow(/params.treshold/);
    expect(parseCacheParams({ ttlHours: null, feature: "support" })).toMatchObject({ ttlHours: null, feature: "support" });
  });
});
