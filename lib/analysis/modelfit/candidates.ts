// Right-sizing candidates from the price table: cheaper chat models of the group's provider (and of
// other providers the project configured), ordered by what this group's own token mix would cost on
// them. A projection only: the replay measures what the candidate actually costs and answers.
import { getPriceEntry, listModels, priceCall, providerFamily, type PriceEntry } from "../../pricing/cost";
import { ESTIMATE_FACTORS, estimateFamily } from "../../tokens/count";
import type { AnalysisCall } from "../types";

export type Candidate = {
  model: string;
  /** Provider family (openai, anthropic, mistral, ...) — decides which credential replays it. */
  provider: string;
  /** The group's calls priced on the candidate, over the same period as `currentCostUsd`. */
  projectedCostUsd: number;
  currentCostUsd: number;
  projectedSavingsShare: number;
  /** Input-token multiplier applied for a different tokenizer family (1 within a family). */
  tokenizerFactor: number;
};

export type PricingContext = {
  overrides?: Record<string, Partial<PriceEntry>>;
};

export type CandidateOptions = PricingContext & {
  /** Other provider families to consider (those with a replay credential). */
  otherProviders?: string[];
  /** Only these models (explicit choice in the run's params); bypasses the family filter, not the price check. */
  onlyModels?: string[];
  /** Include reasoning models when the group's model is not one (their hidden reasoning tokens are not in the projection). Default false. */
  includeReasoning?: boolean;
  /** Keep candidates projected to save at least this share. Default 0.1. */
  minSavingsShare?: number;
  /** Deprecated models (deprecation_date before this) are left out. */
  now?: Date;
  max?: number;
};

// Modalities and wrappers that are not drop-in chat replacements.
const NOT_DROP_IN_RE = /(^ft:|audio|realtime|search|transcribe|tts|image|vision-preview|computer-use|codex|embedding|moderation|-instruct$|deep-research)/i;
const DATED_SUFFIX_RE = /-(\d{4}-\d{2}-\d{2}|\d{4}|\d{8})$/;

type Usage = { inputTokens: number; outputTokens: number; cachedInputTokens: number; cacheWriteTokens: number; reasoningTokens: number };

function usageOf(call: AnalysisCall): Usage {
  const cached = Math.min(call.cachedInputTokens, call.inputTokens);
  return { inputTokens: call.inputTokens, outputTokens: call.outputTokens, cachedInputTokens: cached, cacheWriteTokens: Math.min(call.cacheWriteTokens, call.inputTokens - cached), reasoningTokens: 0 };
}

/** Cost of the calls on `model` (input tokens scaled by `factor` for another tokenizer); null if unpriced. */
export function projectCost(calls: AnalysisCall[], model: string, provider: string | null, factor: number, ctx: PricingContext = {}): number | null {
  // Price the average call of each prompt-size bucket, times its count: one priceCall per bucket
  // instead of per call, while long-context price tiers still apply to the prompts that reach them.
  const bucketOf = (tokens: number) => (tokens > 200_000 ? 3 : tokens > 128_000 ? 2 : tokens > 32_000 ? 1 : 0);
  const buckets = new Map<number, { n: number; sum: Usage }>();
  for (const c of calls) {
    const u = usageOf(c);
    const key = bucketOf(u.inputTokens);
    const b = buckets.get(key) ?? { n: 0, sum: { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 } };
    b.n++;
    b.sum.inputTokens += u.inputTokens;
    b.sum.outputTokens += u.outputTokens;
    b.sum.cachedInputTokens += u.cachedInputTokens;
    b.sum.cacheWriteTokens += u.cacheWriteTokens;
    buckets.set(key, b);
  }
  let total = 0;
  for (const { n, sum } of buckets.values()) {
    const inputTokens = Math.round((sum.inputTokens * factor) / n);
    const cachedInputTokens = Math.min(inputTokens, Math.round((sum.cachedInputTokens * factor) / n));
    const avg: Usage = {
      inputTokens,
      outputTokens: Math.round(sum.outputTokens / n),
      cachedInputTokens,
      cacheWriteTokens: Math.min(inputTokens - cachedInputTokens, Math.round((sum.cacheWriteTokens * factor) / n)),
      reasoningTokens: 0,
    };
    const cost = priceCall(avg, { model, provider, overrides: ctx.overrides });
    if (!cost) return null;
    total += cost.costUsd * n;
  }
  return total;
}

function familyFactor(from: string, to: string): number {
  const a = ESTIMATE_FACTORS[estimateFamily(from)] ?? 1.1;
  const b = ESTIMATE_FACTORS[estimateFamily(to)] ?? 1.1;
  // OpenAI models count exactly (factor 1 relative to o200k); estimateFamily returns "other" for them.
  const fa = /^(gpt|o\d|chatgpt)/i.test(from.replace(/^.*\//, "")) ? 1 : a;
  const fb = /^(gpt|o\d|chatgpt)/i.test(to.replace(/^.*\//, "")) ? 1 : b;
  return fb / fa;
}

/** Cheaper models for a group of calls on `model`, best projected savings first. */
export function findCandidates(calls: AnalysisCall[], model: string, provider: string, opts: CandidateOptions = {}): Candidate[] {
  const currentCostUsd = calls.reduce((s, c) => s + (c.costUsd ?? 0), 0);
  const current = getPriceEntry(model, { provider, overrides: opts.overrides });
  if (!current || currentCostUsd <= 0) return [];
  const family = providerFamily(current.entry.litellm_provider ?? provider);
  const families = new Set([family, ...(opts.otherProviders ?? []).map(providerFamily)]);
  const groupIsReasoning = current.entry.supports_reasoning === true;
  const maxInput = Math.max(0, ...calls.map((c) => c.inputTokens));
  const usesTools = calls.some((c) => Array.isArray(c.request.tools) && c.request.tools.length > 0);
  const usesSchema = calls.some((c) => (c.request.response_format as { type?: string } | undefined)?.type === "json_schema");
  const now = opts.now ?? new Date();

  const pool = new Map<string, PriceEntry>();
  if (opts.onlyModels?.length) {
    for (const m of opts.onlyModels) {
      const e = getPriceEntry(m, { overrides: opts.overrides });
      if (e) pool.set(m, e.entry);
    }
  } else {
    for (const { key, entry } of listModels({ mode: "chat" })) if (families.has(providerFamily(entry.litellm_provider))) pool.set(key, entry);
    for (const [key, entry] of Object.entries(opts.overrides ?? {})) {
      if (entry.mode && entry.mode !== "chat") continue;
      if (families.has(providerFamily(entry.litellm_provider ?? family))) pool.set(key, { ...(pool.get(key) ?? {}), ...entry });
    }
  }

  const out: Candidate[] = [];
  const keys = [...pool.keys()];
  for (const key of keys) {
    const entry = pool.get(key)!;
    if (key === model || key === current.key) continue;
    if (!opts.onlyModels?.length) {
      if (NOT_DROP_IN_RE.test(key)) continue;
      // A dated snapshot priced like its undated alias is the same candidate twice.
      const base = key.replace(DATED_SUFFIX_RE, "");
      if (base !== key && pool.has(base)) continue;
      if (entry.deprecation_date && new Date(entry.deprecation_date) <= now) continue;
      if (entry.supports_reasoning === true && !groupIsReasoning && !opts.includeReasoning) continue;
      if (usesTools && entry.supports_function_calling === false) continue;
      if (usesSchema && entry.supports_response_schema === false) continue;
    }
    const limit = entry.max_input_tokens ?? entry.max_tokens;
    if (typeof limit === "number" && limit < maxInput) continue;
    const factor = familyFactor(model, key);
    const projected = projectCost(calls, key, entry.litellm_provider ?? null, factor, opts);
    if (projected === null) continue;
    const share = 1 - projected / currentCostUsd;
    if (share < (opts.minSavingsShare ?? 0.1)) continue;
    out.push({ model: key, provider: providerFamily(entry.litellm_provider ?? family), projectedCostUsd: projected, currentCostUsd, projectedSavingsShare: share, tokenizerFactor: factor });
  }
  out.sort((a, b) => a.projectedCostUsd - b.projectedCostUsd || (a.model < b.model ? -1 : 1));
  return out.slice(0, opts.max ?? 5);
}
