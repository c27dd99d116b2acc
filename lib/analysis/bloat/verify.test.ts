// The replay check and the model rewrite against a loopback fake provider (lib/analysis/replay/fake-provider).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashSeed } from "../../stats/random";
import { createReplayClient } from "../replay/client";
import { startFakeProvider, type FakeAnswer, type FakeProvider, type FakeRequest } from "../replay/fake-provider";
import { analyseBloat } from "./analyse";
import { supportClassifierCalls, supportReplyCalls } from "./fixtures";
import { REWRITE_INSTRUCTIONS, outputConstraints, rewriteWithModel } from "./rewrite";
import { applyCandidateToRequest, verifyCandidate } from "./verify";

const calls = supportClassifierCalls({ limit: 300 });
const labelOf = new Map(calls.map((c) => [(c.request.messages as Array<{ content: string }>)[1].content, c.outputText!]));
const report = analyseBloat(calls);
const group = report.groups[0];
const candidate = group.candidates[0];

let answer: (req: FakeRequest) => FakeAnswer = () => "";
let fake: FakeProvider;
beforeAll(async () => {
  fake = await startFakeProvider({ answer: (req) => answer(req) });
});
afterAll(async () => {
  await fake.close();
});

const client = () => createReplayClient({ provider: "openai", baseUrl: fake.openaiBaseUrl, apiKey: "sk-test-0000" });
const systemOf = (req: FakeRequest) => (req.body.messages as Array<{ role: string; content: string }>)[0].content;
const groupInput = () => ({ id: group.id, segments: group.segments, calls });

describe("candidate in the request", () => {
  it("swaps whole, prefix and suffix segments and refuses a request without the text", () => {
    const reply = analyseBloat(supportReplyCalls({ limit: 30 })).groups[0];
    const segs = reply.segments;
    const cand = segs.map((s, i) => ({ ...s, text: `[new ${i}]` }));
    const call = supportReplyCalls({ limit: 1 })[0];
    const out = applyCandidateToRequest(call.request, segs, cand) as { messages: Array<{ content: string }> };
    expect(out.messages[0].content).toBe("[new 0]");
    const user = (call.request.messages as Array<{ content: string }>)[1].content;
    expect(out.messages[1].content).toBe(`[new 1]${user.slice(segs[1].text.length, user.length - segs[2].text.length)}[new 2]`);
    expect((call.request.messages as Array<{ content: string }>)[0].content).toBe(segs[0].text); // not mutated
    expect(() => applyCandidateToRequest({ messages: [{ role: "system", content: "other" }] }, segs, cand)).toThrow(/not found/);
  });
});

describe("replay check", () => {
  it("marks the candidate verified when the replayed answers agree with the logged ones", async () => {
    answer = (req) => labelOf.get(req.lastUserText) ?? "unknown";
    const before = fake.requests.length;
    const v = await verifyCandidate(groupInput(), candidate.segments, { clientFor: () => client(), budgetUsd: 5, sampleSize: 100, concurrency: 4 });
    expect(v.status).toBe("verified");
    if (v.status === "unverified") throw new Error("unreachable");
    expect(v.sampled).toBe(100);
    expect(v.compared).toBe(100);
    expect(v.agreed).toBe(100);
    expect(v.agreement.low).toBeGreaterThanOrEqual(0.95);
    expect(v.replayCostUsd).toBeGreaterThan(0);
    const sent = fake.requests.slice(before);
    expect(sent).toHaveLength(100);
    // Same model, the candidate's text as the system prompt.
    for (const r of sent) {
      expect(r.model).toBe("gpt-4o");
      expect(systemOf(r)).toBe(candidate.segments[0].text);
    }
    // Fed back into the report, the compress finding becomes a recommendation.
    const verified = analyseBloat(calls, { verification: { [group.id]: { deterministic: v } } });
    const f = verified.findings.find((x) => x.lever === "compress")!;
    expect(f.confidence).toBe("high");
    expect(f.evidence).toMatchObject({ recommended: true });
    expect(f.title).not.toContain("unverified");
  });

  it("rejects the candidate when a quarter of the answers change", async () => {
    // The shortened prompt "confuses" the fake on ~25% of queries (by a hash of the text).
    answer = (req) => {
      const label = labelOf.get(req.lastUserText) ?? "unknown";
      return systemOf(req) !== group.segments[0].text && hashSeed(req.lastUserText) % 4 === 0 ? "card_arrival_other" : label;
    };
    const v = await verifyCandidate(groupInput(), candidate.segments, { clientFor: () => client(), budgetUsd: 5, sampleSize: 100 });
    expect(v.status).toBe("rejected");
    if (v.status === "unverified") throw new Error("unreachable");
    expect(v.agreement.high).toBeLessThan(0.95);
    expect(v.disagreements.length).toBeGreaterThan(0);
    expect(v.disagreements[0].replayed).toBe("card_arrival_other");
    const r = analyseBloat(calls, { verification: { [group.id]: { deterministic: v } } });
    expect(r.findings.filter((x) => x.lever === "compress" && x.evidence.kind === "prompt_compression")).toHaveLength(0);
    expect(r.groups[0].candidates[0].verification.status).toBe("rejected");
  });

  it("stays inconclusive on a sample too small to clear the target, and unverified without a provider", async () => {
    answer = (req) => labelOf.get(req.lastUserText) ?? "unknown";
    const small = await verifyCandidate(groupInput(), candidate.segments, { clientFor: () => client(), budgetUsd: 5, sampleSize: 20 });
    expect(small.status).toBe("inconclusive"); // 20/20 agree, but the Wilson lower bound is 0.84
    const none = await verifyCandidate(groupInput(), candidate.segments, { clientFor: () => null, budgetUsd: 5 });
    expect(none).toEqual({ status: "unverified", reason: "no replay credential for openai" });
  });
});

describe("model rewrite", () => {
  const base = candidate.segments;

  it("uses a rewrite that keeps every output constraint and is shorter", async () => {
    // The fake "model" drops one more sentence from the deterministic candidate.
    answer = (req) => (systemOf(req) === REWRITE_INSTRUCTIONS ? base[0].text.replace(/Customers write in English[^\n]*\n/, "") : "");
    const r = await rewriteWithModel(group.segments, base, group.findings, { client: client(), model: "gpt-4o-mini" });
    expect(r.ok).toBe(true);
    if (!r.ok) throw new Error(r.reason);
    expect(r.constraints.missing).toEqual([]);
    expect(r.constraints.checked).toContain("card_arrival");
    expect(r.constraints.checked).toContain("5 words");
    expect(r.costUsd).toBeGreaterThan(0);
    const sent = fake.requests[fake.requests.length - 1];
    expect(sent.model).toBe("gpt-4o-mini");
    expect(sent.lastUserText).toContain(group.segments[0].text);
    const withRewrite = analyseBloat(calls, { rewrites: { [group.id]: { segments: r.segments, constraints: r.constraints } } });
    const model = withRewrite.groups[0].candidates.find((c) => c.method === "model")!;
    expect(model.tokens).toBeLessThan(withRewrite.groups[0].candidates[0].tokens);
    expect(model.verification.status).toBe("unverified");
  });

  it("rejects a rewrite that drops labels or limits", async () => {
    answer = (req) => (systemOf(req) === REWRITE_INSTRUCTIONS ? "Classify the banking message. Answer with the intent label only." : "");
    const r = await rewriteWithModel(group.segments, base, group.findings, { client: client(), model: "gpt-4o-mini" });
    expect(r.ok).toBe(false);
    expect(r.constraints!.missing).toContain("card_arrival");
    expect(r.constraints!.missing).toContain("5 words");
    expect(outputConstraints(base[0].text).length).toBe(r.constraints!.checked.length);
  });
});
