// Provider prefix caching per static-prompt group and model: is the static part a prefix, is it long
// enough for the provider, how much of the input is cached today, and what a reorder (OpenAI, automatic)
// or a cache_control breakpoint (Anthropic) would save, replaying the calls' arrival times against the
// cache TTL. Every figure is a difference of two priceCall results on the same call, so batch, tiers
// and overrides are priced the way the call itself was.
import { priceCall, type Usage } from "../../pricing/cost";
import { periodTotal } from "../../stats/period-total";
import type { StaticPromptGroup } from "../bloat/static-prompt";
import { perMonth, type AnalysisCall, type LeverFinding, type MonthlySavings } from "../types";
import { staticLayout, type StaticLayout } from "./layout";
import { cacheUses, cacheableTokens, prefixCacheRules, type PrefixCacheRules } from "./rules";

export type PrefixCacheAction = "not_modelled" | "below_minimum" | "none_needed" | "already_cached" | "reorder" | "add_breakpoint" | "reorder_and_breakpoint";

export type PrefixCacheEntry = {
  groupId: string;
  provider: string;
  model: string;
  calls: number;
  mechanism: PrefixCacheRules["mechanism"] | null;
  minimumTokens: number | null;
  staticTokens: number;
  tokensExact: boolean;
  /** Static tokens leading the request today / after moving all static text to the front. */
  prefixTokensNow: number;
  prefixTokensAfter: number;
  /** Tokens the provider would serve from cache, now and after (minimum and increments applied). */
  cacheableNow: number;
  cacheableAfter: number;
  isPrefix: boolean;
  reasons: string[];
  /** From usage: cached input tokens / input tokens, cache-write tokens / input tokens. */
  currentCachedShare: number;
  currentCacheWriteShare: number;
  /** The TTL the figures are for, the cache reads/writes it gives, and the alternatives evaluated. */
  ttlMinutes: number | null;
  reads: number;
  writes: number;
  alternatives: Array<{ ttlMinutes: number; reads: number; writes: number; savingsUsd: number }>;
  action: PrefixCacheAction;
  /** Monthly cost of these calls, and what the action saves per month. */
  monthlyCostUsd: number;
  monthly: MonthlySavings;
};

export type PrefixCacheOptions = {
  window: { from: Date; to: Date };
  seed?: number;
  /** Precomputed layouts keyed `${groupId}|${model}` (the bloat analysis already has them). */
  layouts?: Map<string, StaticLayout>;
};

function usageOf(call: AnalysisCall): Usage {
  const write1h = (call as AnalysisCall & { cacheWrite1hTokens?: number }).cacheWrite1hTokens;
  return {
    inputTokens: call.inputTokens,
    outputTokens: call.outputTokens,
    cachedInputTokens: call.cachedInputTokens,
    cacheWriteTokens: call.cacheWriteTokens,
    cacheWrite1hTokens: write1h && write1h <= call.cacheWriteTokens ? write1h : undefined,
    reasoningTokens: 0,
  };
}

function cost(call: AnalysisCall, usage: Usage): number | null {
  return priceCall(usage, { provider: call.provider, model: call.model ?? "", batch: call.batch })?.costUsd ?? null;
}

/** Per-call savings for one TTL; null entries are unpriced calls. */
function simulate(rules: PrefixCacheRules, calls: AnalysisCall[], cacheableNow: number, cacheableAfter: number, ttlMinutes: number) {
  const uses = cacheUses(
    calls.map((c) => c.timestamp.getTime()),
    ttlMinutes * 60_000,
  );
  const savings: Array<number | null> = [];
  calls.forEach((call, i) => {
    const actual = usageOf(call);
    const read = uses[i] === "read";
    const room = actual.inputTokens - actual.cacheWriteTokens;
    if (rules.family === "openai") {
      // Only the reorder's effect: the baseline already gets the prefix it has today on every hit.
      const base = { ...actual, cachedInputTokens: read ? Math.min(room, Math.max(actual.cachedInputTokens, cacheableNow)) : actual.cachedInputTokens };
      const proj = { ...actual, cachedInputTokens: read ? Math.min(room, Math.max(actual.cachedInputTokens, cacheableAfter)) : actual.cachedInputTokens };
      const a = cost(call, base);
      const b = cost(call, proj);
      savings.push(a === null || b === null ? null : a - b);
      return;
    }
    const alreadyCaching = cacheableAfter > 0 && actual.cachedInputTokens + actual.cacheWriteTokens >= 0.9 * cacheableAfter;
    if (cacheableAfter === 0 || alreadyCaching) {
      savings.push(cost(call, actual) === null ? null : 0);
      return;
    }
    const p = Math.min(cacheableAfter, actual.inputTokens);
    const proj: Usage = {
      ...actual,
      cachedInputTokens: read ? p : 0,
      cacheWriteTokens: read ? 0 : p,
      cacheWrite1hTokens: !read && ttlMinutes > 5 ? p : undefined,
    };
    const a = cost(call, actual);
    const b = cost(call, proj);
    savings.push(a === null || b === null ? null : a - b);
  });
  return { uses, savings };
}

function entryFor(group: StaticPromptGroup, provider: string, model: string, calls: AnalysisCall[], opts: PrefixCacheOptions): PrefixCacheEntry {
  const rules = prefixCacheRules(provider, model);
  const layout = opts.layouts?.get(`${group.id}|${model}`) ?? staticLayout({ ...group, calls }, model);
  const input = calls.reduce((s, c) => s + c.inputTokens, 0);
  const monthlyCostUsd = perMonth(
    calls.reduce((s, c) => s + (c.costUsd ?? 0), 0),
    opts.window.from,
    opts.window.to,
  );
  const base: PrefixCacheEntry = {
    groupId: group.id,
    provider,
    model,
    calls: calls.length,
    mechanism: rules?.mechanism ?? null,
    minimumTokens: rules?.minimumTokens ?? null,
    staticTokens: layout.staticTokens,
    tokensExact: layout.exact,
    prefixTokensNow: layout.prefixTokens,
    prefixTokensAfter: layout.staticTokens,
    cacheableNow: 0,
    cacheableAfter: 0,
    isPrefix: layout.isPrefix,
    reasons: layout.reasons,
    currentCachedShare: input ? calls.reduce((s, c) => s + c.cachedInputTokens, 0) / input : 0,
    currentCacheWriteShare: input ? calls.reduce((s, c) => s + c.cacheWriteTokens, 0) / input : 0,
    ttlMinutes: null,
    reads: 0,
    writes: 0,
    alternatives: [],
    action: "not_modelled",
    monthlyCostUsd,
    monthly: { usd: 0, low: 0, high: 0 },
  };
  if (!rules) return base;
  const cacheableNow = cacheableTokens(rules, layout.prefixTokens);
  const cacheableAfter = cacheableTokens(rules, layout.staticTokens);
  base.cacheableNow = cacheableNow;
  base.cacheableAfter = cacheableAfter;
  if (cacheableAfter === 0) return { ...base, action: "below_minimum" };

  const runs = rules.ttlMinutes.map((ttl) => ({ ttl, ...simulate(rules, calls, cacheableNow, cacheableAfter, ttl) }));
  const total = (r: (typeof runs)[number]) => r.savings.reduce<number>((s, v) => s + (v ?? 0), 0);
  const best = runs.reduce((a, b) => (total(b) > total(a) ? b : a));
  base.alternatives = runs.map((r) => ({
    ttlMinutes: r.ttl,
    reads: r.uses.filter((u) => u === "read").length,
    writes: r.uses.filter((u) => u === "write").length,
    savingsUsd: perMonth(total(r), opts.window.from, opts.window.to),
  }));
  base.ttlMinutes = best.ttl;
  base.reads = best.uses.filter((u) => u === "read").length;
  base.writes = best.uses.length - base.reads;

  let action: PrefixCacheAction;
  if (rules.family === "openai") action = cacheableAfter > cacheableNow ? "reorder" : "none_needed";
  else {
    const caching = calls.filter((c) => c.cachedInputTokens + c.cacheWriteTokens >= 0.9 * cacheableAfter).length;
    action = caching * 2 >= calls.length ? "already_cached" : layout.isPrefix ? "add_breakpoint" : "reorder_and_breakpoint";
  }
  if (action === "none_needed" || action === "already_cached") return { ...base, action };
  const monthly = periodTotal(
    calls.map((c, i) => ({ time: c.timestamp.getTime(), value: best.savings[i] ?? 0 })),
    { from: opts.window.from.getTime(), to: opts.window.to.getTime() },
    { seed: opts.seed ?? 1 },
  );
  return { ...base, action, monthly: { usd: monthly.point, low: Math.max(0, monthly.low), high: monthly.high } };
}

const snippetAnthropic = (ttl: number | null) => `const response = await anthropic.messages.create({
  model,
  system: [{ type: "text", text: STATIC_PROMPT, cache_control: { type: "ephemeral"${ttl && ttl > 5 ? ', ttl: "1h"' : ""} } }],
  messages: [{ role: "user", content: variableInput }], // dates, names, documents go here, after the breakpoint
});`;

const snippetOpenAI = `// Fixed instructions first and byte-identical on every call; everything that varies afterwards.
const response = await openai.chat.completions.create({
  model,
  messages: [
    { role: "system", content: STATIC_PROMPT },          // no dates, names or ids in here
    { role: "user", content: \`\${context}\\n\\n\${input}\` }, // the variable parts
  ],
});`;

export function prefixCacheFinding(entry: PrefixCacheEntry, group: StaticPromptGroup, feature: string | null): LeverFinding | null {
  if (!["reorder", "add_breakpoint", "reorder_and_breakpoint"].includes(entry.action) || entry.monthly.usd <= 0) return null;
  const affected = entry.monthlyCostUsd;
  const share = (v: number) => (affected > 0 ? Math.min(1, Math.max(0, v / affected)) : 0);
  const anthropic = entry.mechanism === "cache_control";
  const title = anthropic
    ? `${entry.action === "reorder_and_breakpoint" ? "Move the fixed prompt first and cache" : "Cache"} its ${entry.cacheableAfter} tokens with cache_control (${entry.model})`
    : `Put the ${entry.staticTokens} fixed prompt tokens first so OpenAI caches them (${entry.model})`;
  const calls = group.calls.filter((c) => (c.model ?? "") === entry.model && c.provider === entry.provider);
  return {
    lever: "prefix_cache",
    title,
    scope: { feature, model: entry.model, promptHash: group.method === "hash" ? group.id : null },
    callIds: calls.map((c) => c.id),
    affectedMonthlyCostUsd: affected,
    savingsShare: { point: share(entry.monthly.usd), low: share(entry.monthly.low), high: share(entry.monthly.high) },
    monthly: entry.monthly,
    confidence: entry.calls >= 50 && entry.tokensExact ? "high" : entry.calls >= 10 ? "medium" : "low",
    evidence: {
      kind: "prefix_cache",
      groupId: entry.groupId,
      staticTokens: entry.staticTokens,
      prefixTokensNow: entry.prefixTokensNow,
      cacheableNow: entry.cacheableNow,
      cacheableAfter: entry.cacheableAfter,
      minimumTokens: entry.minimumTokens,
      isPrefix: entry.isPrefix,
      reasons: entry.reasons,
      currentCachedShare: entry.currentCachedShare,
      ttlMinutes: entry.ttlMinutes,
      reads: entry.reads,
      writes: entry.writes,
      alternatives: entry.alternatives,
    },
    howToApply: {
      summary: anthropic
        ? `Add a cache_control breakpoint after the fixed prompt${entry.action === "reorder_and_breakpoint" ? " (move variable text after it first)" : ""}; ${
            entry.ttlMinutes && entry.ttlMinutes > 5 ? "use the 1-hour TTL: calls are too far apart for 5 minutes" : "the default 5-minute TTL fits the traffic"
          }.`
        : `Move the variable text (${entry.reasons.join("; ") || "dates, names, documents"}) after the fixed prompt; OpenAI then caches ${entry.cacheableAfter} tokens automatically.`,
      snippet: anthropic ? snippetAnthropic(entry.ttlMinutes) : snippetOpenAI,
      settings: anthropic ? { cache_control: { type: "ephemeral", ...(entry.ttlMinutes && entry.ttlMinutes > 5 ? { ttl: "1h" } : {}) } } : undefined,
    },
  };
}

/** Entries per group x (provider, model), and the prefix_cache findings. */
export function analysePrefixCache(groups: StaticPromptGroup[], opts: PrefixCacheOptions): { entries: PrefixCacheEntry[]; findings: LeverFinding[] } {
  const entries: PrefixCacheEntry[] = [];
  const findings: LeverFinding[] = [];
  for (const group of groups) {
    const byModel = new Map<string, AnalysisCall[]>();
    for (const c of group.calls) {
      const key = `${c.provider}\u0000${c.model ?? ""}`;
      let arr = byModel.get(key);
      if (!arr) byModel.set(key, (arr = []));
      arr.push(c);
    }
    for (const [key, calls] of [...byModel.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      const [provider, model] = key.split("\u0000");
      calls.sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime() || (a.id < b.id ? -1 : 1));
      const entry = entryFor(group, provider, model, calls, opts);
      entries.push(entry);
      const features = [...new Set(calls.map((c) => c.feature))];
      const f = prefixCacheFinding(entry, group, features.length === 1 ? features[0] : null);
      if (f) findings.push(f);
    }
  }
  return { entries, findings };
}
