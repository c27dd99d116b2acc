// The replay harness against a loopback fake provider, through the real openai / Anthropic SDKs.
import { afterEach, describe, expect, it } from "vitest";
import { banking77Calls, bitextRows, chatCalls } from "../modelfit/datasets";
import type { AnalysisCall } from "../types";
import { createReplayClient } from "./client";
import { compareJson, compareLabels, similarityComparator, wordOverlapF1 } from "./compare";
import { type FakeProvider, startFakeProvider } from "./fake-provider";
import { replayCalls } from "./harness";
import { stratifiedSample } from "./sample";
import { replayAndCompare } from "./verify";

let fake: FakeProvider | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const calls = () => banking77Calls({ limitTrain: 0, limitTest: 60 }).test;
// $1 per million input and $2 per million output tokens, unless a test needs the cap to bite.
const cheapPrice = (u: { inputTokens: number; outputTokens: number }) => (u.inputTokens * 1 + u.outputTokens * 2) / 1e6;
const noSleep = async () => {};

describe("replayCalls", () => {
  it("replays on the candidate model through the openai SDK and prices the usage", async () => {
    const logged = calls().slice(0, 12);
    const truth = new Map(logged.map((c) => [c.request.messages && (c.request.messages as { content: string }[])[1].content, c.outputText]));
    fake = await startFakeProvider({ answer: (r) => (truth.get(r.lastUserText) ?? "unknown").replace(/_/g, " ") });
    const client = createReplayClient({ provider: "openai", baseUrl: fake.openaiBaseUrl, apiKey: "sk-test-key" });
    const run = await replayCalls(logged, { model: "small-model", client, budgetUsd: 1, priceUsage: cheapPrice });
    expect(run.ok).toBe(12);
    expect(fake.requests).toHaveLength(12);
    const sent = fake.requests[0];
    expect(sent.model).toBe("small-model");
    expect(sent.path).toBe("/v1/chat/completions");
    expect(sent.authorization).toBe("Bearer sk-test-key");
    expect(sent.body.max_tokens).toBe(256);
    expect(sent.body.stream).toBeUndefined();
    const o = run.outcomes[0];
    expect(o.costUsd).toBeCloseTo(cheapPrice({ inputTokens: o.usage!.inputTokens, outputTokens: o.usage!.outputTokens }), 12);
    expect(run.spentUsd).toBeCloseTo(run.outcomes.reduce((s, x) => s + x.costUsd, 0), 12);
    // Replayed answers are "card arrival" for "card_arrival": the label comparison normalises them.
    expect(run.outcomes.every((x, i) => compareLabels({ text: logged[i].outputText!, toolCalls: [] }, x.output!).agree)).toBe(true);
  });

  it("converts OpenAI chat requests for an Anthropic endpoint", async () => {
    fake = await startFakeProvider({ answer: () => "card_arrival" });
    const client = createReplayClient({ provider: "anthropic", baseUrl: fake.anthropicBaseUrl, apiKey: "sk-ant-test" });
    const run = await replayCalls(calls().slice(0, 3), { model: "claude-small", client, budgetUsd: 1, priceUsage: cheapPrice, maxOutputTokens: 32 });
    expect(run.ok).toBe(3);
    const sent = fake.requests[0];
    expect(sent.api).toBe("anthropic.messages");
    // This SDK version sends the key as a bearer token (older ones used x-api-key): either reaches the fake.
    expect(sent.authorization).toContain("sk-ant-test");
    expect(typeof sent.body.system).toBe("string");
    expect((sent.body.messages as { role: string }[]).map((m) => m.role)).toEqual(["user"]);
    expect(sent.body.max_tokens).toBe(32);
    expect(run.outcomes[0].output!.text).toBe("card_arrival");
  });

  it("stops before the budget cap: never spends more than the cap, and stops only when the next request would not fit", async () => {
    fake = await startFakeProvider({ answer: () => "card_arrival", delayMs: 5 });
    const client = createReplayClient({ provider: "openai", baseUrl: fake.openaiBaseUrl, apiKey: "k" });
    // $3 per thousand input tokens and $15 per thousand output tokens: each request's worst case is ~$4.4
    // (256 output tokens reserved), its actual cost ~$0.3; 60 requests would cost ~$18 against a $12 cap.
    const pricey = (u: { inputTokens: number; outputTokens: number }) => (u.inputTokens * 3 + u.outputTokens * 15) / 1000;
    const progress: number[] = [];
    const run = await replayCalls(calls(), {
      model: "small-model",
      client,
      budgetUsd: 12,
      priceUsage: pricey,
      concurrency: 4,
      onProgress: (p) => {
        progress.push(p.spentUsd);
      },
    });
    expect(run.stoppedByBudget).toBe(true);
    expect(run.spentUsd).toBeLessThanOrEqual(12);
    expect(run.notSent).toBeGreaterThan(0);
    // What the fake received is exactly what the run says it sent: nothing slipped past the cap.
    expect(fake.requests).toHaveLength(run.sent);
    expect(progress.every((s) => s <= 12)).toBe(true);
    // Stopped for a reason: the smallest worst case among the calls left would have crossed the cap.
    const minEstimate = Math.min(...run.outcomes.filter((o) => o.status === "ok").map((o) => o.estimatedCostUsd));
    expect(run.spentUsd + minEstimate).toBeGreaterThan(12);
    // Estimates were real upper bounds of what each request cost.
    for (const o of run.outcomes.filter((x) => x.status === "ok")) expect(o.costUsd).toBeLessThanOrEqual(o.estimatedCostUsd);
  });

  it("a zero budget sends nothing", async () => {
    fake = await startFakeProvider({ answer: () => "x" });
    const client = createReplayClient({ provider: "openai", baseUrl: fake.openaiBaseUrl, apiKey: "k" });
    const run = await replayCalls(calls().slice(0, 5), { model: "m", client, budgetUsd: 0, priceUsage: cheapPrice });
    expect(run.sent).toBe(0);
    expect(run.notSent).toBe(5);
    expect(fake.requests).toHaveLength(0);
  });

  it("retries 429 and 5xx with backoff, not 400; a dropped connection counts at its estimate", async () => {
    const seen = new Map<string, number>();
    fake = await startFakeProvider({
      answer: (r) => {
        const n = (seen.get(r.lastUserText) ?? 0) + 1;
        seen.set(r.lastUserText, n);
        if (r.lastUserText === text(1)) return { status: 400, message: "bad request" };
        if (r.lastUserText === text(2)) return n === 1 ? { dropConnection: true } : "ok";
        if (r.lastUserText === text(3)) return { status: 503 };
        return n <= 2 ? { status: 429, headers: { "retry-after-ms": "1" } } : "ok";
      },
    });
    const logged = calls().slice(0, 4);
    const text = (i: number) => (logged[i].request.messages as { content: string }[])[1].content;
    const client = createReplayClient({ provider: "openai", baseUrl: fake.openaiBaseUrl, apiKey: "k" });
    const delays: number[] = [];
    const run = await replayCalls(logged, { model: "m", client, budgetUsd: 1, priceUsage: cheapPrice, maxAttempts: 3, sleep: async (ms) => void delays.push(ms) });
    expect(run.outcomes[0]).toMatchObject({ status: "ok", attempts: 3 });
    expect(run.outcomes[1]).toMatchObject({ status: "failed", attempts: 1 });
    expect(run.outcomes[1].error).toMatch(/HTTP 400/);
    expect(run.outcomes[2]).toMatchObject({ status: "ok", attempts: 2 });
    expect(run.outcomes[2].costUsd).toBeGreaterThanOrEqual(run.outcomes[2].estimatedCostUsd);
    expect(run.outcomes[3]).toMatchObject({ status: "failed", attempts: 3 });
    expect(delays.length).toBe(2 + 1 + 2);
    // Exponential: the second retry of a 503 waits longer than the first.
    expect(Math.max(...delays)).toBeGreaterThan(Math.min(...delays));
  });

  it("respects concurrency and the request-rate limit, and reports progress", async () => {
    fake = await startFakeProvider({ answer: () => "x", delayMs: 40 });
    const client = createReplayClient({ provider: "openai", baseUrl: fake.openaiBaseUrl, apiKey: "k" });
    const done: number[] = [];
    const run = await replayCalls(calls().slice(0, 12), { model: "m", client, budgetUsd: 1, priceUsage: cheapPrice, concurrency: 3, onProgress: (p) => void done.push(p.done) });
    expect(run.ok).toBe(12);
    expect(fake.maxConcurrent).toBeLessThanOrEqual(3);
    expect(fake.maxConcurrent).toBeGreaterThanOrEqual(2);
    expect(done).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));

    const t0 = Date.now();
    await replayCalls(calls().slice(0, 6), { model: "m", client, budgetUsd: 1, priceUsage: cheapPrice, concurrency: 6, requestsPerSecond: 50 });
    // 6 starts at 50/s are spread over at least 5 x 20 ms.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(95);
  });

  it("applies a transformation before replaying (prompt compression on the same model)", async () => {
    fake = await startFakeProvider({ answer: (r) => String((r.body.messages as { content: string }[])[0].content.length) });
    const client = createReplayClient({ provider: "openai", baseUrl: fake.openaiBaseUrl, apiKey: "k" });
    const logged = calls().slice(0, 3);
    const run = await replayCalls(logged, {
      model: "gpt-4o",
      client,
      budgetUsd: 1,
      priceUsage: cheapPrice,
      transform: (req) => ({ ...req, messages: [{ role: "system", content: "Intent label only." }, ...(req.messages as object[]).slice(1)] }),
    });
    expect(run.outcomes.map((o) => o.output!.text)).toEqual(["18", "18", "18"]);
    // The logged call itself is untouched.
    expect((logged[0].request.messages as { content: string }[])[0].content.length).toBeGreaterThan(100);
  });

  it("refuses unpriced models and marks unreplayable endpoints", async () => {
    fake = await startFakeProvider({ answer: () => "x" });
    const client = createReplayClient({ provider: "openai", baseUrl: fake.openaiBaseUrl, apiKey: "k" });
    await expect(replayCalls(calls().slice(0, 1), { model: "mystery", client, budgetUsd: 1, priceUsage: () => null })).rejects.toThrow(/no price/);
    await expect(replayCalls(calls().slice(0, 1), { model: "m", client, budgetUsd: -1, priceUsage: cheapPrice })).rejects.toThrow(/budgetUsd/);
    const emb: AnalysisCall = { ...calls()[0], endpoint: "/v1/embeddings" };
    const run = await replayCalls([emb], { model: "m", client, budgetUsd: 1, priceUsage: cheapPrice });
    expect(run.outcomes[0].status).toBe("unsupported");
    expect(fake.requests).toHaveLength(0);
    expect(() => createReplayClient({ provider: "openai", baseUrl: "ftp://x", apiKey: "k" })).toThrow(/baseUrl/);
  });
});

describe("replayAndCompare", () => {
  it("measures agreement with a Wilson interval and shows the disagreements", async () => {
    const logged = calls().slice(0, 40);
    // The candidate gets every 4th answer wrong: 30/40 agree.
    fake = await startFakeProvider({
      answer: (r) => {
        const i = logged.findIndex((c) => (c.request.messages as { content: string }[])[1].content === r.lastUserText);
        return i % 4 === 0 ? "wrong_label" : logged[i].outputText!;
      },
    });
    const client = createReplayClient({ provider: "openai", baseUrl: fake.openaiBaseUrl, apiKey: "k" });
    const res = await replayAndCompare(logged, { model: "m", client, budgetUsd: 1, priceUsage: cheapPrice, compare: compareLabels, maxExamples: 3 });
    expect(res.compared).toBe(40);
    expect(res.agreed).toBe(30);
    expect(res.agreement.point).toBe(0.75);
    expect(res.agreement.low).toBeGreaterThan(0.58);
    expect(res.agreement.high).toBeLessThan(0.87);
    expect(res.disagreements).toHaveLength(3);
    expect(res.disagreements[0].candidate).toBe("wrong_label");
    expect(res.disagreements[0].input.length).toBeGreaterThan(5);
  });

  it("can compare against a baseline replay instead of the log", async () => {
    fake = await startFakeProvider({ answer: (r) => ((r.body.messages as { content: string }[])[0].content.includes("SHORT") ? "b" : "a") });
    const client = createReplayClient({ provider: "openai", baseUrl: fake.openaiBaseUrl, apiKey: "k" });
    const res = await replayAndCompare(calls().slice(0, 5), {
      model: "gpt-4o",
      client,
      budgetUsd: 1,
      priceUsage: cheapPrice,
      compare: compareLabels,
      baseline: "replay",
      transform: (req) => ({ ...req, messages: [{ role: "system", content: "SHORT" }, ...(req.messages as object[]).slice(1)] }),
    });
    expect(res.baselineRun!.ok).toBe(5);
    expect(res.compared).toBe(5);
    expect(res.agreed).toBe(0);
    expect(fake.requests).toHaveLength(10);
  });
});

describe("comparators", () => {
  it("compares JSON field by field", () => {
    const a = { text: '{"intent":"cancel_order","entity":{"type":"order_id","value":"123"}}', toolCalls: [] };
    const same = { text: '```json\n{"entity":{"value":"123","type":"Order ID"},"intent":"Cancel order"}\n```', toolCalls: [] };
    const diff = { text: '{"intent":"cancel_order","entity":{"type":"order_id","value":"124"}}', toolCalls: [] };
    expect(compareJson(a, same).agree).toBe(true);
    const d = compareJson(a, diff);
    expect(d.agree).toBe(false);
    expect(d.differingFields).toEqual(["entity.value"]);
    expect(d.score).toBeCloseTo(2 / 3, 10);
    expect(compareJson(a, { text: "not json", toolCalls: [] }).agree).toBe(false);
    // A tool call's arguments are the structured answer.
    expect(compareJson({ text: "", toolCalls: [{ name: "f", arguments: { a: 1 } }] }, { text: "", toolCalls: [{ name: "f", arguments: { a: 1 } }] }).agree).toBe(true);
  });

  it("scores text similarity by word overlap without an embedder", async () => {
    const rows = bitextRows().slice(0, 2);
    expect(wordOverlapF1(rows[0].response, rows[0].response)).toBe(1);
    const cmp = similarityComparator({ threshold: 0.5 });
    const self = await cmp({ text: rows[0].response, toolCalls: [] }, { text: rows[0].response.replace(/\.$/, "!"), toolCalls: [] });
    expect(self.agree).toBe(true);
    const other = await cmp({ text: rows[0].response, toolCalls: [] }, { text: "I cannot help with that.", toolCalls: [] });
    expect(other.agree).toBe(false);
    expect(other.detail).toMatch(/word-overlap F1/);
  });
});

describe("stratifiedSample", () => {
  it("allocates proportionally, is seeded, and returns a shuffled order", () => {
    const items = [...Array(600).fill("a"), ...Array(300).fill("b"), ...Array(100).fill("c")].map((label, i) => ({ label, i }));
    const s = stratifiedSample(items, 100, (x) => x.label, 7);
    const counts = { a: 0, b: 0, c: 0 } as Record<string, number>;
    for (const x of s) counts[x.label]++;
    expect(counts).toEqual({ a: 60, b: 30, c: 10 });
    expect(new Set(s.map((x) => x.i)).size).toBe(100);
    expect(stratifiedSample(items, 100, (x) => x.label, 7)).toEqual(s);
    // Not grouped by stratum: the first 20 mix labels.
    expect(new Set(s.slice(0, 20).map((x) => x.label)).size).toBeGreaterThan(1);
    expect(stratifiedSample(items.slice(0, 5), 10, (x) => x.label)).toHaveLength(5);
  });
});

// Keep chatCalls referenced for fixture helpers shared with other suites.
void chatCalls;

describe("replay endpoints", () => {
  it("allows known provider APIs and the server's allow-list only; wildcard entries connect to public addresses only", async () => {
    const { checkReplayEndpoint } = await import("./endpoints");
    expect(checkReplayEndpoint("https://api.openai.com/v1", "")).toEqual({ ok: true, publicOnly: false });
    expect(checkReplayEndpoint("http://10.0.0.5:8000/v1", "")).toMatchObject({ ok: false, reason: expect.stringMatching(/allow-list/) });
    expect(checkReplayEndpoint("http://10.0.0.5:8000/v1", "http://10.0.0.5:8000")).toEqual({ ok: true, publicOnly: false });
    expect(checkReplayEndpoint("https://llm.corp.example/v1", "https://*.corp.example")).toEqual({ ok: true, publicOnly: true });
    expect(checkReplayEndpoint("https://u:p@api.openai.com/v1", "")).toMatchObject({ ok: false });

    fake = await startFakeProvider({ answer: () => "x" });
    const port = new URL(fake.openaiBaseUrl).port;
    const guarded = createReplayClient({ provider: "openai", baseUrl: `http://localhost:${port}/v1`, apiKey: "k", publicOnly: true });
    await expect(guarded.send("openai.chat", { model: "m", messages: [] })).rejects.toMatchObject({ retryable: true });
    expect(fake.requests).toHaveLength(0);
  });
});
