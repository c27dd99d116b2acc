// The bloat job end to end on the real database: calls written through ingest, the run row, findings,
// and (with a provider credential pointing at a loopback fake) the replay check and stored replays.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateEncryptionKey } from "../../crypto/secrets";
import { db } from "../../db/client";
import { useTestDatabase } from "../../db/testing";
import type { IngestEvent } from "../../ingest/event";
import { createProjectWithKey, type ProjectFixture } from "../../ingest/test-fixtures";
import { writeEvents } from "../../ingest/writer";
import { countTokens } from "../../tokens/count";
import { loadCallsForAnalysis } from "../load";
import { saveProviderCredential } from "../replay/credentials";
import { startFakeProvider, type FakeProvider } from "../replay/fake-provider";
import { createAnalysisRun } from "../runs";
import type { AnalysisCall } from "../types";
import { analyseBloat } from "./analyse";
import { supportClassifierCalls, supportClassifierPrompt } from "./fixtures";
import { parseBloatParams, runBloatAnalysis } from "./job";
import { REWRITE_INSTRUCTIONS } from "./rewrite";

useTestDatabase();

const calls = supportClassifierCalls({ limit: 150, start: new Date("2026-11-20T08:00:00Z") });
const labelOf = new Map(calls.map((c) => [(c.request.messages as Array<{ content: string }>)[1].content, c.outputText!]));

function toEvent(c: AnalysisCall): IngestEvent {
  return { id: c.id, timestamp: c.timestamp.toISOString(), provider: c.provider, endpoint: c.endpoint, request: c.request, response: c.response, latency_ms: 400, tags: { feature: c.feature! } };
}

let plain: ProjectFixture;
let checked: ProjectFixture;
let fake: FakeProvider;
const savedKey = process.env.SPENDLENS_ENCRYPTION_KEY;

beforeAll(async () => {
  process.env.SPENDLENS_ENCRYPTION_KEY ??= generateEncryptionKey();
  // The fake answers classification replays from the data set, and rewrite requests with the
  // deterministic candidate minus one more sentence.
  const deterministic = analyseBloat(calls).groups[0].candidates[0].text;
  fake = await startFakeProvider({
    answer: (req) => {
      const system = (req.body.messages as Array<{ content: string }>)[0].content;
      if (system === REWRITE_INSTRUCTIONS) return deterministic.replace(/Customers write in English[^\n]*\n/, "");
      return labelOf.get(req.lastUserText) ?? "unknown";
    },
  });
  plain = await createProjectWithKey("bloat");
  checked = await createProjectWithKey("bloat-verify");
  for (const p of [plain, checked]) await writeEvents({ projectId: p.projectId, organizationId: p.organizationId, source: "sdk" }, calls.map(toEvent));
  // Replay endpoints must be a known provider or allow-listed: the loopback fake is allow-listed here.
  process.env.PROXY_UPSTREAM_ALLOWLIST = new URL(fake.openaiBaseUrl).origin;
  await saveProviderCredential(checked.projectId, { name: "fake", provider: "openai", baseUrl: fake.openaiBaseUrl, apiKey: "sk-test-verify-1234" });
});

afterAll(async () => {
  delete process.env.PROXY_UPSTREAM_ALLOWLIST;
  await fake.close();
  if (savedKey === undefined) delete process.env.SPENDLENS_ENCRYPTION_KEY;
});

describe("runBloatAnalysis", () => {
  it("stores the report and an unverified compress finding when no provider is configured", async () => {
    const run = await createAnalysisRun(plain.projectId, "bloat");
    const report = await runBloatAnalysis({ projectId: plain.projectId, runId: run.id });
    const row = await db.analysisRun.findUniqueOrThrow({ where: { id: run.id } });
    expect(row.status).toBe("succeeded");
    expect(row.progress).toBe(1);
    expect(row.inputHash).toMatch(/^[0-9a-f]{32}$/);
    const g = report.groups[0];
    expect(g.calls).toBe(150);
    expect(g.staticTokens).toBe(countTokens(supportClassifierPrompt().text, "gpt-4o").tokens);
    expect(g.candidates[0].verification.status).toBe("unverified");
    const findings = await db.finding.findMany({ where: { runId: run.id, projectId: plain.projectId } });
    expect(findings.map((f) => f.lever)).toEqual(["compress"]);
    expect(findings[0].monthlySavingsUsd).toBeCloseTo(g.candidates[0].monthly.usd, 9);
    expect(findings[0].confidence).toBe("low");
    expect((findings[0].evidence as { recommended: boolean }).recommended).toBe(false);
    expect(fake.requests).toHaveLength(0);
  });

  it("verifies the candidate by replay with the project's credential, storing replays apart from production calls", async () => {
    const run = await createAnalysisRun(checked.projectId, "bloat", { sampleSize: 90, replayBudgetUsd: 3 });
    const report = await runBloatAnalysis({ projectId: checked.projectId, runId: run.id, params: { sampleSize: 90, replayBudgetUsd: 3 } });
    const v = report.groups[0].candidates[0].verification;
    expect(v.status).toBe("verified");
    expect(fake.requests).toHaveLength(90);
    const row = await db.analysisRun.findUniqueOrThrow({ where: { id: run.id } });
    expect(row.costUsd).toBeGreaterThan(0);
    expect(row.costUsd).toBeLessThanOrEqual(3);
    const finding = await db.finding.findFirstOrThrow({ where: { runId: run.id, lever: "compress" } });
    expect(finding.confidence).toBe("high");
    const replays = await db.call.count({ where: { projectId: checked.projectId, replayRunId: run.id } });
    expect(replays).toBe(90);
    // Replays never come back as production calls.
    expect(await loadCallsForAnalysis(checked.projectId)).toHaveLength(150);
    // Another project's run id is refused.
    await expect(runBloatAnalysis({ projectId: plain.projectId, runId: run.id })).rejects.toThrow(/not found in project/);
  });

  it("adds a model rewrite as a second candidate and verifies both", async () => {
    const before = fake.requests.length;
    const params = { sampleSize: 80, replayBudgetUsd: 4, rewriteModel: "gpt-4o-mini" };
    const run = await createAnalysisRun(checked.projectId, "bloat", params);
    const report = await runBloatAnalysis({ projectId: checked.projectId, runId: run.id, params });
    const [det, model] = report.groups[0].candidates;
    expect(det.method).toBe("deterministic");
    expect(model.method).toBe("model");
    expect(model.tokens).toBeLessThan(det.tokens);
    expect(model.constraints!.missing).toEqual([]);
    expect(model.verification.status).toBe("verified");
    expect(fake.requests.length - before).toBe(1 + 80 + 80);
    const finding = await db.finding.findFirstOrThrow({ where: { runId: run.id, lever: "compress" } });
    expect((finding.evidence as { method: string }).method).toBe("model");
  });

  it("names the field of bad params", () => {
    expect(() => parseBloatParams({ since: "yesterday" })).toThrow("params.since");
    expect(() => parseBloatParams({ sampleSize: 0 })).toThrow("params.sampleSize");
    expect(() => parseBloatParams({ replayBudgetUsd: -1 })).toThrow("params.replayBudgetUsd");
    expect(parseBloatParams({ verify: false, rewriteModel: "gpt-4o-mini" })).toEqual({ verify: false, rewriteModel: "gpt-4o-mini" });
  });
});
