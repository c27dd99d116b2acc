// Prefix-caching savings checked against figures computed by hand from the committed price snapshot
// (lib/pricing/prices.snapshot.json), written as literals:
//   gpt-4o:              input 2.5e-6, cache read 1.25e-6
//   gpt-4o-mini:         input 1.5e-7, cache read 7.5e-8
//   claude-sonnet-4-20250514 and claude-sonnet-4-5: input 3e-6, cache read 3e-7, cache write 3.75e-6 (5 min), 6e-6 (1 h)
//   claude-haiku-4-5:    input 1e-6, cache read 1e-7, cache write 1.25e-6
// Every window below is one day (so "per month" = x30).
import { describe, expect, it } from "vitest";
import { priceCall } from "../../pricing/cost";
import { countTokens } from "../../tokens/count";
import { analyseBloat } from "../bloat/analyse";
import { bitextRows } from "../modelfit/datasets";
import type { AnalysisCall } from "../types";
import { cacheUses, cacheableTokens, prefixCacheRules } from "./rules";

const T0 = new Date("2026-11-02T09:00:00Z").getTime();
const MIN = 60_000;
const window = { from: new Date(T0), to: new Date(T0 + 86_400_000) };

/** A real policy text: the opening line plus the first n bitext responses (placeholders filled). */
function policy(n: number): string {
  return (
    "You answer questions from the help centre of an online shop. Base every answer on the policy excerpts below.\n\n" +
    bitextRows()
      .slice(0, n)
      .map((r) => r.response.replace(/\{\{[^}]+\}\}/g, "our shop"))
      .join("\n\n")
  );
}
const STATIC = policy(13);
const SHORT = policy(8);
const NAMES = ["Alice", "Bob", "Chen", "Dara", "Emeka", "Farah", "Goran", "Hiro", "Ines", "Jonas"];
const USER_PART = " is the signed-in customer.\n\n";

function call(i: number, o: { minute: number; provider: string; model: string; system: string; inputTokens: number; cached?: number; write?: number }): AnalysisCall {
  const usage = { inputTokens: o.inputTokens, outputTokens: 20, cachedInputTokens: o.cached ?? 0, cacheWriteTokens: o.write ?? 0, reasoningTokens: 0 };
  const anthropic = o.provider === "anthropic";
  return {
    id: `c${i}`,
    timestamp: new Date(T0 + o.minute * MIN),
    provider: o.provider,
    endpoint: anthropic ? "/v1/messages" : "/v1/chat/completions",
    model: o.model,
    feature: "help",
    endUser: null,
    session: null,
    tags: {},
    request: anthropic
      ? { model: o.model, system: o.system, messages: [{ role: "user", content: `question ${i}` }] }
      : { model: o.model, messages: [{ role: "system", content: o.system }, { role: "user", content: `question ${i}` }] },
    response: null,
    outputText: "answer",
    status: 200,
    inputTokens: o.inputTokens,
    outputTokens: 20,
    cachedInputTokens: o.cached ?? 0,
    cacheWriteTokens: o.write ?? 0,
    costUsd: priceCall(usage, { provider: o.provider, model: o.model })!.costUsd,
    latencyMs: 500,
    batch: false,
  };
}

describe("provider rules", () => {
  it("know the minimums and OpenAI's 128-token steps", () => {
    expect(prefixCacheRules("openai", "gpt-4o")).toMatchObject({ mechanism: "automatic", minimumTokens: 1024, incrementTokens: 128 });
    expect(prefixCacheRules("anthropic", "claude-sonnet-4-5")).toMatchObject({ mechanism: "cache_control", minimumTokens: 1024 });
    expect(prefixCacheRules("anthropic", "claude-haiku-4-5")).toMatchObject({ minimumTokens: 2048 });
    expect(prefixCacheRules("mistral", "mistral-large")).toBeNull();
    const openai = prefixCacheRules("openai", "gpt-4o")!;
    expect(cacheableTokens(openai, 1023)).toBe(0);
    expect(cacheableTokens(openai, 1024)).toBe(1024);
    expect(cacheableTokens(openai, 1151)).toBe(1024);
    expect(cacheableTokens(openai, 1152)).toBe(1152);
    expect(cacheableTokens(prefixCacheRules("anthropic", "claude-sonnet-4-5")!, 1500)).toBe(1500);
  });

  it("replay arrivals against a TTL that every use refreshes", () => {
    const m = (x: number) => x * MIN;
    expect(cacheUses([0, m(3), m(10), m(11), m(30), m(100)], m(5))).toEqual(["write", "read", "write", "read", "write", "write"]);
    expect(cacheUses([0, m(3), m(10), m(11), m(30), m(100)], m(60))).toEqual(["write", "read", "read", "read", "read", "write"]);
    expect(() => cacheUses([m(2), m(1)], m(5))).toThrow(/ascending/);
  });
});

describe("prefix-caching savings, 5 cases computed by hand", () => {
  it("1. OpenAI gpt-4o: a name before the fixed prompt; moving it after caches 1,536 tokens on 9 of 10 calls", () => {
    const P = 1598; // tokens of the fixed text " is the signed-in customer.\n\n" + STATIC (gpt-4o, exact)
    expect(countTokens(USER_PART + STATIC, "gpt-4o")).toEqual({ tokens: P, exact: true });
    const calls = NAMES.map((name, i) => call(i, { minute: i, provider: "openai", model: "gpt-4o", system: `${name}${USER_PART}${STATIC}`, inputTokens: P + 30 }));
    const r = analyseBloat(calls, { window });
    const e = r.prefixCache.find((x) => x.model === "gpt-4o")!;
    expect(e.staticTokens).toBe(P);
    expect(e.prefixTokensNow).toBe(0);
    expect(e.isPrefix).toBe(false);
    expect(e.reasons[0]).toMatch(/variable text before its fixed part/);
    expect(e.cacheableAfter).toBe(1024 + 128 * 4); // 1598 -> 1536 in 128-token steps
    expect(e.action).toBe("reorder");
    expect([e.reads, e.writes]).toEqual([9, 1]);
    // 9 hits x 1536 tokens x (2.5e-6 - 1.25e-6) per window, x30.
    expect(e.monthly.usd).toBeCloseTo(9 * 1536 * (2.5e-6 - 1.25e-6) * 30, 12);
    const f = r.findings.find((x) => x.lever === "prefix_cache")!;
    expect(f.monthly.usd).toBeCloseTo(e.monthly.usd, 12);
    expect(f.savingsShare.point).toBeCloseTo(e.monthly.usd / e.monthlyCostUsd, 12);
    expect(f.callIds).toHaveLength(10);
  });

  it("2. OpenAI: 865 tokens on gpt-4o-mini is below 1,024 (nothing to gain); a fixed prompt already first is cached already", () => {
    expect(countTokens(SHORT, "gpt-4o-mini").tokens).toBe(865);
    const small = Array.from({ length: 10 }, (_, i) => call(i, { minute: i, provider: "openai", model: "gpt-4o-mini", system: SHORT, inputTokens: 900 }));
    const e1 = analyseBloat(small, { window }).prefixCache[0];
    expect(e1).toMatchObject({ action: "below_minimum", cacheableAfter: 0, monthly: { usd: 0, low: 0, high: 0 } });

    expect(countTokens(STATIC, "gpt-4o").tokens).toBe(1592);
    const first = Array.from({ length: 10 }, (_, i) =>
      call(i, { minute: i, provider: "openai", model: "gpt-4o", system: STATIC, inputTokens: 1632, cached: i === 0 ? 0 : 1536 }),
    );
    const r2 = analyseBloat(first, { window });
    const e2 = r2.prefixCache[0];
    expect(e2).toMatchObject({ action: "none_needed", isPrefix: true, prefixTokensNow: 1592, cacheableNow: 1536, cacheableAfter: 1536 });
    expect(e2.currentCachedShare).toBeCloseTo((9 * 1536) / (10 * 1632), 12);
    expect(r2.findings.filter((f) => f.lever === "prefix_cache")).toHaveLength(0);
  });

  it("3. Anthropic claude-sonnet-4: 1,911 tokens every 2 minutes, no cache_control today: 1 write + 9 reads at 5 minutes", () => {
    const P = 1911; // estimate for Claude: ceil(1592 o200k tokens x 1.2)
    expect(countTokens(STATIC, "claude-sonnet-4-20250514")).toEqual({ tokens: P, exact: false });
    const calls = Array.from({ length: 10 }, (_, i) => call(i, { minute: 2 * i, provider: "anthropic", model: "claude-sonnet-4-20250514", system: STATIC, inputTokens: P + 40 }));
    const e = analyseBloat(calls, { window }).prefixCache[0];
    expect(e).toMatchObject({ action: "add_breakpoint", isPrefix: true, cacheableAfter: P, ttlMinutes: 5, reads: 9, writes: 1 });
    // 9 reads save (3e-6 - 3e-7) per token, 1 write costs (3.75e-6 - 3e-6) more; x30.
    const fiveMin = (9 * P * (3e-6 - 3e-7) - 1 * P * (3.75e-6 - 3e-6)) * 30;
    const oneHour = (9 * P * (3e-6 - 3e-7) - 1 * P * (6e-6 - 3e-6)) * 30;
    expect(e.monthly.usd).toBeCloseTo(fiveMin, 12);
    expect(e.alternatives.map((a) => a.ttlMinutes)).toEqual([5, 60]);
    expect(e.alternatives[1].savingsUsd).toBeCloseTo(oneHour, 12);
  });

  it("4. Anthropic: the same 1,038-token prompt is below Haiku's 2,048 minimum but cacheable on Sonnet 4.5", () => {
    const P = 1038;
    expect(countTokens(SHORT, "claude-haiku-4-5").tokens).toBe(P);
    const calls = Array.from({ length: 10 }, (_, i) =>
      call(i, { minute: i, provider: "anthropic", model: i % 2 === 0 ? "claude-haiku-4-5" : "claude-sonnet-4-5", system: SHORT, inputTokens: P + 40 }),
    );
    const r = analyseBloat(calls, { window });
    const haiku = r.prefixCache.find((e) => e.model === "claude-haiku-4-5")!;
    const sonnet = r.prefixCache.find((e) => e.model === "claude-sonnet-4-5")!;
    expect(haiku).toMatchObject({ action: "below_minimum", minimumTokens: 2048, monthly: { usd: 0 } });
    // Sonnet calls at minutes 1,3,5,7,9: 1 write + 4 reads.
    expect(sonnet).toMatchObject({ action: "add_breakpoint", minimumTokens: 1024, reads: 4, writes: 1, ttlMinutes: 5 });
    expect(sonnet.monthly.usd).toBeCloseTo((4 * P * (3e-6 - 3e-7) - P * (3.75e-6 - 3e-6)) * 30, 12);
    expect(r.findings.filter((f) => f.lever === "prefix_cache").map((f) => f.scope.model)).toEqual(["claude-sonnet-4-5"]);
  });

  it("5. Anthropic, sparse traffic and a name first: reorder + breakpoint, and the 1-hour TTL wins", () => {
    const P = 1918;
    expect(countTokens(USER_PART + STATIC, "claude-sonnet-4-5").tokens).toBe(P);
    const minutes = [0, 3, 10, 11, 30, 100];
    const calls = minutes.map((m, i) => call(i, { minute: m, provider: "anthropic", model: "claude-sonnet-4-5", system: `${NAMES[i]}${USER_PART}${STATIC}`, inputTokens: P + 60 }));
    const r = analyseBloat(calls, { window });
    const e = r.prefixCache[0];
    // 5 min: writes at 0, 10, 30, 100; reads at 3, 11.   1 h: writes at 0 and 100 (70 min gap); 4 reads.
    const fiveMin = (2 * P * (3e-6 - 3e-7) - 4 * P * (3.75e-6 - 3e-6)) * 30;
    const oneHour = (4 * P * (3e-6 - 3e-7) - 2 * P * (6e-6 - 3e-6)) * 30;
    expect(e.alternatives[0]).toMatchObject({ ttlMinutes: 5, reads: 2, writes: 4 });
    expect(e.alternatives[0].savingsUsd).toBeCloseTo(fiveMin, 12);
    expect(e).toMatchObject({ action: "reorder_and_breakpoint", isPrefix: false, ttlMinutes: 60, reads: 4, writes: 2 });
    expect(e.monthly.usd).toBeCloseTo(oneHour, 12);
    const f = r.findings.find((x) => x.lever === "prefix_cache")!;
    expect(f.howToApply.snippet).toContain('ttl: "1h"');
    expect(f.howToApply.settings).toEqual({ cache_control: { type: "ephemeral", ttl: "1h" } });
  });
});
