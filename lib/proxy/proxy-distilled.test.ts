// Issue 9 through the proxy: a distilled model trained on real Banking77 calls answers a feature's
// confident calls itself once an admin enables it ($0, no upstream request), and everything else keeps
// going to the (loopback fake) upstream, with the official `openai` and `@anthropic-ai/sdk` clients.
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { beforeAll, describe, expect, it, vi } from "vitest";
import type { DistilledArtifact } from "../analysis/distill/artifact";
import { predictDistilled } from "../analysis/distill/artifact";
import { saveDistilledModel, setDistilledModelEnabled } from "../analysis/distill/models";
import { evaluateDistillation } from "../analysis/distill/train";
import { banking77Calls, BANKING77_SYSTEM } from "../analysis/modelfit/datasets";
import { staticPromptHash } from "../analysis/modelfit/groups";
import { createApiKey } from "../auth/api-keys";
import { db } from "../db/client";
import { seededRandom } from "../stats/random";
import { FAKE_REPLY } from "./fake-upstream";
import { loggedCalls, useProxyTestKit, type ProxyTestKit } from "./test-kit";

const FEATURE = "support-intent";
const MODEL = "gpt-4o";
const AUDIT_SHARE = 0.1;
const CACHE_TTL_MS = 300;

// The audit draws: "never audit" unless a test installs a seeded sequence; every draw is recorded.
let nextDraw: () => number = () => 0.99;
const draws: number[] = [];
const kit = useProxyTestKit({
  distilledAuditShare: AUDIT_SHARE,
  distilledRandom: () => {
    const d = nextDraw();
    draws.push(d);
    return d;
  },
  distilledModelsTtlMs: CACHE_TTL_MS,
});

let artifact: DistilledArtifact;
let modelId: string;
/** Future (test split) queries the model answers at its threshold, with its label; and ones it does not. */
let confident: { text: string; label: string }[];
let unsure: string[];

const chat = (text: string, extra: Record<string, unknown> = {}) => ({
  model: MODEL,
  messages: [
    { role: "system" as const, content: BANKING77_SYSTEM },
    { role: "user" as const, content: text },
  ],
  ...extra,
});

function openai(k: ProxyTestKit, opts: { key?: string; feature?: string } = {}) {
  return new OpenAI({
    apiKey: "sk-proj-TESTprovider0123456789abcdef",
    baseURL: `${k.proxyUrl}/proxy/openai/v1`,
    defaultHeaders: { "x-spendlens-key": opts.key ?? k.key, "x-spendlens-feature": opts.feature ?? FEATURE },
    maxRetries: 0,
    timeout: 10_000,
  });
}
const session = (name: string) => ({ headers: { "x-spendlens-session": name } });
const upstreamTexts = (k: ProxyTestKit, from: number) =>
  k.upstream.requests.slice(from).map((r) => ((r.body?.messages as { content: string }[] | undefined) ?? []).at(-1)?.content);
const tagsOf = (row: { tags: unknown }) => (row.tags ?? {}) as Record<string, string>;

beforeAll(async () => {
  const k = kit();
  // Past calls of the feature (their answers are the LLM's intent labels), trained and calibrated the
  // way the distill job does it; the future (test split) is what the proxy will see.
  const { train, test } = banking77Calls({ limitTrain: 2000, limitTest: 300 });
  const examples = train.map((c) => {
    const text = (c.request.messages as { content: string }[])[1].content;
    return { id: c.id, timestamp: c.timestamp, text, label: c.outputText!, answer: c.outputText! };
  });
  ({ artifact } = await evaluateDistillation(examples, {
    agreementTarget: 0.85,
    bootstrapIterations: 50,
    meta: { feature: FEATURE, promptHash: staticPromptHash(train[0]), sourceModel: MODEL },
  }));
  expect(artifact.threshold).toBeLessThan(1); // a threshold was found on the rolling-origin validation
  modelId = (await saveDistilledModel(k.projectId, artifact, { note: "proxy test" })).id;

  confident = [];
  unsure = [];
  for (const c of test) {
    const text = (c.request.messages as { content: string }[])[1].content;
    const p = predictDistilled(artifact, chat(text));
    if (p) confident.push({ text, label: p.label });
    else unsure.push(text);
  }
  confident = confident.slice(0, 12);
  unsure = unsure.slice(0, 8);
  expect(confident).toHaveLength(12);
  expect(unsure).toHaveLength(8);
}, 300_000);

describe("proxy answering with a distilled model", () => {
  it("forwards every call while the model is not enabled (off by default)", async () => {
    const k = kit();
    k.upstream.respond(null);
    const before = k.upstream.requests.length;
    for (const { text } of confident.slice(0, 3)) {
      const res = await openai(k).chat.completions.create(chat(text), session("off"));
      expect(res.choices[0].message.content).toBe(FAKE_REPLY);
    }
    expect(k.upstream.requests.length - before).toBe(3);
    const rows = await loggedCalls(k, "off", 3);
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      expect(tagsOf(row).distilled).toBeUndefined();
      expect(row.costUsd).toBeGreaterThan(0);
    }
    expect(draws).toHaveLength(0);
  });

  it("once enabled, answers confident calls locally ($0, no upstream request, logged once) and forwards the others", async () => {
    const k = kit();
    expect(await setDistilledModelEnabled(k.projectId, modelId, true)).toBe(true);
    const before = k.upstream.requests.length;
    const answeredBefore = k.proxy.handler.stats().distilled.answered;
    const sonnet = "Write a sonnet about the sea in iambic pentameter";
    // Interleaved, as real traffic would be.
    const texts = [...confident.map((c) => c.text), ...unsure, sonnet].sort((a, b) => (a.length % 7) - (b.length % 7));
    const replies = new Map<string, { content: string | null; model: string; promptTokens: number | undefined; distilledHeader: string | null }>();
    for (const text of texts) {
      const { data, response } = await openai(k).chat.completions.create(chat(text), session("enabled")).withResponse();
      replies.set(text, { content: data.choices[0].message.content, model: data.model, promptTokens: data.usage?.prompt_tokens, distilledHeader: response.headers.get("x-spendlens-distilled") });
    }

    // Only the calls the model is not sure about (and the one unlike anything it saw) reached the LLM.
    expect(upstreamTexts(k, before).sort()).toEqual([...unsure, sonnet].sort());
    for (const { text, label } of confident) {
      expect(replies.get(text)).toEqual({ content: label, model: MODEL, promptTokens: 0, distilledHeader: `${modelId}@v1` });
    }
    for (const text of [...unsure, sonnet]) expect(replies.get(text)).toMatchObject({ content: FAKE_REPLY, distilledHeader: null });
    expect(k.proxy.handler.stats().distilled.answered - answeredBefore).toBe(confident.length);

    const rows = await loggedCalls(k, "enabled", texts.length);
    expect(rows).toHaveLength(texts.length);
    const local = rows.filter((r) => tagsOf(r).distilled);
    expect(local).toHaveLength(confident.length);
    for (const row of local) {
      const text = (row.request as { messages: { content: string }[] }).messages.at(-1)!.content;
      expect(row).toMatchObject({ source: "proxy", status: 200, feature: FEATURE, provider: "openai", endpoint: "/v1/chat/completions", model: MODEL, inputTokens: 0, outputTokens: 0, costUsd: 0 });
      expect(tagsOf(row).distilled).toBe(`${modelId}@v1`);
      expect(row.outputText).toBe(confident.find((c) => c.text === text)!.label);
    }
    for (const row of rows.filter((r) => !tagsOf(r).distilled)) {
      expect(row.outputText).toBe(FAKE_REPLY);
      expect(row.costUsd).toBeGreaterThan(0);
      expect(tagsOf(row).distilled_audit).toBeUndefined();
    }
  });

  it("answers Anthropic Messages calls in the Messages format", async () => {
    const k = kit();
    const before = k.upstream.requests.length;
    const anthropic = new Anthropic({
      apiKey: "sk-ant-api03-TESTprovider0123456789",
      baseURL: `${k.proxyUrl}/proxy/anthropic`,
      defaultHeaders: { "x-spendlens-key": k.key, "x-spendlens-feature": FEATURE, "x-spendlens-session": "anthropic" },
      maxRetries: 0,
    });
    const { text, label } = confident[0];
    const message = await anthropic.messages.create({ model: "claude-3-5-haiku-20241022", max_tokens: 20, system: BANKING77_SYSTEM, messages: [{ role: "user", content: text }] });
    expect(message.content).toEqual([{ type: "text", text: label }]);
    expect(message.usage).toMatchObject({ input_tokens: 0, output_tokens: 0 });
    expect(k.upstream.requests.length).toBe(before);
    const rows = await loggedCalls(k, "anthropic");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ provider: "anthropic", endpoint: "/v1/messages", costUsd: 0, outputText: label });
    expect(tagsOf(rows[0]).distilled).toBe(`${modelId}@v1`);
  });

  it("sends a random share of confident calls to the LLM anyway (audit), tagged with the model's answer", async () => {
    const k = kit();
    const before = k.upstream.requests.length;
    draws.length = 0;
    nextDraw = seededRandom("proxy-audit");
    const sent = [...confident, ...confident, ...confident];
    const contents: (string | null)[] = [];
    try {
      for (const { text } of sent) contents.push((await openai(k).chat.completions.create(chat(text), session("audit"))).choices[0].message.content);
    } finally {
      nextDraw = () => 0.99;
    }
    // One draw per confident call; a call is audited exactly when its draw falls under the share.
    expect(draws).toHaveLength(sent.length);
    const audited = draws.map((d) => d < AUDIT_SHARE);
    const auditedCount = audited.filter(Boolean).length;
    expect(auditedCount).toBeGreaterThan(0);
    expect(auditedCount).toBeLessThan(sent.length / 3);
    expect(upstreamTexts(k, before)).toEqual(sent.filter((_, i) => audited[i]).map((c) => c.text));
    sent.forEach((c, i) => expect(contents[i]).toBe(audited[i] ? FAKE_REPLY : c.label));

    const rows = await loggedCalls(k, "audit", sent.length);
    expect(rows).toHaveLength(sent.length);
    const auditRows = rows.filter((r) => tagsOf(r).distilled_audit);
    expect(auditRows).toHaveLength(auditedCount);
    for (const row of auditRows) {
      const text = (row.request as { messages: { content: string }[] }).messages.at(-1)!.content;
      expect(tagsOf(row).distilled_audit).toBe(confident.find((c) => c.text === text)!.label);
      expect(tagsOf(row).distilled).toBeUndefined();
      expect(row.outputText).toBe(FAKE_REPLY);
      expect(row.costUsd).toBeGreaterThan(0);
    }
    expect(rows.filter((r) => tagsOf(r).distilled)).toHaveLength(sent.length - auditedCount);
  });

  it("always forwards streams, tool calls, legacy functions and n > 1", async () => {
    const k = kit();
    const before = k.upstream.requests.length;
    const drawsBefore = draws.length;
    const { text } = confident[1];
    const stream = await openai(k).chat.completions.create({ ...chat(text), stream: true }, session("unsupported"));
    let streamed = "";
    for await (const chunk of stream) streamed += chunk.choices[0]?.delta?.content ?? "";
    expect(streamed).toBe(FAKE_REPLY);
    const tool = { type: "function" as const, function: { name: "route_ticket", parameters: { type: "object", properties: {} } } };
    const withTools = await openai(k).chat.completions.create({ ...chat(text), tools: [tool] }, session("unsupported"));
    expect(withTools.choices[0].message.content).toBe(FAKE_REPLY);
    const withFunctions = await openai(k).chat.completions.create({ ...chat(text), functions: [tool.function] }, session("unsupported"));
    expect(withFunctions.choices[0].message.content).toBe(FAKE_REPLY);
    const several = await openai(k).chat.completions.create({ ...chat(text), n: 2 }, session("unsupported"));
    expect(several.choices[0].message.content).toBe(FAKE_REPLY);

    expect(k.upstream.requests.length - before).toBe(4);
    expect(draws.length).toBe(drawsBefore);
    const rows = await loggedCalls(k, "unsupported", 4);
    expect(rows).toHaveLength(4);
    expect(rows.filter((r) => tagsOf(r).distilled || tagsOf(r).distilled_audit)).toEqual([]);
  });

  it("never uses a model of another feature or another project", async () => {
    const k = kit();
    // Another organization's project, with its own key, behind the same upstream.
    const org = await db.organization.create({ data: { name: "Other", slug: `other-${Date.now()}` } });
    const other = await db.project.create({ data: { organizationId: org.id, name: "Other", slug: "other", openaiUpstream: k.upstream.url } });
    const { key: otherKey } = await createApiKey({ projectId: other.id, name: "other" });
    // Same organization, a second project without a model.
    const sibling = await db.project.create({ data: { organizationId: k.organizationId, name: "Sibling", slug: "sibling", openaiUpstream: k.upstream.url } });
    const { key: siblingKey } = await createApiKey({ projectId: sibling.id, name: "sibling" });

    const before = k.upstream.requests.length;
    const { text } = confident[2];
    for (const client of [openai(k, { feature: "billing" }), openai(k, { key: otherKey }), openai(k, { key: siblingKey })]) {
      const res = await client.chat.completions.create(chat(text), session("isolation"));
      expect(res.choices[0].message.content).toBe(FAKE_REPLY);
    }
    expect(k.upstream.requests.length - before).toBe(3);
    await k.proxy.handler.flushLogs();
    const logged = await db.call.findMany({ where: { session: "isolation" } });
    expect(logged).toHaveLength(3);
    expect(logged.filter((r) => tagsOf(r).distilled)).toEqual([]);
    // The enabled model still answers its own feature in its own project.
    const own = await openai(k).chat.completions.create(chat(text), session("isolation-own"));
    expect(own.choices[0].message.content).toBe(confident[2].label);
  });

  it("forwards (fails open) when the enabled model cannot be used", async () => {
    const k = kit();
    // A row another version of Spendlens might have written: not an artifact this proxy can read.
    await db.distilledModel.create({ data: { projectId: k.projectId, feature: "broken", version: 1, threshold: 0.5, enabled: true, artifact: { format: "something-else" } } });
    await new Promise((r) => setTimeout(r, CACHE_TTL_MS + 50)); // written straight to the database: seen within the TTL
    const errorsBefore = k.proxy.handler.stats().distilled.errors;
    const before = k.upstream.requests.length;
    const res = await openai(k, { feature: "broken" }).chat.completions.create(chat(confident[0].text), session("broken"));
    expect(res.choices[0].message.content).toBe(FAKE_REPLY);
    expect(k.upstream.requests.length - before).toBe(1);
    expect(k.proxy.handler.stats().distilled.errors - errorsBefore).toBe(1);
  });

  it("serves a version enabled elsewhere once its cached model expires", async () => {
    const k = kit();
    const { text, label } = confident[4];
    const v2 = await saveDistilledModel(k.projectId, artifact, { note: "v2" });
    // Switched by another process, straight in the database: no change notice reaches this one.
    await db.$transaction([
      db.distilledModel.updateMany({ where: { id: modelId, projectId: k.projectId }, data: { enabled: false } }),
      db.distilledModel.updateMany({ where: { id: v2.id, projectId: k.projectId }, data: { enabled: true } }),
    ]);
    const realNow = Date.now.bind(Date);
    const clock = vi.spyOn(Date, "now").mockImplementation(() => realNow() + 6_000); // past every cache's TTL
    try {
      const { data, response } = await openai(k).chat.completions.create(chat(text), session("v2")).withResponse();
      expect(data.choices[0].message.content).toBe(label);
      expect(response.headers.get("x-spendlens-distilled")).toBe(`${v2.id}@v2`);
    } finally {
      clock.mockRestore();
    }
    expect(await setDistilledModelEnabled(k.projectId, modelId, true)).toBe(true);
    expect((await db.distilledModel.findUniqueOrThrow({ where: { id: v2.id } })).enabled).toBe(false);
  });

  it("restores plain forwarding when disabled, at once through the admin switch and within the cache TTL when changed elsewhere", async () => {
    const k = kit();
    const { text, label } = confident[3];
    expect(await setDistilledModelEnabled(k.projectId, modelId, false)).toBe(true);
    const before = k.upstream.requests.length;
    const off = await openai(k).chat.completions.create(chat(text), session("disabled"));
    expect(off.choices[0].message.content).toBe(FAKE_REPLY);
    expect(k.upstream.requests.length - before).toBe(1);
    const rows = await loggedCalls(k, "disabled");
    expect(rows).toHaveLength(1);
    expect(tagsOf(rows[0]).distilled).toBeUndefined();
    expect(rows[0].costUsd).toBeGreaterThan(0);

    // Enabled and then disabled by another process (straight in the database, no change notice here):
    // this proxy follows within its cache TTL.
    await db.distilledModel.updateMany({ where: { id: modelId, projectId: k.projectId }, data: { enabled: true } });
    await new Promise((r) => setTimeout(r, CACHE_TTL_MS + 50));
    expect((await openai(k).chat.completions.create(chat(text), session("elsewhere"))).choices[0].message.content).toBe(label);
    await db.distilledModel.updateMany({ where: { id: modelId, projectId: k.projectId }, data: { enabled: false } });
    await new Promise((r) => setTimeout(r, CACHE_TTL_MS + 50));
    expect((await openai(k).chat.completions.create(chat(text), session("elsewhere"))).choices[0].message.content).toBe(FAKE_REPLY);
  });
});
