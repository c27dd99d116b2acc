// The batch job on the real database: events through ingest, a nightly job and interactive chat.
import { beforeAll, describe, expect, it } from "vitest";
import { db } from "../../db/client";
import { useTestDatabase } from "../../db/testing";
import { createProjectWithKey, openAIChatEvent, type ProjectFixture } from "../../ingest/test-fixtures";
import { writeEvents } from "../../ingest/writer";
import { createAnalysisRun } from "../runs";
import { parseBatchParams, runBatchAnalysis } from "./job";

useTestDatabase();

let p: ProjectFixture;
const T0 = Date.UTC(2026, 10, 16);

beforeAll(async () => {
  p = await createProjectWithKey("batch");
  const events = [];
  // Three nights of a job: 40 calls, 1.5 s apart, at 03:00; no user, no session.
  for (let d = 0; d < 3; d++)
    for (let i = 0; i < 40; i++)
      events.push(openAIChatEvent({ id: `job-${d}-${i}`, timestamp: new Date(T0 + d * 86_400_000 + 3 * 3_600_000 + i * 1500).toISOString(), tags: { feature: "digest-writer" } }));
  // Interactive: one call every 20 minutes in the day, with a user and session.
  for (let d = 0; d < 3; d++)
    for (let i = 0; i < 30; i++)
      events.push(openAIChatEvent({ id: `chat-${d}-${i}`, timestamp: new Date(T0 + d * 86_400_000 + 9 * 3_600_000 + i * 1_200_000).toISOString(), tags: { feature: "support", user: `u${i}`, session: `s${d}-${i}` } }));
  await writeEvents({ projectId: p.projectId, organizationId: p.organizationId, source: "sdk" }, events);
});

describe("runBatchAnalysis", () => {
  it("stores a batch finding for the nightly job only", async () => {
    const run = await createAnalysisRun(p.projectId, "batch");
    const report = await runBatchAnalysis({ projectId: p.projectId, runId: run.id });
    expect((await db.analysisRun.findUniqueOrThrow({ where: { id: run.id } })).status).toBe("succeeded");
    const findings = await db.finding.findMany({ where: { runId: run.id, projectId: p.projectId } });
    expect(findings).toHaveLength(1);
    expect(findings[0].lever).toBe("batch");
    expect(findings[0].scope).toMatchObject({ feature: "digest-writer" });
    expect((findings[0].evidence as { callIds: string[] }).callIds).toHaveLength(120);
    expect(findings[0].monthlySavingsUsd).toBeGreaterThan(0);
    expect(report.groups.find((g) => g.feature === "support")!.eligible).toBe(0);
  });

  it("refuses a run of another kind and names bad params", async () => {
    const run = await createAnalysisRun(p.projectId, "bloat");
    await expect(runBatchAnalysis({ projectId: p.projectId, runId: run.id })).rejects.toThrow(/not batch/);
    expect(() => parseBatchParams({ minCalls: 0 })).toThrow("params.minCalls");
  });
});
