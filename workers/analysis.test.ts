// The analysis path end to end: demo traffic stored through the ingest writer, runs started like the
// savings page does, executed by the in-process job runner with the production handler map.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "../lib/db/client";
import { useTestDatabase } from "../lib/db/testing";
import { loadDemoData } from "../lib/demo/load";
import { startAnalysisRun } from "../lib/analysis/schedule";
import { startInProcessRunner, type InProcessRunner } from "../lib/queue/inprocess";
import { handlers } from "./registry";

useTestDatabase();
let project = { projectId: "", organizationId: "" };
let runner: InProcessRunner;

beforeAll(async () => {
  delete process.env.REDIS_URL;
  const org = await db.organization.create({ data: { name: "A", slug: `a-${Date.now()}` } });
  const p = await db.project.create({ data: { organizationId: org.id, name: "Demo", slug: "demo" } });
  project = { projectId: p.id, organizationId: org.id };
  await loadDemoData(project, { count: 3000, seed: 11, end: new Date("2026-12-01T00:00:00Z") });
  runner = startInProcessRunner({ handlers, pollMs: 50 });
}, 180_000);

afterAll(async () => {
  await runner?.stop();
});

async function finished(runId: string) {
  for (let i = 0; i < 1200; i++) {
    const run = await db.analysisRun.findUniqueOrThrow({ where: { id: runId } });
    if (run.status === "succeeded" || run.status === "failed") return run;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("analysis run did not finish in time");
}

describe("analysis runs through the queue", () => {
  it.each(["batch", "bloat"] as const)("%s: runs to completion and stores findings with dollar figures", async (kind) => {
    const run = await startAnalysisRun(project.projectId, kind);
    const done = await finished(run.id);
    expect(done.error).toBeNull();
    expect(done.status).toBe("succeeded");
    expect(done.progress).toBe(1);
    const findings = await db.finding.findMany({ where: { runId: run.id } });
    expect(findings.length).toBeGreaterThan(0);
    for (const f of findings) {
      expect(f.projectId).toBe(project.projectId);
      expect(f.monthlySavingsUsd).toBeGreaterThan(0);
      expect(f.savingsLowUsd!).toBeLessThanOrEqual(f.monthlySavingsUsd);
      expect(f.savingsHighUsd!).toBeGreaterThanOrEqual(f.monthlySavingsUsd);
    }
    // The demo's nightly summariser is the batch candidate; its classifier prompt is the bloated one.
    const scopes = findings.map((f) => JSON.stringify(f.scope));
    expect(scopes.join(" ")).toContain(kind === "batch" ? "nightly-summary" : "support-classifier");
  }, 240_000);
});
