// The cost of one stored call, the same way on ingest (writer) and on re-pricing (backfill).
import { priceCall, type CallCost, type Usage } from "../pricing/cost";
import type { OrgPricing } from "./price-overrides";

export type CallUsageFields = {
  provider: string;
  model: string | null;
  status: number;
  tokensEstimated: boolean;
  batch: boolean;
  serviceTier: string | null;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  cacheWriteTokens: number;
  cacheWrite1hTokens?: number;
  reasoningTokens: number;
};

/** The status the proxy logs when its client closed the connection before the response ended. */
const CLIENT_CLOSED_REQUEST = 499;

export type CallPrice = { costUsd: number | null; costBreakdown: unknown; priceVersion: string };

/**
 * null cost = unpriced (unknown model), never $0. A call the provider refused (HTTP >= 400) with no usage
 * in its response was not billed: it is priced on zero usage ($0 for a known model), though its counted
 * prompt tokens stay on the row for analysis. Status 499 is not a refusal: the client went away (e.g. a
 * stream cut short) after the provider had started generating, and the provider bills what it read and
 * wrote, so it is priced on its (estimated) tokens.
 */
export function priceStoredCall(call: CallUsageFields, pricing: OrgPricing): CallPrice {
  const unpriced = (why: unknown = null): CallPrice => ({ costUsd: null, costBreakdown: why, priceVersion: pricing.version });
  if (!call.model) return unpriced();
  const refused = call.status >= 400 && call.status !== CLIENT_CLOSED_REQUEST && call.tokensEstimated;
  const usage: Usage = refused
    ? { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0, reasoningTokens: 0 }
    : {
        inputTokens: call.inputTokens,
        outputTokens: call.outputTokens,
        cachedInputTokens: call.cachedInputTokens,
        cacheWriteTokens: call.cacheWriteTokens,
        cacheWrite1hTokens: call.cacheWrite1hTokens ?? 0,
        reasoningTokens: call.reasoningTokens,
      };
  let cost: CallCost | null;
  try {
    cost = priceCall(usage, {
      provider: call.provider,
      model: call.model,
      batch: call.batch,
      serviceTier: call.serviceTier,
      overrides: pricing.overrides,
    });
  } catch (err) {
    // Inconsistent usage or a malformed override must not fail the batch: store the call unpriced, say why.
    return unpriced({ error: (err as Error).message });
  }
  if (!cost) return unpriced();
  return {
    costUsd: cost.costUsd,
    costBreakdown: { ...cost.breakdown, matchedModel: cost.matchedModel, tier: cost.tier },
    priceVersion: pricing.version,
  };
}
