// Distilled models in the database and answerLocally as the proxy will call it; the job end to end.
import { beforeAll, describe, expect, it } from "vitest";
import { db } from "../../db/client";
import { useTestDatabase } from "../../db/testing";
import type { IngestEvent } from "../../ingest/event";
import { createProjectWithKey, type ProjectFixture } from "../../ingest/test-fixtures";
import { writeEvents } from "../../ingest/writer";
import { banking77Calls, BANKING77_SYSTEM } from "../modelfit/datasets";
import { staticPromptHash } from "../modelfit/groups";
import { createAnalysisRun } from "../runs";
import type { AnalysisCall } from "../types";
import type { DistilledArtifact } from "./artifact";
import { runDistillAnalysis, parseDistillParams } from "./job";
import { listDistilledModels, saveDistilledModel, setDistilledModelEnabled } from "./models";
import { answerLocally, clearDistilledModelCache } from "./serve";
import { trainDistilled } from "./train";

useTestDatabase();

let p: ProjectFixture;
let other: ProjectFixture;
let artifact: DistilledArtifact;
const chat = (text: string, extra: Record<string, unknown> = {}) => ({
  model: "gpt-4o",
  messages: [
    { role: "system", content: BANKING77_SYSTEM },
    { role: "user", content: text },
  ],
  ...extra,
});

function toEvent(c: AnalysisCall): IngestEvent {
  return { id: c.id, timestamp: c.timestamp.toISOString(), provider: c.provider, endpoint: c.endpoint, request: c.request, response: c.response, latency_ms: c.latencyMs ?? 0, tags: { feature: c.feature! } };
}

beforeAll(async () => {
  p = await createProjectWithKey("distill");
  other = await createProjectWithKey("distill-other");
  const { train } = banking77Calls({ limitTrain: 3000, limitTest: 0 });
  const examples = train.map((c) => ({ id: c.id, timestamp: c.timestamp, text: (c.request.messages as { content: string }[])[1].content, label: c.outputText!, answer: c.outputText! }));
  artifact = (await trainDistilled(examples, { train: { epochs: 4 }, meta: { feature: "support-intent", promptHash: staticPromptHash(train[0]), sourceModel: "gpt-4o" } })).artifact;
  artifact.threshold = 0.5;
}, 120_000);

describe("answerLocally", () => {
  it("forwards everything until an admin enables a model, answers confident calls at $0 once enabled, and forwards again when disabled", async () => {
    const saved = await saveDistilledModel(p.projectId, artifact, { note: "test" });
    expect(saved).toMatchObject({ feature: "support-intent", version: 1, enabled: false });
    const never = () => 0.99; // no audit draw
    expect(await answerLocally(p.projectId, "support-intent", chat("My card has still not arrived, where is it?"), { random: never })).toEqual({ answered: false, reason: "no_model" });

    expect(await setDistilledModelEnabled(other.projectId, saved.id, true)).toBe(false); // another project cannot touch it
    expect(await setDistilledModelEnabled(p.projectId, saved.id, true)).toBe(true);
    const local = await answerLocally(p.projectId, "support-intent", chat("My card has still not arrived, where is it?"), { random: never });
    expect(local.answered).toBe(true);
    if (!local.answered) return;
    expect(local.label).toBe("card_arrival");
    expect(local.tags.distilled).toBe(`${saved.id}@v1`);
    const body = local.response as { model: string; choices: { message: { content: string } }[]; usage: { prompt_tokens: number } };
    expect(body.model).toBe("gpt-4o");
    expect(body.choices[0].message.content).toBe("card_arrival");
    expect(body.usage.prompt_tokens).toBe(0);

    // Logged as the proxy would log it: priced at $0, tagged as answered locally.
    await writeEvents({ projectId: p.projectId, organizationId: p.organizationId, source: "proxy" }, [
      { id: "local-1", timestamp: new Date().toISOString(), provider: "openai", endpoint: "/v1/chat/completions", request: chat("My card has still not arrived, where is it?"), response: local.response, latency_ms: 1, tags: { feature: "support-intent", ...local.tags } },
    ]);
    const row = await db.call.findUniqueOrThrow({ where: { projectId_eventId: { projectId: p.projectId, eventId: "local-1" } } });
    expect(row.costUsd).toBe(0);
    expect((row.tags as Record<string, string>).distilled).toBe(`${saved.id}@v1`);

    // Other projects and other features are untouched.
    expect((await answerLocally(other.projectId, "support-intent", chat("My card has still not arrived"))).answered).toBe(false);
    expect((await answerLocally(p.projectId, "billing", chat("My card has still not arrived"))).answered).toBe(false);

    // Unlike anything seen, another system prompt, streams and tool calls go upstream.
    expect(await answerLocally(p.projectId, "support-intent", chat("Write a sonnet about the sea in iambic pentameter"), { random: never })).toMatchObject({ answered: false, reason: "out_of_distribution" });
    expect(await answerLocally(p.projectId, "support-intent", { model: "gpt-4o", messages: [{ role: "system", content: "other" }, { role: "user", content: "where is my card" }] })).toMatchObject({ reason: "prompt_mismatch" });
    expect(await answerLocally(p.projectId, "support-intent", chat("where is my card", { stream: true }))).toMatchObject({ reason: "unsupported_request" });
    // The audit share forwards a confident call anyway, saying what the model would have answered.
    expect(await answerLocally(p.projectId, "support-intent", chat("My card has still not arrived, where is it?"), { random: () => 0 })).toEqual({ answered: false, reason: "audit", tags: { distilled_audit: "card_arrival" } });
    // Anthropic requests get an Anthropic-shaped answer.
    const anthropic = await answerLocally(p.projectId, "support-intent", { model: "claude-x", system: BANKING77_SYSTEM, max_tokens: 20, messages: [{ role: "user", content: "My card has still not arrived, where is it?" }] }, { random: never });
    expect(anthropic.answered && (anthropic.response as { type: string }).type).toBe("message");

    expect(await setDistilledModelEnabled(p.projectId, saved.id, false)).toBe(true);
    expect(await answerLocally(p.projectId, "support-intent", chat("My card has still not arrived, where is it?"), { random: never })).toEqual({ answered: false, reason: "no_model" });
  });

  it("keeps one enabled version per feature", async () => {
    const v2 = await saveDistilledModel(p.projectId, artifact, {});
    const v3 = await saveDistilledModel(p.projectId, artifact, {});
    expect([v2.version, v3.version]).toEqual([2, 3]);
    await setDistilledModelEnabled(p.projectId, v2.id, true);
    await setDistilledModelEnabled(p.projectId, v3.id, true);
    const models = await listDistilledModels(p.projectId, "support-intent");
    expect(models.filter((m) => m.enabled).map((m) => m.version)).toEqual([3]);
    clearDistilledModelCache();
    const a = await answerLocally(p.projectId, "support-intent", chat("My card has still not arrived, where is it?"), { random: () => 0.99 });
    expect(a.answered && a.version).toBe(3);
    await setDistilledModelEnabled(p.projectId, v3.id, false);
  });
});

describe("runDistillAnalysis", () => {
  it("trains on the stored calls, saves a disabled model version and reports a distill finding", async () => {
    const proj = await createProjectWithKey("distill-job");
    await db.project.update({ where: { id: proj.projectId }, data: { agreementTarget: 0.9 } });
    const { train, test } = banking77Calls({ limitTrain: 2400, limitTest: 800, start: new Date(Date.now() - 10 * 86_400_000), spacingMs: 200_000 });
    const calls = [...train, ...test];
    for (let i = 0; i < calls.length; i += 500) {
      await writeEvents({ projectId: proj.projectId, organizationId: proj.organizationId, source: "sdk" }, calls.slice(i, i + 500).map(toEvent));
    }
    const run = await createAnalysisRun(proj.projectId, "distill", {});
    const report = await runDistillAnalysis({ projectId: proj.projectId, runId: run.id, params: { testShare: 0.25 } });
    const g = report.groups[0];
    expect(g.eligible).toBe(true);
    expect(g.evaluation!.recommended).toBe(true);
    const models = await listDistilledModels(proj.projectId);
    expect(models).toHaveLength(1);
    expect(models[0]).toMatchObject({ feature: "support-intent", version: 1, enabled: false });
    const findings = await db.finding.findMany({ where: { runId: run.id } });
    expect(findings).toHaveLength(1);
    expect(findings[0].lever).toBe("distill");
    expect((findings[0].howToApply as { settings: { distilledModelId: string } }).settings.distilledModelId).toBe(models[0].id);
    expect(findings[0].monthlySavingsUsd).toBeGreaterThan(0);
    expect(() => parseDistillParams({ auditShare: 2 })).toThrow(/params.auditShare/);
  }, 300_000);
});
