// Provider prompt-caching rules, as documented by the providers:
// - OpenAI (and Azure OpenAI): automatic for prompts of 1,024 tokens or more; the cached part is the
//   longest shared prefix in steps of 128 tokens (1,024, 1,152, ...). Cached prefixes stay for 5-10
//   minutes of inactivity (up to an hour off-peak): we count 5 minutes, the conservative end.
// - Anthropic: explicit `cache_control` breakpoints; minimum cacheable prefix 1,024 tokens for Sonnet
//   and Opus models, 2,048 for Haiku. Reads cost 0.1x input, writes 1.25x (5-minute TTL) or 2x (1-hour
//   TTL) — the exact figures come from the price table (cache_read_input_token_cost,
//   cache_creation_input_token_cost, cache_creation_input_token_cost_above_1hr). Every read refreshes
//   the TTL.
// Other providers are reported as "not modelled".
import { providerFamily } from "../../pricing/cost";

export type PrefixCacheRules = {
  family: "openai" | "anthropic";
  mechanism: "automatic" | "cache_control";
  minimumTokens: number;
  /** Granularity of the cached part above the minimum. */
  incrementTokens: number;
  /** TTLs to evaluate, in minutes (the first is the default). */
  ttlMinutes: number[];
};

export function prefixCacheRules(provider: string | null | undefined, model: string | null | undefined): PrefixCacheRules | null {
  const family = providerFamily(provider);
  const m = (model ?? "").toLowerCase();
  if (family === "openai" || family === "azure") return { family: "openai", mechanism: "automatic", minimumTokens: 1024, incrementTokens: 128, ttlMinutes: [5] };
  if (family === "anthropic" || (m.includes("claude") && (family === "bedrock" || family === "google"))) {
    return { family: "anthropic", mechanism: "cache_control", minimumTokens: m.includes("haiku") ? 2048 : 1024, incrementTokens: 1, ttlMinutes: [5, 60] };
  }
  return null;
}

/** Tokens of a `prefixTokens`-long static prefix the provider would serve from cache. */
export function cacheableTokens(rules: PrefixCacheRules, prefixTokens: number): number {
  if (prefixTokens < rules.minimumTokens) return 0;
  return rules.minimumTokens + Math.floor((prefixTokens - rules.minimumTokens) / rules.incrementTokens) * rules.incrementTokens;
}

/**
 * For calls sharing one cached prefix, in time order: "write" when the cache is cold (first call, or the
 * previous use was more than `ttlMs` ago), else "read". Every use refreshes the TTL.
 */
export function cacheUses(timesMs: readonly number[], ttlMs: number): Array<"write" | "read"> {
  const out: Array<"write" | "read"> = [];
  let last = -Infinity;
  for (const t of timesMs) {
    if (t < last) throw new Error("cacheUses: times must be in ascending order");
    out.push(t - last <= ttlMs ? "read" : "write");
    last = t;
  }
  return out;
}
