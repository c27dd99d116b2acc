// The model-fit job against the test database: untested candidates without a credential; with one,
// replays through the loopback fake provider stored as non-production calls, findings persisted.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateEncryptionKey } from "../../crypto/secrets";
import { db } from "../../db/client";
import { useTestDatabase } from "../../db/testing";
import type { IngestEvent } from "../../ingest/event";
import { createProjectWithKey, type ProjectFixture } from "../../ingest/test-fixtures";
import { writeEvents } from "../../ingest/writer";
import { loadCallsForAnalysis } from "../load";
import { listProviderCredentials, saveProviderCredential } from "../replay/credentials";
import { type FakeProvider, startFakeProvider } from "../replay/fake-provider";
import { createAnalysisRun } from "../runs";
import type { AnalysisCall } from "../types";
import type { ModelFitReport } from "./analyse";
import { banking77Calls } from "./datasets";
import { parseModelFitParams, runModelFitAnalysis } from "./job";

useTestDatabase();
process.env.SPENDLENS_ENCRYPTION_KEY ??= generateEncryptionKey();

let p: ProjectFixture;
let fake: FakeProvider;
let logged: AnalysisCall[];

function toEvent(c: AnalysisCall): IngestEvent {
  return { id: c.id, timestamp: c.timestamp.toISOString(), provider: c.provider, endpoint: c.endpoint, request: c.request, response: c.response, latency_ms: c.latencyMs ?? 0, tags: { feature: c.feature! } };
}

beforeAll(async () => {
  p = await createProjectWithKey("modelfit");
  logged = banking77Calls({ limitTrain: 0, limitTest: 300, start: new Date(Date.now() - 5 * 86_400_000), spacingMs: 600_000 }).test;
  await writeEvents({ projectId: p.projectId, organizationId: p.organizationId, source: "sdk" }, logged.map(toEvent));
  const truth = new Map(logged.map((c) => [(c.request.messages as { content: string }[])[1].content, c.outputText!]));
  let k = 0;
  // gpt-4o-mini answers like the log; gpt-4.1-nano gets every 5th answer wrong.
  fake = await startFakeProvider({
    answer: (r) => {
      const label = truth.get(r.lastUserText) ?? "unknown";
      if (r.model === "gpt-4.1-nano") return k++ % 5 === 0 ? "card_arrival_or_something_else" : label;
      return label;
    },
  });
});
afterAll(async () => fake?.close());

async function run(params: Record<string, unknown> = {}): Promise<{ report: ModelFitReport; runId: string }> {
  const row = await createAnalysisRun(p.projectId, "modelfit", params);
  const report = await runModelFitAnalysis({ projectId: p.projectId, runId: row.id, params });
  return { report, runId: row.id };
}

describe("runModelFitAnalysis", () => {
  it("without a credential reports candidates untested and counts no savings", async () => {
    const { report, runId } = await run();
    const g = report.groups.find((x) => x.feature === "support-intent")!;
    expect(g.profile.kind).toBe("classification");
    expect(g.calls).toBe(300);
    expect(g.candidates.length).toBeGreaterThan(0);
    expect(g.candidates.every((c) => c.status === "untested")).toBe(true);
    const findings = await db.finding.findMany({ where: { runId, projectId: p.projectId } });
    expect(findings.length).toBe(1);
    expect(findings[0].monthlySavingsUsd).toBe(0);
    expect(findings[0].savingsHighUsd).toBeGreaterThan(0);
    expect(findings[0].confidence).toBe("low");
  });

  it("refuses replay endpoints the server has not allowed", async () => {
    delete process.env.PROXY_UPSTREAM_ALLOWLIST;
    await expect(saveProviderCredential(p.projectId, { name: "Fake", provider: "openai", baseUrl: fake.openaiBaseUrl, apiKey: "sk-fake-secret-1234" })).rejects.toThrow(
      /baseUrl .* allow-list/,
    );
  });

  it("with a credential replays within budget, stores replays as non-production calls, and recommends what agrees", async () => {
    // The server admin allows the loopback endpoint exactly (as for the proxy's upstreams).
    process.env.PROXY_UPSTREAM_ALLOWLIST = new URL(fake.openaiBaseUrl).origin;
    await saveProviderCredential(p.projectId, { name: "Fake OpenAI", provider: "openai", baseUrl: fake.openaiBaseUrl, apiKey: "sk-fake-secret-1234" });
    const usageBefore = await db.usageHourly.aggregate({ where: { projectId: p.projectId }, _sum: { requests: true, costUsd: true } });
    const { report, runId } = await run({ budgetUsd: 1, sampleSize: 100, onlyModels: ["gpt-4o-mini", "gpt-4.1-nano"] });
    const g = report.groups.find((x) => x.feature === "support-intent")!;
    const mini = g.candidates.find((c) => c.model === "gpt-4o-mini")!;
    const nano = g.candidates.find((c) => c.model === "gpt-4.1-nano")!;
    expect(mini.status).toBe("recommended");
    expect(mini.test!.agreed).toBe(100);
    expect(nano.status).toBe("does_not_fit");
    expect(nano.test!.disagreements.length).toBeGreaterThan(0);
    expect(report.replaySpentUsd).toBeGreaterThan(0);
    expect(report.replaySpentUsd).toBeLessThanOrEqual(1);

    // Replays are stored, tagged with the run, and never production spend.
    const replays = await db.call.findMany({ where: { projectId: p.projectId, replayRunId: runId } });
    expect(replays).toHaveLength(200);
    expect(replays.every((r) => r.source === "replay")).toBe(true);
    expect(new Set(replays.map((r) => r.model))).toEqual(new Set(["gpt-4o-mini", "gpt-4.1-nano"]));
    const usageAfter = await db.usageHourly.aggregate({ where: { projectId: p.projectId }, _sum: { requests: true, costUsd: true } });
    expect(usageAfter._sum.requests).toBe(usageBefore._sum.requests);
    expect(usageAfter._sum.costUsd).toBe(usageBefore._sum.costUsd);
    expect(await loadCallsForAnalysis(p.projectId)).toHaveLength(300);

    const runRow = await db.analysisRun.findUniqueOrThrow({ where: { id: runId } });
    expect(runRow.status).toBe("succeeded");
    expect(runRow.costUsd).toBeCloseTo(report.replaySpentUsd, 10);
    const findings = await db.finding.findMany({ where: { runId } });
    expect(findings).toHaveLength(1);
    expect(findings[0].lever).toBe("rightsize");
    expect(findings[0].title).toMatch(/gpt-4o-mini/);
    expect(findings[0].monthlySavingsUsd).toBeGreaterThan(0);
    expect(findings[0].monthlySavingsUsd).toBeCloseTo(mini.savings!.usd, 8);
  });

  it("never shows or stores the key in clear", async () => {
    const views = await listProviderCredentials(p.projectId);
    expect(views[0]).toMatchObject({ provider: "openai", keyLast4: "1234" });
    expect(JSON.stringify(views)).not.toContain("sk-fake-secret");
    const row = await db.providerCredential.findFirstOrThrow({ where: { projectId: p.projectId } });
    expect(row.encryptedKey).not.toContain("sk-fake-secret");
    expect(fake.requests.at(-1)!.authorization).toBe("Bearer sk-fake-secret-1234");
    await expect(saveProviderCredential(p.projectId, { name: "x", provider: "openai", baseUrl: "http://user:pw@host/v1", apiKey: "sk-aaaaaaaa" })).rejects.toThrow(/baseUrl/);
    await expect(saveProviderCredential(p.projectId, { name: "x", provider: "openai", baseUrl: "", apiKey: "short" })).rejects.toThrow(/apiKey/);
  });

  it("rejects bad params naming the field", () => {
    expect(() => parseModelFitParams({ budgetUsd: -1 })).toThrow(/params.budgetUsd/);
    expect(() => parseModelFitParams({ sampleSize: 3 })).toThrow(/params.sampleSize/);
    expect(() => parseModelFitParams({ summaryComparison: "judge" })).toThrow(/params.judge/);
  });
});
