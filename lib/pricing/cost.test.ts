// Cost test table: every expected figure is written out by hand from the prices in the committed
// snapshot (lib/pricing/prices.snapshot.json), as literals with the arithmetic shown — never computed by
// the code under test. The "prices" test at the bottom pins those literals to the snapshot.
import { describe, expect, it } from "vitest";
import { getPriceEntry, listModels, PRICE_VERSION, priceCall, type PriceContext, type Usage } from "./cost";
import { SNAPSHOT } from "./table";

function usage(inputTokens: number, outputTokens: number, extra: Partial<Usage> = {}): Usage {
  return { inputTokens, outputTokens, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, ...extra };
}

type Case = { name: string; usage: Usage; ctx: PriceContext; expected: number; matched: string; tier?: string[] };

const cases: Case[] = [
  // ---------------------------------------------------------------- OpenAI
  { name: "gpt-4o standard", usage: usage(1000, 200), ctx: { model: "gpt-4o" }, expected: 1000 * 2.5e-6 + 200 * 1e-5, matched: "gpt-4o", tier: ["standard"] },
  { name: "gpt-4o with cached prompt", usage: usage(10000, 500, { cachedInputTokens: 6000 }), ctx: { model: "gpt-4o" }, expected: 4000 * 2.5e-6 + 6000 * 1.25e-6 + 500 * 1e-5, matched: "gpt-4o" },
  { name: "gpt-4o batch (table *_batches)", usage: usage(1000, 200), ctx: { model: "gpt-4o", batch: true }, expected: 1000 * 1.25e-6 + 200 * 5e-6, matched: "gpt-4o", tier: ["batch"] },
  // cached input in a batch: cache-read price x the input batch ratio (1.25e-6 / 2.5e-6)
  { name: "gpt-4o batch with cached prompt", usage: usage(1000, 200, { cachedInputTokens: 400 }), ctx: { model: "gpt-4o", batch: true }, expected: 600 * 1.25e-6 + 400 * (1.25e-6 * (1.25e-6 / 2.5e-6)) + 200 * 5e-6, matched: "gpt-4o" },
  { name: "gpt-4o priority", usage: usage(2000, 300, { cachedInputTokens: 1000 }), ctx: { model: "gpt-4o", serviceTier: "priority" }, expected: 1000 * 4.25e-6 + 1000 * 2.125e-6 + 300 * 1.7e-5, matched: "gpt-4o", tier: ["priority"] },
  { name: "gpt-4o-mini standard", usage: usage(50000, 1000), ctx: { model: "gpt-4o-mini" }, expected: 50000 * 1.5e-7 + 1000 * 6e-7, matched: "gpt-4o-mini" },
  { name: "gpt-4o-2024-05-13 (older, dearer snapshot)", usage: usage(1000, 1000), ctx: { model: "gpt-4o-2024-05-13" }, expected: 1000 * 5e-6 + 1000 * 1.5e-5, matched: "gpt-4o-2024-05-13" },
  { name: "gpt-4.1 cached", usage: usage(20000, 800, { cachedInputTokens: 15000 }), ctx: { model: "gpt-4.1" }, expected: 5000 * 2e-6 + 15000 * 5e-7 + 800 * 8e-6, matched: "gpt-4.1" },
  { name: "gpt-4.1-nano batch", usage: usage(100000, 5000), ctx: { model: "gpt-4.1-nano", batch: true }, expected: 100000 * 5e-8 + 5000 * 2e-7, matched: "gpt-4.1-nano" },
  { name: "gpt-4.1-mini priority", usage: usage(1000, 1000), ctx: { model: "gpt-4.1-mini", serviceTier: "priority" }, expected: 1000 * 7e-7 + 1000 * 2.8e-6, matched: "gpt-4.1-mini" },
  { name: "gpt-5 with reasoning", usage: usage(3000, 5000, { cachedInputTokens: 1000, reasoningTokens: 4000 }), ctx: { model: "gpt-5" }, expected: 2000 * 1.25e-6 + 1000 * 1.25e-7 + 1000 * 1e-5 + 4000 * 1e-5, matched: "gpt-5" },
  { name: "gpt-5 flex", usage: usage(10000, 3000, { cachedInputTokens: 2000, reasoningTokens: 2000 }), ctx: { model: "gpt-5", serviceTier: "flex" }, expected: 8000 * 6.25e-7 + 2000 * 6.25e-8 + 1000 * 5e-6 + 2000 * 5e-6, matched: "gpt-5", tier: ["flex"] },
  { name: "gpt-5 batch (no *_batches in table: 50% default)", usage: usage(1000, 1000), ctx: { model: "gpt-5", batch: true }, expected: 1000 * 1.25e-6 * 0.5 + 1000 * 1e-5 * 0.5, matched: "gpt-5" },
  { name: "gpt-5-mini priority", usage: usage(4000, 1000), ctx: { model: "gpt-5-mini", serviceTier: "priority" }, expected: 4000 * 4.5e-7 + 1000 * 3.6e-6, matched: "gpt-5-mini" },
  { name: "gpt-5-nano standard", usage: usage(1_000_000, 100_000), ctx: { model: "gpt-5-nano" }, expected: 1_000_000 * 5e-8 + 100_000 * 4e-7, matched: "gpt-5-nano" },
  { name: "gpt-5 dated snapshot absent from table → gpt-5", usage: usage(1000, 1000), ctx: { model: "gpt-5-2025-08-07" }, expected: 1000 * 1.25e-6 + 1000 * 1e-5, matched: "gpt-5" },
  { name: "gpt-5.4 above 272k tokens", usage: usage(300000, 1000), ctx: { model: "gpt-5.4" }, expected: 300000 * 5e-6 + 1000 * 2.25e-5, matched: "gpt-5.4", tier: ["standard", "above_272k_tokens"] },
  { name: "o3 flex, reasoning-heavy", usage: usage(5000, 20000, { reasoningTokens: 18000 }), ctx: { model: "o3", serviceTier: "flex" }, expected: 5000 * 1e-6 + 2000 * 4e-6 + 18000 * 4e-6, matched: "o3" },
  { name: "o1 cached + reasoning", usage: usage(1000, 2000, { cachedInputTokens: 500, reasoningTokens: 1500 }), ctx: { model: "o1" }, expected: 500 * 1.5e-5 + 500 * 7.5e-6 + 500 * 6e-5 + 1500 * 6e-5, matched: "o1" },
  { name: "o3-mini", usage: usage(2000, 1000), ctx: { model: "o3-mini" }, expected: 2000 * 1.1e-6 + 1000 * 4.4e-6, matched: "o3-mini" },
  { name: "o4-mini dated", usage: usage(1000, 1000), ctx: { model: "o4-mini-2025-04-16" }, expected: 1000 * 1.1e-6 + 1000 * 4.4e-6, matched: "o4-mini-2025-04-16" },
  { name: "gpt-3.5-turbo", usage: usage(1000, 500), ctx: { model: "gpt-3.5-turbo" }, expected: 1000 * 5e-7 + 500 * 1.5e-6, matched: "gpt-3.5-turbo" },
  { name: "gpt-4-turbo", usage: usage(1000, 500), ctx: { model: "gpt-4-turbo" }, expected: 1000 * 1e-5 + 500 * 3e-5, matched: "gpt-4-turbo" },
  { name: "text-embedding-3-small", usage: usage(10000, 0), ctx: { model: "text-embedding-3-small" }, expected: 10000 * 2e-8, matched: "text-embedding-3-small" },
  { name: "text-embedding-3-large batch", usage: usage(10000, 0), ctx: { model: "text-embedding-3-large", batch: true }, expected: 10000 * 6.5e-8, matched: "text-embedding-3-large" },
  { name: "fine-tune of gpt-4o-mini at the fine-tune price", usage: usage(1000, 1000), ctx: { model: "ft:gpt-4o-mini:acme::9abc" }, expected: 1000 * 3e-7 + 1000 * 1.2e-6, matched: "ft:gpt-4o-mini-2024-07-18" },
  { name: "Azure deployment mapped to gpt-4o-mini", usage: usage(1000, 100), ctx: { model: "prod-chat", provider: "azure", azureDeployments: { "prod-chat": "gpt-4o-mini" } }, expected: 1000 * 1.5e-7 + 100 * 6e-7, matched: "gpt-4o-mini" },
  { name: "provider prefix openai/", usage: usage(1000, 100), ctx: { model: "openai/gpt-4o-2024-08-06" }, expected: 1000 * 2.5e-6 + 100 * 1e-5, matched: "gpt-4o-2024-08-06" },
  // ---------------------------------------------------------------- Anthropic (inputTokens = input + cache read + cache write)
  { name: "claude-sonnet-4-5 read + 5m write", usage: usage(10000, 1000, { cachedInputTokens: 2000, cacheWriteTokens: 3000 }), ctx: { model: "claude-sonnet-4-5", provider: "anthropic" }, expected: 5000 * 3e-6 + 2000 * 3e-7 + 3000 * 3.75e-6 + 1000 * 1.5e-5, matched: "claude-sonnet-4-5" },
  { name: "claude-sonnet-4-5 1h write", usage: usage(5000, 100, { cacheWriteTokens: 2000, cacheWrite1hTokens: 2000 }), ctx: { model: "claude-sonnet-4-5" }, expected: 3000 * 3e-6 + 2000 * 6e-6 + 100 * 1.5e-5, matched: "claude-sonnet-4-5" },
  { name: "claude-sonnet-4-5 5m and 1h writes", usage: usage(5000, 100, { cachedInputTokens: 1000, cacheWriteTokens: 2000, cacheWrite1hTokens: 500 }), ctx: { model: "claude-sonnet-4-5" }, expected: 2000 * 3e-6 + 1000 * 3e-7 + 1500 * 3.75e-6 + 500 * 6e-6 + 100 * 1.5e-5, matched: "claude-sonnet-4-5" },
  { name: "claude-sonnet-4-5 above 200k (all components at long-context rates)", usage: usage(250000, 2000, { cachedInputTokens: 50000, cacheWriteTokens: 10000, cacheWrite1hTokens: 4000 }), ctx: { model: "claude-sonnet-4-5-20250929" }, expected: 190000 * 6e-6 + 50000 * 6e-7 + 6000 * 7.5e-6 + 4000 * 1.2e-5 + 2000 * 2.25e-5, matched: "claude-sonnet-4-5-20250929", tier: ["standard", "above_200k_tokens"] },
  { name: "claude-sonnet-4 (1M context) above 200k", usage: usage(300000, 1000), ctx: { model: "claude-sonnet-4-20250514" }, expected: 300000 * 6e-6 + 1000 * 2.25e-5, matched: "claude-sonnet-4-20250514" },
  { name: "claude-haiku-4-5 batch (50% default)", usage: usage(10000, 500, { cachedInputTokens: 2000, cacheWriteTokens: 1000 }), ctx: { model: "claude-haiku-4-5", batch: true }, expected: (7000 * 1e-6 + 2000 * 1e-7 + 1000 * 1.25e-6 + 500 * 5e-6) * 0.5, matched: "claude-haiku-4-5" },
  { name: "claude-opus-4-1 mostly cached", usage: usage(100000, 2000, { cachedInputTokens: 90000 }), ctx: { model: "claude-opus-4-1" }, expected: 10000 * 1.5e-5 + 90000 * 1.5e-6 + 2000 * 7.5e-5, matched: "claude-opus-4-1" },
  { name: "claude-3-5-haiku dated", usage: usage(1000, 1000), ctx: { model: "claude-3-5-haiku-20241022" }, expected: 1000 * 8e-7 + 1000 * 4e-6, matched: "claude-3-5-haiku-20241022" },
  { name: "claude-opus-4 1h write at the _above_1hr price", usage: usage(2000, 0, { cacheWriteTokens: 1000, cacheWrite1hTokens: 1000 }), ctx: { model: "claude-opus-4-20250514" }, expected: 1000 * 1.5e-5 + 1000 * 3e-5, matched: "claude-opus-4-20250514" },
  { name: "claude-4-opus 1h write without _above_1hr → 5m price", usage: usage(2000, 0, { cacheWriteTokens: 1000, cacheWrite1hTokens: 1000 }), ctx: { model: "claude-4-opus-20250514" }, expected: 1000 * 1.5e-5 + 1000 * 1.875e-5, matched: "claude-4-opus-20250514" },
  { name: "Bedrock Claude id", usage: usage(1000, 1000), ctx: { model: "us.anthropic.claude-3-5-haiku-20241022-v1:0", provider: "bedrock" }, expected: 1000 * 8e-7 + 1000 * 4e-6, matched: "bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0" },
  // ---------------------------------------------------------------- Google Gemini
  { name: "gemini-2.5-pro under 200k", usage: usage(100000, 2000, { cachedInputTokens: 20000 }), ctx: { model: "gemini-2.5-pro" }, expected: 80000 * 1.25e-6 + 20000 * 1.25e-7 + 2000 * 1e-5, matched: "gemini-2.5-pro", tier: ["standard"] },
  { name: "gemini-2.5-pro above 200k", usage: usage(250000, 4000, { cachedInputTokens: 50000 }), ctx: { model: "gemini-2.5-pro" }, expected: 200000 * 2.5e-6 + 50000 * 2.5e-7 + 4000 * 1.5e-5, matched: "gemini-2.5-pro", tier: ["standard", "above_200k_tokens"] },
  { name: "gemini-2.5-pro at exactly 200k stays standard", usage: usage(200000, 1000), ctx: { model: "gemini-2.5-pro" }, expected: 200000 * 1.25e-6 + 1000 * 1e-5, matched: "gemini-2.5-pro" },
  { name: "AI Studio gemini-2.5-pro priority above 200k", usage: usage(300000, 1000), ctx: { model: "gemini-2.5-pro", provider: "google", serviceTier: "priority" }, expected: 300000 * 2.5e-6 + 1000 * 1.5e-5, matched: "gemini/gemini-2.5-pro" },
  { name: "gemini-2.5-flash reasoning rate", usage: usage(1000, 3000, { reasoningTokens: 2500 }), ctx: { model: "gemini-2.5-flash" }, expected: 1000 * 3e-7 + 500 * 2.5e-6 + 2500 * 2.5e-6, matched: "gemini-2.5-flash" },
  { name: "gemini-2.5-flash-lite cached", usage: usage(10000, 100, { cachedInputTokens: 5000 }), ctx: { model: "gemini-2.5-flash-lite" }, expected: 5000 * 1e-7 + 5000 * 1e-8 + 100 * 4e-7, matched: "gemini-2.5-flash-lite" },
  // batch above 200k: the long-context price x the batch ratio of the base price
  { name: "gemini-3-pro-preview batch above 200k", usage: usage(300000, 1000), ctx: { model: "gemini-3-pro-preview", batch: true }, expected: 300000 * (4e-6 * (1e-6 / 2e-6)) + 1000 * (1.8e-5 * (6e-6 / 1.2e-5)), matched: "gemini-3-pro-preview", tier: ["batch", "above_200k_tokens"] },
  { name: "gemini-3-pro-preview priority above 200k", usage: usage(300000, 1000, { cachedInputTokens: 100000 }), ctx: { model: "gemini-3-pro-preview", serviceTier: "priority" }, expected: 200000 * 7.2e-6 + 100000 * 7.2e-7 + 1000 * 3.24e-5, matched: "gemini-3-pro-preview", tier: ["priority", "above_200k_tokens"] },
  { name: "gemini-3.1-flash-lite flex", usage: usage(10000, 1000, { cachedInputTokens: 1000 }), ctx: { model: "gemini-3.1-flash-lite", serviceTier: "flex" }, expected: 9000 * 1.25e-7 + 1000 * 1.25e-8 + 1000 * 7.5e-7, matched: "gemini-3.1-flash-lite" },
  { name: "gemini-1.5-pro above 128k", usage: usage(200000, 1000), ctx: { model: "gemini-1.5-pro" }, expected: 200000 * 2.5e-6 + 1000 * 1e-5, matched: "gemini-1.5-pro", tier: ["standard", "above_128k_tokens"] },
  { name: "gemini-2.0-flash", usage: usage(1_000_000, 100_000), ctx: { model: "models/gemini-2.0-flash" }, expected: 1_000_000 * 1e-7 + 100_000 * 4e-7, matched: "gemini-2.0-flash" },
  // ---------------------------------------------------------------- others
  { name: "mistral-large-latest", usage: usage(1000, 1000), ctx: { model: "mistral-large-latest", provider: "mistral" }, expected: 1000 * 5e-7 + 1000 * 1.5e-6, matched: "mistral/mistral-large-latest" },
  { name: "mistral batch: no table price, no default discount", usage: usage(1000, 1000), ctx: { model: "mistral-small-latest", provider: "mistral", batch: true }, expected: 1000 * 6e-8 + 1000 * 1.8e-7, matched: "mistral/mistral-small-latest" },
  { name: "deepseek-chat cached", usage: usage(10000, 1000, { cachedInputTokens: 8000 }), ctx: { model: "deepseek-chat" }, expected: 2000 * 6e-7 + 8000 * 6e-8 + 1000 * 1.7e-6, matched: "deepseek-chat" },
  { name: "tiered_pricing, first tier", usage: usage(1000, 1000), ctx: { model: "dashscope/qwen-flash" }, expected: 1000 * 5e-8 + 1000 * 4e-7, matched: "dashscope/qwen-flash" },
  { name: "tiered_pricing, second tier", usage: usage(300000, 1000), ctx: { model: "dashscope/qwen-flash" }, expected: 300000 * 2.5e-7 + 1000 * 2e-6, matched: "dashscope/qwen-flash" },
  // ---------------------------------------------------------------- organization overrides
  { name: "override of one field", usage: usage(1000, 200), ctx: { model: "gpt-4o", overrides: { "gpt-4o": { input_cost_per_token: 2e-6 } } }, expected: 1000 * 2e-6 + 200 * 1e-5, matched: "gpt-4o" },
  { name: "override pricing a model the table lacks", usage: usage(1000, 500), ctx: { model: "acme-llm-7b", overrides: { "acme-llm-7b": { input_cost_per_token: 1e-6, output_cost_per_token: 2e-6 } } }, expected: 1000 * 1e-6 + 500 * 2e-6, matched: "acme-llm-7b" },
];

describe("priceCall: hand-computed cost table", () => {
  it("has at least 30 cases", () => expect(cases.length).toBeGreaterThanOrEqual(30));
  for (const c of cases) {
    it(c.name, () => {
      const r = priceCall(c.usage, c.ctx);
      expect(r).not.toBeNull();
      expect(r!.costUsd).toBeCloseTo(c.expected, 12);
      expect(r!.matchedModel).toBe(c.matched);
      const parts = r!.breakdown;
      expect(parts.input + parts.cachedInput + parts.cacheWrite + parts.output + (parts.reasoning ?? 0)).toBeCloseTo(r!.costUsd, 12);
      if (c.tier) expect(r!.tier.slice(0, c.tier.length)).toEqual(c.tier);
    });
  }
});

describe("priceCall: breakdown, tiers and notes", () => {
  it("splits Anthropic cache reads and writes into their own components", () => {
    const r = priceCall(usage(5000, 100, { cachedInputTokens: 1000, cacheWriteTokens: 2000, cacheWrite1hTokens: 500 }), { model: "claude-sonnet-4-5" })!;
    expect(r.breakdown.input).toBeCloseTo(2000 * 3e-6, 15);
    expect(r.breakdown.cachedInput).toBeCloseTo(1000 * 3e-7, 15);
    expect(r.breakdown.cacheWrite).toBeCloseTo(1500 * 3.75e-6 + 500 * 6e-6, 15);
    expect(r.breakdown.output).toBeCloseTo(100 * 1.5e-5, 15);
    expect(r.breakdown.reasoning).toBeUndefined();
  });

  it("prices reasoning at output_cost_per_reasoning_token when the table has one", () => {
    const table = SNAPSHOT["gemini-2.5-flash-lite-preview-06-17"];
    expect(table.output_cost_per_reasoning_token).toBe(4e-7);
    const r = priceCall(usage(0, 1000, { reasoningTokens: 600 }), { model: "gemini-2.5-flash-lite-preview-06-17" })!;
    expect(r.breakdown.reasoning).toBeCloseTo(600 * 4e-7, 15);
    expect(r.breakdown.output).toBeCloseTo(400 * 4e-7, 15);
  });

  it("says when the 50% batch default was used and when no service price exists", () => {
    expect(priceCall(usage(10, 10), { model: "gpt-5", batch: true })!.tier.join(" | ")).toMatch(/50% of standard/);
    expect(priceCall(usage(10, 10), { model: "mistral-small-latest", provider: "mistral", batch: true })!.tier[0]).toBe("standard");
    expect(priceCall(usage(10, 10), { model: "mistral-small-latest", provider: "mistral", batch: true })!.tier.join(" | ")).toMatch(/no table price, standard prices used/);
    expect(priceCall(usage(10, 10), { model: "gpt-4o", serviceTier: "scale" })!.tier.join(" | ")).toMatch(/service_tier "scale"/);
  });

  it("treats default/auto service tiers as standard", () => {
    for (const serviceTier of ["default", "auto", null, undefined]) {
      expect(priceCall(usage(1000, 200), { model: "gpt-4o", serviceTier })!.costUsd).toBeCloseTo(1000 * 2.5e-6 + 200 * 1e-5, 12);
    }
  });

  it("marks overridden prices with a different price version", () => {
    const plain = priceCall(usage(1000, 200), { model: "gpt-4o" })!;
    const o1 = priceCall(usage(1000, 200), { model: "gpt-4o", overrides: { "gpt-4o": { input_cost_per_token: 2e-6 } } })!;
    const o2 = priceCall(usage(1000, 200), { model: "gpt-4o", overrides: { "gpt-4o": { input_cost_per_token: 1e-6 } } })!;
    expect(plain.priceVersion).toBe(PRICE_VERSION);
    expect(o1.priceVersion.startsWith(`${PRICE_VERSION}+`)).toBe(true);
    expect(o1.priceVersion).not.toBe(o2.priceVersion);
    expect(o1.tier).toContain("override: gpt-4o");
  });

  it("applies an override of an undated model to its dated snapshots, not to a sibling model", () => {
    const overrides = { "gpt-4o": { input_cost_per_token: 1e-9 } };
    // Both snapshots have their own table keys (input 2.5e-6, output 1e-5); the override's input price wins,
    // the output price stays the snapshot's.
    for (const model of ["gpt-4o-2024-08-06", "gpt-4o-2024-11-20", "openai/gpt-4o-2024-08-06"]) {
      const r = priceCall(usage(1000, 100), { model, provider: "openai", overrides })!;
      expect(r.costUsd, model).toBeCloseTo(1000 * 1e-9 + 100 * 1e-5, 15);
      expect(r.tier, model).toContain("override: gpt-4o");
      expect(r.matchedModel, model).toBe(model.replace("openai/", ""));
    }
    // A dated name the table lacks falls back to gpt-4o, and so does the override.
    expect(priceCall(usage(1000, 0), { model: "gpt-4o-2099-01-01", overrides })!.costUsd).toBeCloseTo(1000 * 1e-9, 15);
    // gpt-4o-mini is another model: table price (1.5e-7 in, 6e-7 out), dated or not.
    for (const model of ["gpt-4o-mini", "gpt-4o-mini-2024-07-18"]) {
      const r = priceCall(usage(1000, 100), { model, overrides })!;
      expect(r.costUsd, model).toBeCloseTo(1000 * 1.5e-7 + 100 * 6e-7, 15);
      expect(r.tier.join(" | "), model).not.toMatch(/override/);
    }
  });

  it("applies an Anthropic alias override to its dated snapshot and -latest, and a provider-prefixed alias too", () => {
    const overrides = { "claude-3-5-haiku": { input_cost_per_token: 5e-7, output_cost_per_token: 2e-6 } };
    for (const model of ["claude-3-5-haiku-20241022", "claude-3-5-haiku-latest", "anthropic/claude-3-5-haiku-20241022"]) {
      const r = getPriceEntry(model, { provider: "anthropic", overrides })!;
      expect(r.overrideKey, model).toBe("claude-3-5-haiku");
      expect(r.entry.input_cost_per_token, model).toBe(5e-7);
    }
    // Fields the override lacks come from the matched snapshot: 8e-8 (dated) vs 1e-7 (-latest).
    expect(getPriceEntry("claude-3-5-haiku-20241022", { overrides })!.entry.cache_read_input_token_cost).toBe(8e-8);
    expect(getPriceEntry("claude-3-5-haiku-latest", { overrides })!.entry.cache_read_input_token_cost).toBe(1e-7);
    // An override keyed with the route prefix covers the prefixed snapshot the same way.
    const prefixed = { "openai/gpt-4o": { input_cost_per_token: 3e-9 } };
    expect(getPriceEntry("openai/gpt-4o-2024-08-06", { overrides: prefixed })?.overrideKey).toBe("openai/gpt-4o");
    // A dated override does not reach the undated alias (gpt-4o has its own table key).
    expect(getPriceEntry("gpt-4o", { overrides: { "gpt-4o-2024-08-06": { input_cost_per_token: 3e-9 } } })?.overridden).toBe(false);
  });

  it("lets an override of the exact dated name win over the alias's", () => {
    const overrides = { "gpt-4o": { input_cost_per_token: 1e-9 }, "gpt-4o-2024-08-06": { input_cost_per_token: 2e-9 } };
    const exact = priceCall(usage(1000, 0), { model: "gpt-4o-2024-08-06", overrides })!;
    expect(exact.costUsd).toBeCloseTo(1000 * 2e-9, 15);
    expect(exact.tier).toContain("override: gpt-4o-2024-08-06");
    // The other snapshot and the alias itself still get the alias's override.
    expect(priceCall(usage(1000, 0), { model: "gpt-4o-2024-11-20", overrides })!.costUsd).toBeCloseTo(1000 * 1e-9, 15);
    expect(priceCall(usage(1000, 0), { model: "gpt-4o", overrides })!.costUsd).toBeCloseTo(1000 * 1e-9, 15);
    // Key order in the override object does not matter.
    const reversed = { "gpt-4o-2024-08-06": { input_cost_per_token: 2e-9 }, "gpt-4o": { input_cost_per_token: 1e-9 } };
    expect(getPriceEntry("gpt-4o-2024-08-06", { overrides: reversed })?.overrideKey).toBe("gpt-4o-2024-08-06");
  });

  it("rejects a bad override naming the model and field", () => {
    expect(() => priceCall(usage(1, 1), { model: "gpt-4o", overrides: { "gpt-4o": { input_cost_per_token: -1 } } })).toThrow(/"gpt-4o".*input_cost_per_token/);
  });
});

describe("priceCall: unpriced and bad input", () => {
  it("returns null for an unknown model, never $0", () => {
    expect(priceCall(usage(1000, 1000), { model: "totally-unknown-model-x" })).toBeNull();
    expect(priceCall(usage(1000, 1000), { model: "" })).toBeNull();
    expect(priceCall(usage(1000, 1000), { model: "ft:unknown-base:org::1" })).toBeNull();
  });

  it("names the inconsistent usage field", () => {
    expect(() => priceCall(usage(100, 10, { cachedInputTokens: 200 }), { model: "gpt-4o" })).toThrow(/cachedInputTokens/);
    expect(() => priceCall(usage(100, 10, { reasoningTokens: 20 }), { model: "gpt-4o" })).toThrow(/reasoningTokens/);
    expect(() => priceCall(usage(100, 10, { cacheWriteTokens: 10, cacheWrite1hTokens: 20 }), { model: "claude-sonnet-4-5" })).toThrow(/cacheWrite1hTokens/);
    expect(() => priceCall(usage(-1, 10), { model: "gpt-4o" })).toThrow(/inputTokens/);
    expect(() => priceCall(usage(Number.NaN, 10), { model: "gpt-4o" })).toThrow(/inputTokens/);
  });
});

describe("getPriceEntry / listModels / PRICE_VERSION", () => {
  it("returns the matched key and entry", () => {
    const r = getPriceEntry("anthropic/claude-opus-4-1-20250805");
    expect(r?.key).toBe("claude-opus-4-1-20250805");
    expect(r?.entry.input_cost_per_token).toBe(1.5e-5);
    expect(getPriceEntry("nope-model")).toBeNull();
  });

  it("merges an override field by field over the table entry", () => {
    const r = getPriceEntry("gpt-4o", { overrides: { "gpt-4o": { output_cost_per_token: 9e-6 } } })!;
    expect(r.entry.output_cost_per_token).toBe(9e-6);
    expect(r.entry.input_cost_per_token).toBe(2.5e-6);
    expect(r.entry.cache_read_input_token_cost).toBe(1.25e-6);
  });

  it("lists models by provider family and mode", () => {
    const google = listModels({ provider: "google", mode: "chat" });
    expect(google.length).toBeGreaterThan(5);
    expect(google.every((m) => m.entry.mode === "chat" && /^(gemini|vertex_ai)/.test(m.entry.litellm_provider ?? ""))).toBe(true);
    const embeddings = listModels({ provider: "openai", mode: "embedding" }).map((m) => m.key);
    expect(embeddings).toEqual(expect.arrayContaining(["text-embedding-3-small", "text-embedding-3-large"]));
    expect(embeddings).not.toContain("gpt-4o");
    expect(listModels().length).toBe(Object.keys(SNAPSHOT).length);
  });

  it("PRICE_VERSION is the first 12 hex of the snapshot hash", () => {
    expect(PRICE_VERSION).toMatch(/^[0-9a-f]{12}$/);
  });
});

describe("prices: the literals above are the snapshot's", () => {
  // If the snapshot is refreshed and a price moves, this names the literal to update in the table above.
  const pinned: Array<[string, string, number]> = [
    ["gpt-4o", "input_cost_per_token", 2.5e-6],
    ["gpt-4o", "output_cost_per_token", 1e-5],
    ["gpt-4o", "cache_read_input_token_cost", 1.25e-6],
    ["gpt-4o", "input_cost_per_token_batches", 1.25e-6],
    ["gpt-4o", "input_cost_per_token_priority", 4.25e-6],
    ["gpt-5", "input_cost_per_token_flex", 6.25e-7],
    ["gpt-5.4", "input_cost_per_token_above_272k_tokens", 5e-6],
    ["claude-sonnet-4-5", "cache_creation_input_token_cost", 3.75e-6],
    ["claude-sonnet-4-5", "cache_creation_input_token_cost_above_1hr", 6e-6],
    ["claude-sonnet-4-5", "cache_creation_input_token_cost_above_1hr_above_200k_tokens", 1.2e-5],
    ["claude-sonnet-4-5", "cache_read_input_token_cost_above_200k_tokens", 6e-7],
    ["gemini-2.5-pro", "input_cost_per_token_above_200k_tokens", 2.5e-6],
    ["gemini-3-pro-preview", "output_cost_per_token_above_200k_tokens_priority", 3.24e-5],
    ["ft:gpt-4o-mini-2024-07-18", "input_cost_per_token", 3e-7],
  ];
  for (const [model, field, value] of pinned) it(`${model}.${field} = ${value}`, () => expect(SNAPSHOT[model][field]).toBe(value));
  it("the gpt-5 entry has no batch price (the 50% default case)", () => expect(SNAPSHOT["gpt-5"].input_cost_per_token_batches).toBeUndefined());
});
