// The cost of one LLM call from its token usage and the price table. Pure: no I/O, same inputs → same
// figure. Conventions (docs/pricing.md):
//  - inputTokens is the TOTAL prompt; cachedInputTokens and cacheWriteTokens are subsets of it
//    (Anthropic's input_tokens excludes cache reads/writes: the normaliser adds them back first).
//  - cacheWrite1hTokens is the part of cacheWriteTokens written with the 1-hour TTL.
//  - outputTokens includes reasoning tokens; reasoningTokens is a subset.
//  - An unknown model (or an entry without a token price) returns null: stored as unpriced, never $0.
import { createHash } from "node:crypto";
import { matchModel, modelCandidates, undatedAlias } from "./match";
import { isCostField, PRICE_VERSION, SNAPSHOT, type PriceEntry } from "./table";

export { PRICE_VERSION };
export type { PriceEntry };

export type Usage = {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  cacheWriteTokens: number;
  cacheWrite1hTokens?: number;
  reasoningTokens: number;
};

export type PriceContext = {
  provider?: string | null;
  model: string;
  batch?: boolean;
  serviceTier?: string | null;
  /** Per-organization overrides keyed by model name; fields merge one by one over the table entry. */
  overrides?: Record<string, Partial<PriceEntry>>;
  /** Azure deployment name → model (merged over env SPENDLENS_AZURE_DEPLOYMENTS). */
  azureDeployments?: Record<string, string>;
};

export type CallCost = {
  costUsd: number;
  /** USD per component; the components add up to costUsd. reasoning is set when reasoningTokens > 0 (then output excludes it). */
  breakdown: { input: number; cachedInput: number; cacheWrite: number; output: number; reasoning?: number };
  matchedModel: string;
  /** What priced the call: "standard" | "batch" | "flex" | "priority", then context tiers and notes (see docs/pricing.md). */
  tier: string[];
  priceVersion: string;
};

export type PriceLookupContext = {
  provider?: string | null;
  overrides?: Record<string, Partial<PriceEntry>>;
  azureDeployments?: Record<string, string>;
};

/** Providers whose batch APIs charge half the standard price, used when the table has no *_batches field. */
const HALF_PRICE_BATCH_FAMILIES = new Set(["openai", "azure", "anthropic", "google"]);

/** Groups LiteLLM provider names into the families users filter by ("google" = gemini + vertex_ai). */
export function providerFamily(provider: string | null | undefined): string {
  const p = (provider ?? "").toLowerCase();
  if (p === "openai" || p === "text-completion-openai" || p === "chatgpt") return "openai";
  if (p === "azure" || p === "azure_ai" || p === "azure_text") return "azure";
  if (p === "google" || p === "gemini" || p === "vertex_ai" || p === "vertex" || p.startsWith("vertex_ai-")) return "google";
  if (p === "bedrock" || p === "bedrock_converse") return "bedrock";
  if (p === "cohere" || p === "cohere_chat") return "cohere";
  return p;
}

const checkedOverrides = new WeakSet<object>();
// Ingest passes the same (cached) override objects for a whole batch: merge and hash each once.
const mergedEntries = new WeakMap<object, Map<string, PriceEntry>>();
const overrideVersions = new WeakMap<object, string>();

function mergeOverride(tableKey: string | null, tableEntry: PriceEntry | undefined, override: Partial<PriceEntry>): PriceEntry {
  let perOverride = mergedEntries.get(override);
  if (!perOverride) mergedEntries.set(override, (perOverride = new Map()));
  let merged = perOverride.get(tableKey ?? "");
  if (!merged) {
    merged = { ...(tableEntry ?? {}), ...override };
    perOverride.set(tableKey ?? "", merged);
  }
  return merged;
}

function overrideVersion(override: Partial<PriceEntry>): string {
  let v = overrideVersions.get(override);
  if (!v) {
    v = `${PRICE_VERSION}+${createHash("sha256").update(JSON.stringify(override)).digest("hex").slice(0, 8)}`;
    overrideVersions.set(override, v);
  }
  return v;
}

function checkOverride(model: string, override: Partial<PriceEntry>): void {
  if (override && typeof override === "object" && checkedOverrides.has(override)) return;
  if (!override || typeof override !== "object" || Array.isArray(override)) throw new Error(`price override for "${model}" must be an object of LiteLLM price fields`);
  for (const [field, value] of Object.entries(override)) {
    if (isCostField(field) && !(typeof value === "number" && Number.isFinite(value) && value >= 0)) {
      throw new Error(`price override for "${model}": field "${field}" must be a non-negative number, got ${JSON.stringify(value)}`);
    }
  }
  checkedOverrides.add(override);
}

type FoundEntry = { key: string; entry: PriceEntry; overridden: boolean; overrideKey?: string };

function withOverride(match: ReturnType<typeof matchModel>, overrideKey: string, override: Partial<PriceEntry>): FoundEntry {
  checkOverride(overrideKey, override);
  return { key: match?.key ?? overrideKey, entry: mergeOverride(match?.key ?? null, match?.entry, override), overridden: true, overrideKey };
}

/**
 * The price entry for a model: the table entry matched by name (see match.ts), with the organization's
 * override for that model merged field by field. An override keyed by a model the table lacks prices it
 * on its own. null when neither exists.
 *
 * Which override applies, first hit wins:
 *  1. one keyed by the matched table name or a more specific name tried before it (modelCandidates order):
 *     an override of "gpt-4o-2024-08-06" prices exactly that snapshot;
 *  2. else one keyed by the undated alias of one of those names (undatedAlias: a -YYYY-MM-DD, -YYYYMMDD
 *     or "-latest" suffix cut): an override of "gpt-4o" also prices "gpt-4o-2024-08-06" and
 *     "openai/gpt-4o-2024-08-06", though those have their own table keys, because a price negotiated for
 *     a model covers its snapshots. Not "gpt-4o-mini" (a different model), and not Bedrock/Vertex ids that
 *     match their own provider's table key (another provider's price list).
 */
export function getPriceEntry(model: string, ctx: PriceLookupContext = {}): FoundEntry | null {
  const overrides = ctx.overrides && Object.keys(ctx.overrides).length ? ctx.overrides : null;
  const match = matchModel(model, { provider: ctx.provider, azureDeployments: ctx.azureDeployments });
  if (!overrides) return match ? { key: match.key, entry: match.entry, overridden: false } : null;
  const candidates = modelCandidates(model, { provider: ctx.provider, azureDeployments: ctx.azureDeployments });
  let tried = 0;
  for (const c of candidates) {
    tried++;
    const override = Object.prototype.hasOwnProperty.call(overrides, c.name) ? overrides[c.name] : undefined;
    if (override) return withOverride(match, c.name, override);
    if (match && c.name === match.key) break;
  }
  for (let i = 0; i < tried; i++) {
    const alias = undatedAlias(candidates[i].name);
    const override = alias !== null && Object.prototype.hasOwnProperty.call(overrides, alias) ? overrides[alias] : undefined;
    if (override) return withOverride(match, alias!, override);
  }
  return match ? { key: match.key, entry: match.entry, overridden: false } : null;
}

/** Table entries, optionally only one provider (exact LiteLLM name or family, see providerFamily) and/or mode. */
export function listModels(filter: { provider?: string; mode?: string } = {}): Array<{ key: string; entry: PriceEntry }> {
  const wanted = filter.provider?.toLowerCase();
  return Object.keys(SNAPSHOT)
    .sort()
    .map((key) => ({ key, entry: SNAPSHOT[key] }))
    .filter(({ entry }) => {
      if (filter.mode && entry.mode !== filter.mode) return false;
      if (wanted && entry.litellm_provider?.toLowerCase() !== wanted && providerFamily(entry.litellm_provider) !== providerFamily(wanted)) return false;
      return true;
    });
}

function checkUsage(u: Usage): void {
  const fields: Array<keyof Usage> = ["inputTokens", "outputTokens", "cachedInputTokens", "cacheWriteTokens", "reasoningTokens"];
  if (u.cacheWrite1hTokens !== undefined) fields.push("cacheWrite1hTokens");
  for (const f of fields) {
    const v = u[f];
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) throw new RangeError(`usage.${f} must be a non-negative number, got ${JSON.stringify(v)}`);
  }
  if (u.cachedInputTokens + u.cacheWriteTokens > u.inputTokens) {
    throw new RangeError(`usage.cachedInputTokens (${u.cachedInputTokens}) + usage.cacheWriteTokens (${u.cacheWriteTokens}) exceed usage.inputTokens (${u.inputTokens}); inputTokens must be the total prompt`);
  }
  if (u.reasoningTokens > u.outputTokens) throw new RangeError(`usage.reasoningTokens (${u.reasoningTokens}) exceeds usage.outputTokens (${u.outputTokens}); outputTokens must include reasoning`);
  if ((u.cacheWrite1hTokens ?? 0) > u.cacheWriteTokens) throw new RangeError(`usage.cacheWrite1hTokens (${u.cacheWrite1hTokens}) exceeds usage.cacheWriteTokens (${u.cacheWriteTokens})`);
}

function num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

const thresholdCache = new WeakMap<PriceEntry, Array<{ label: string; threshold: number }>>();

/** The "_above_<N>k_tokens" thresholds an entry has, highest first (remembered per table entry). */
function thresholdsOf(entry: PriceEntry): Array<{ label: string; threshold: number }> {
  let list = thresholdCache.get(entry);
  if (!list) {
    const found = new Map<string, number>();
    for (const field of Object.keys(entry)) {
      const m = /_(above_(\d+)k_tokens)(?:_|$)/.exec(field);
      if (m) found.set(m[1], Number(m[2]) * 1000);
    }
    list = [...found].map(([label, threshold]) => ({ label, threshold })).sort((a, b) => b.threshold - a.threshold);
    thresholdCache.set(entry, list);
  }
  return list;
}

/** The long-context tier a prompt falls in: the highest "_above_<N>k_tokens" threshold it exceeds. */
function contextTier(entry: PriceEntry, inputTokens: number): string | null {
  for (const t of thresholdsOf(entry)) if (inputTokens > t.threshold) return t.label;
  return null;
}

type Service = "batches" | "flex" | "priority" | null;

function serviceOf(ctx: PriceContext, notes: string[]): Service {
  if (ctx.batch) return "batches";
  const t = (ctx.serviceTier ?? "").trim().toLowerCase();
  if (!t || t === "default" || t === "auto" || t === "standard" || t === "standard_only" || t === "on_demand") return null;
  if (t === "flex") return "flex";
  if (t === "priority") return "priority";
  if (t === "batch") return "batches";
  notes.push(`service_tier "${t}" has no table price: standard prices used`);
  return null;
}

type RateState = { e: PriceEntry; T: string | null; svc: Service; family: string; applied: boolean; defaulted: boolean; missing: boolean };

const NO_RATIO_FIELDS: readonly string[] = [];
const INPUT_RATIO: readonly string[] = ["input_cost_per_token"];
const OUTPUT_RATIO: readonly string[] = ["output_cost_per_token"];
const WRITE_1H_RATIO: readonly string[] = ["cache_creation_input_token_cost", "input_cost_per_token"];

/** Standard (non-service) price of a field, the long-context tier applied when the table has one. */
function standardRate(r: RateState, base: string): number | undefined {
  return (r.T ? num(r.e[`${base}_${r.T}`]) : undefined) ?? num(r.e[base]);
}

function serviceRatio(r: RateState, base: string): number | undefined {
  const s = num(r.e[`${base}_${r.svc}`]);
  const b = num(r.e[base]);
  return s !== undefined && b !== undefined && b > 0 ? s / b : undefined;
}

/**
 * Service-tier price of a component whose standard price is `std`: the explicit field, else `std` times
 * the service/standard ratio of its own base field or of the `ratioFrom` fields, else (batch) 50% for
 * providers whose batch API is half price, else `std`.
 */
function serviceRate(r: RateState, base: string, std: number, ratioFrom: readonly string[]): number {
  if (!r.svc) return std;
  const explicit = r.T ? num(r.e[`${base}_${r.T}_${r.svc}`]) : num(r.e[`${base}_${r.svc}`]);
  if (explicit !== undefined) {
    r.applied = true;
    return explicit;
  }
  let ratio = serviceRatio(r, base);
  for (let i = 0; ratio === undefined && i < ratioFrom.length; i++) ratio = serviceRatio(r, ratioFrom[i]);
  if (ratio !== undefined) {
    r.applied = true;
    return std * ratio;
  }
  if (r.svc === "batches" && HALF_PRICE_BATCH_FAMILIES.has(r.family)) {
    r.defaulted = true;
    return std * 0.5;
  }
  r.missing = true;
  return std;
}

/** Price one call. null = unpriced (unknown model, or its entry has no per-token price). Throws RangeError on inconsistent usage. */
export function priceCall(usage: Usage, ctx: PriceContext): CallCost | null {
  checkUsage(usage);
  const found = getPriceEntry(ctx.model, ctx);
  if (!found) return null;
  const notes: string[] = [];
  let e: PriceEntry = found.entry;

  if (Array.isArray(e.tiered_pricing) && e.tiered_pricing.length) {
    const tiers = e.tiered_pricing;
    const t = tiers.find((x) => usage.inputTokens >= x.range[0] && usage.inputTokens < x.range[1]) ?? tiers[tiers.length - 1];
    const { range, ...prices } = t;
    e = { ...e, ...prices };
    notes.push(`tiered_pricing ${range[0]}-${range[1]}`);
  }
  const baseInput = num(e.input_cost_per_token);
  if (baseInput === undefined) return null;
  const baseOutput = num(e.output_cost_per_token);
  if (baseOutput === undefined && usage.outputTokens > 0) return null;

  const T = contextTier(e, usage.inputTokens);
  const svc = serviceOf(ctx, notes);
  const family = providerFamily(ctx.provider ?? e.litellm_provider);
  const svcLabel = svc === "batches" ? "batch" : svc;

  const rates: RateState = { e, T, svc, family, applied: false, defaulted: false, missing: false };

  const inputStd = standardRate(rates, "input_cost_per_token") ?? baseInput;
  const outputStd = standardRate(rates, "output_cost_per_token") ?? baseOutput ?? 0;
  const inputRate = serviceRate(rates, "input_cost_per_token", inputStd, NO_RATIO_FIELDS);
  const outputRate = serviceRate(rates, "output_cost_per_token", outputStd, NO_RATIO_FIELDS);

  const cachedStd = standardRate(rates, "cache_read_input_token_cost");
  if (cachedStd === undefined && usage.cachedInputTokens > 0) notes.push("no cache-read price: cached input at the input price");
  const cachedRate = cachedStd === undefined ? inputRate : serviceRate(rates, "cache_read_input_token_cost", cachedStd, INPUT_RATIO);

  const write1h = usage.cacheWrite1hTokens ?? 0;
  const write5m = usage.cacheWriteTokens - write1h;
  const write5mStd = standardRate(rates, "cache_creation_input_token_cost");
  if (write5mStd === undefined && usage.cacheWriteTokens > 0) notes.push("no cache-write price: cache writes at the input price");
  const write5mRate = write5mStd === undefined ? inputRate : serviceRate(rates, "cache_creation_input_token_cost", write5mStd, INPUT_RATIO);
  let write1hRate = write5mRate;
  if (write1h > 0) {
    const std1h = standardRate(rates, "cache_creation_input_token_cost_above_1hr");
    if (std1h === undefined) notes.push("no 1h cache-write price: 1h writes at the 5-minute write price");
    else write1hRate = serviceRate(rates, "cache_creation_input_token_cost_above_1hr", std1h, WRITE_1H_RATIO);
  }

  const reasoningStd = standardRate(rates, "output_cost_per_reasoning_token");
  const reasoningRate = reasoningStd === undefined ? outputRate : serviceRate(rates, "output_cost_per_reasoning_token", reasoningStd, OUTPUT_RATIO);

  const uncached = usage.inputTokens - usage.cachedInputTokens - usage.cacheWriteTokens;
  const breakdown: CallCost["breakdown"] = {
    input: uncached * inputRate,
    cachedInput: usage.cachedInputTokens * cachedRate,
    cacheWrite: write5m * write5mRate + write1h * write1hRate,
    output: (usage.outputTokens - usage.reasoningTokens) * outputRate,
  };
  if (usage.reasoningTokens > 0) breakdown.reasoning = usage.reasoningTokens * reasoningRate;
  const costUsd = breakdown.input + breakdown.cachedInput + breakdown.cacheWrite + breakdown.output + (breakdown.reasoning ?? 0);

  const { applied: svcApplied, defaulted: svcDefaulted, missing: svcMissing } = rates;
  const tier: string[] = [svcLabel && (svcApplied || svcDefaulted) ? svcLabel : "standard"];
  if (T) tier.push(T);
  if (svcDefaulted) tier.push(`${svcLabel}: no table price, 50% of standard (provider batch discount)`);
  if (svcMissing && !svcApplied && !svcDefaulted) tier.push(`${svcLabel}: no table price, standard prices used`);
  else if (svcMissing) tier.push(`${svcLabel}: some components at standard prices`);
  if (found.overridden) tier.push(`override: ${found.overrideKey}`);
  tier.push(...notes);

  const priceVersion = found.overridden ? overrideVersion(ctx.overrides![found.overrideKey!]) : PRICE_VERSION;
  return { costUsd, breakdown, matchedModel: found.key, tier, priceVersion };
}
