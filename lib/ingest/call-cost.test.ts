// priceStoredCall: which failed calls the provider billed. Prices from lib/pricing/prices.snapshot.json
// (gpt-4o-mini: $0.15 per 1M input tokens, $0.60 per 1M output tokens).
import { describe, expect, it } from "vitest";
import { PRICE_VERSION } from "../pricing/cost";
import { priceStoredCall, type CallUsageFields } from "./call-cost";
import type { OrgPricing } from "./price-overrides";

const pricing: OrgPricing = { organizationId: "org", overrides: {}, version: PRICE_VERSION, updatedAt: 0 };
const call = (status: number, tokensEstimated: boolean): CallUsageFields => ({
  provider: "openai",
  model: "gpt-4o-mini",
  status,
  tokensEstimated,
  batch: false,
  serviceTier: null,
  inputTokens: 1_000,
  outputTokens: 200,
  cachedInputTokens: 0,
  cacheWriteTokens: 0,
  reasoningTokens: 0,
});
const BILLED = (1_000 * 0.15 + 200 * 0.6) / 1e6;

describe("priceStoredCall", () => {
  it("prices a client-aborted stream (499, estimated tokens) on its tokens: the provider billed it", () => {
    expect(priceStoredCall(call(499, true), pricing).costUsd).toBeCloseTo(BILLED, 12);
  });

  it("prices a call the provider refused (4xx/5xx with estimated tokens) at $0", () => {
    for (const status of [400, 429, 500, 502]) expect(priceStoredCall(call(status, true), pricing).costUsd).toBe(0);
  });

  it("prices an error that reported usage, and a success, on their tokens", () => {
    expect(priceStoredCall(call(400, false), pricing).costUsd).toBeCloseTo(BILLED, 12);
    expect(priceStoredCall(call(200, true), pricing).costUsd).toBeCloseTo(BILLED, 12);
  });
});
