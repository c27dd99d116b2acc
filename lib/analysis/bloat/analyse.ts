// Prompt bloat per static-prompt group: what the fixed text costs, where it is bloated (exact spans),
// the deterministic compressed candidate measured by the exact tokenizer, conversation and output
// bloat, and provider prefix caching — with LeverFindings "compress" and "prefix_cache". Pure and
// deterministic: the same calls and options give the same report (verification results are passed in).
import { priceCall, type Usage } from "../../pricing/cost";
import { periodTotal } from "../../stats/period-total";
import { countTokens } from "../../tokens/count";
import { analysePrefixCache, type PrefixCacheEntry } from "../prefix-cache/analyse";
import { staticLayout, type StaticLayout } from "../prefix-cache/layout";
import { perMonth, type AnalysisCall, type LeverFinding, type MonthlySavings } from "../types";
import { applyFindingEdits, EDIT_PRIORITY } from "./candidate";
import { findResentDocuments, findUnboundedHistory, inputSavingUsd } from "./conversation";
import type { DetectContext, DraftFinding } from "./detect/context";
import { detectContradictions } from "./detect/contradictions";
import { detectExamples } from "./detect/examples";
import { detectUnusedFormats } from "./detect/formats";
import { detectPersona } from "./detect/persona";
import { detectRepeats } from "./detect/repeats";
import { detectDuplicateSchema, groupSchema } from "./detect/schema";
import { detectWhitespaceAndMarkdown } from "./detect/whitespace";
import { analyseOutputBloat } from "./output";
import { groupByStaticPrompt, staticTextOf, type GroupingOptions, type StaticPromptGroup } from "./static-prompt";
import type { BloatFinding, BloatReport, Candidate, PromptGroupReport, StaticSegment, VerificationResult } from "./types";

export type BloatOptions = {
  /** Analysis window (default: first to last call). */
  window?: { from: Date; to: Date };
  seed?: number;
  grouping?: GroupingOptions;
  /** Groups analysed, by spend. Default 25. */
  maxGroups?: number;
  /** Examples longer than this (tokens) are flagged. Default 150. */
  longExampleTokens?: number;
  /** Outputs needed before a described format can be called unused. Default 30. */
  minOutputsForUnusedFormat?: number;
  /** Whitespace/markdown is "heavy" when removing it saves at least this share of the static tokens (and 5 tokens). Default 0.01. */
  heavyShare?: number;
  keepMessages?: number;
  /** Replay verification of candidates, keyed by group id then candidate method (from verifyCandidates). */
  verification?: Record<string, Partial<Record<Candidate["method"], VerificationResult>>>;
  /** Model rewrites (from rewriteWithModel), keyed by group id. */
  rewrites?: Record<string, { segments: StaticSegment[]; constraints: { checked: string[]; missing: string[] } }>;
};

export type BloatAnalysis = BloatReport & { prefixCache: PrefixCacheEntry[] };

const UNVERIFIED: VerificationResult = { status: "unverified", reason: "no replay provider configured for this project" };

function usageOf(c: AnalysisCall): Usage {
  return { inputTokens: c.inputTokens, outputTokens: c.outputTokens, cachedInputTokens: c.cachedInputTokens, cacheWriteTokens: c.cacheWriteTokens, reasoningTokens: 0 };
}

function mostCommon<T extends string>(values: T[]): T {
  const counts = new Map<T, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0][0];
}

function segmentTokens(segments: StaticSegment[], model: string): number {
  return segments.reduce((s, seg) => s + countTokens(seg.text, model).tokens, 0);
}

/** Runs the detectors on a group's static segments and measures every finding with the tokenizer. */
export function detectBloat(
  segments: StaticSegment[],
  calls: AnalysisCall[],
  model: string,
  opts: Pick<BloatOptions, "longExampleTokens" | "minOutputsForUnusedFormat" | "heavyShare"> = {},
): { findings: BloatFinding[]; candidate: { segments: StaticSegment[]; tokens: number; applied: number[] } | null; staticTokens: number } {
  const tok = (t: string) => countTokens(t, model).tokens;
  const staticTokens = segmentTokens(segments, model);
  const ctx: DetectContext = {
    segments,
    countTokens: tok,
    outputs: calls.map((c) => c.outputText ?? ""),
    schema: groupSchema(calls),
    claimed: [],
    longExampleTokens: opts.longExampleTokens ?? 150,
    minOutputsForUnusedFormat: opts.minOutputsForUnusedFormat ?? 30,
  };
  const examples = detectExamples(ctx);
  ctx.claimed.push(...examples.examples.map((e) => ({ segment: e.segment, start: e.start, end: e.end })));
  const drafts: DraftFinding[] = [
    ...examples.findings,
    ...detectDuplicateSchema(ctx),
    ...detectContradictions(ctx),
    ...detectUnusedFormats(ctx),
    ...detectRepeats(ctx),
    ...detectPersona(ctx),
    ...detectWhitespaceAndMarkdown(ctx),
  ];
  // One report per span: a sentence both contradicted and describing an unused format is reported once.
  const seen = new Set<string>();
  const unique = drafts.filter((d) => {
    const key = d.spans.map((s) => `${s.segment}:${s.start}:${s.end}`).join("|");
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const rank = (k: string) => {
    const i = (EDIT_PRIORITY as readonly string[]).indexOf(k);
    return i === -1 ? EDIT_PRIORITY.length : i;
  };
  unique.sort((a, b) => rank(a.kind) - rank(b.kind) || a.spans[0].segment - b.spans[0].segment || a.spans[0].start - b.spans[0].start);
  const measured: BloatFinding[] = unique.map((d) => {
    const alone = d.edits.length ? applyFindingEdits(segments, [d]).segments : segments;
    return { ...d, tokens: d.spans.reduce((s, sp) => s + tok(sp.text), 0), tokensSaved: d.edits.length ? staticTokens - segmentTokens(alone, model) : 0, applied: false };
  });
  const heavy = Math.max(5, (opts.heavyShare ?? 0.01) * staticTokens);
  const findings = measured.filter((f) => !((f.kind === "whitespace" || f.kind === "markdown") && f.tokensSaved < heavy));
  const withEdits = findings.map((f, i) => ({ f, i })).filter(({ f }) => f.edits.length > 0);
  if (withEdits.length === 0) return { findings, candidate: null, staticTokens };
  const { segments: compressed, applied } = applyFindingEdits(
    segments,
    withEdits.map(({ f }) => f),
  );
  withEdits.forEach(({ f }, k) => (f.applied = applied[k]));
  const tokens = segmentTokens(compressed, model);
  if (tokens >= staticTokens) return { findings, candidate: null, staticTokens };
  return { findings, candidate: { segments: compressed, tokens, applied: withEdits.filter((_, k) => applied[k]).map(({ i }) => i) }, staticTokens };
}

/** Monthly $ saved if each call sent `tokensSavedFor(model)` fewer static tokens. */
function candidateSavings(calls: AnalysisCall[], tokensSavedFor: (model: string) => number, window: { from: Date; to: Date }, seed: number): MonthlySavings {
  const items = calls.map((c) => ({ time: c.timestamp.getTime(), value: inputSavingUsd(c, tokensSavedFor(c.model ?? "")) }));
  const iv = periodTotal(items, { from: window.from.getTime(), to: window.to.getTime() }, { seed });
  return { usd: iv.point, low: Math.max(0, iv.low), high: iv.high };
}

/** $ of the static part of one call: its tokens at the call's prices, cached/written share where the static part leads. */
function staticCostUsd(call: AnalysisCall, layout: StaticLayout): number {
  if (!call.model) return 0;
  const u = usageOf(call);
  const s = Math.min(layout.staticTokens, u.inputTokens);
  const cached = Math.min(u.cachedInputTokens, layout.prefixTokens, s);
  const write = Math.min(u.cacheWriteTokens, Math.max(0, Math.min(layout.prefixTokens, s) - cached));
  return priceCall({ inputTokens: s, outputTokens: 0, cachedInputTokens: cached, cacheWriteTokens: write, reasoningTokens: 0 }, { provider: call.provider, model: call.model, batch: call.batch })?.costUsd ?? 0;
}

function groupReport(group: StaticPromptGroup, window: { from: Date; to: Date }, opts: BloatOptions, layouts: Map<string, StaticLayout>): PromptGroupReport {
  const seed = opts.seed ?? 1;
  const calls = group.calls;
  const model = mostCommon(calls.map((c) => c.model ?? ""));
  const provider = mostCommon(calls.map((c) => c.provider));
  const models = [...new Set(calls.map((c) => c.model ?? ""))].sort();
  for (const m of models) if (!layouts.has(`${group.id}|${m}`)) layouts.set(`${group.id}|${m}`, staticLayout(group, m));
  const layoutFor = (m: string) => layouts.get(`${group.id}|${m}`)!;
  const layout = layoutFor(model);
  const detected = detectBloat(group.segments, calls, model, opts);
  const inputTokens = calls.reduce((s, c) => s + c.inputTokens, 0);
  const countFor = (text: string, m: string) => countTokens(text, m).tokens;

  const candidates: Candidate[] = [];
  const verification = opts.verification?.[group.id] ?? {};
  if (detected.candidate) {
    const cand = detected.candidate;
    const savedByModel = new Map(models.map((m) => [m, layoutFor(m).staticTokens - segmentTokens(cand.segments, m)]));
    candidates.push({
      method: "deterministic",
      segments: cand.segments,
      text: staticTextOf(cand.segments),
      tokens: cand.tokens,
      tokensSaved: detected.staticTokens - cand.tokens,
      appliedFindings: cand.applied,
      monthly: candidateSavings(calls, (m) => savedByModel.get(m) ?? 0, window, seed),
      verification: verification.deterministic ?? UNVERIFIED,
    });
  }
  const rewrite = opts.rewrites?.[group.id];
  if (rewrite) {
    const tokens = segmentTokens(rewrite.segments, model);
    if (tokens < detected.staticTokens) {
      const savedByModel = new Map(models.map((m) => [m, layoutFor(m).staticTokens - segmentTokens(rewrite.segments, m)]));
      candidates.push({
        method: "model",
        segments: rewrite.segments,
        text: staticTextOf(rewrite.segments),
        tokens,
        tokensSaved: detected.staticTokens - tokens,
        appliedFindings: [],
        monthly: candidateSavings(calls, (m) => savedByModel.get(m) ?? 0, window, seed),
        verification: verification.model ?? UNVERIFIED,
        constraints: rewrite.constraints,
      });
    }
  }

  const conversationOpts = { window, countTokens: countFor, keepMessages: opts.keepMessages, seed };
  const conversation = [findUnboundedHistory(calls, conversationOpts), findResentDocuments(calls, conversationOpts)].filter((f) => f !== null);
  const output = analyseOutputBloat(group.segments, calls, { window, countTokens: countFor, seed });

  return {
    id: group.id,
    method: group.method,
    provider,
    models: models.map((m) => ({ model: m, calls: calls.filter((c) => (c.model ?? "") === m).length })),
    features: [...new Set(calls.map((c) => c.feature ?? ""))].filter(Boolean).sort(),
    calls: calls.length,
    segments: group.segments,
    staticText: staticTextOf(group.segments),
    staticTokens: detected.staticTokens,
    tokensExact: layout.exact,
    inputTokensPerCall: calls.length ? inputTokens / calls.length : 0,
    staticShareOfInput: inputTokens ? calls.reduce((s, c) => s + Math.min(layoutFor(c.model ?? "").staticTokens, c.inputTokens), 0) / inputTokens : 0,
    staticMonthlyUsd: perMonth(
      calls.reduce((s, c) => s + staticCostUsd(c, layoutFor(c.model ?? "")), 0),
      window.from,
      window.to,
    ),
    groupMonthlyUsd: perMonth(
      calls.reduce((s, c) => s + (c.costUsd ?? 0), 0),
      window.from,
      window.to,
    ),
    findings: detected.findings,
    conversation,
    output,
    candidates,
  };
}

function share(v: number, of: number): number {
  return of > 0 ? Math.min(1, Math.max(0, v / of)) : 0;
}

/** Whether a candidate may be recommended: verified by replay. */
export function isRecommended(c: Candidate): boolean {
  return c.verification.status === "verified";
}

/** The compress findings of a group report (prompt candidate, history, re-sent documents, output). */
export function compressFindings(g: PromptGroupReport, callIds: string[]): LeverFinding[] {
  const out: LeverFinding[] = [];
  const scope = { feature: g.features.length === 1 ? g.features[0] : null, model: g.models.length === 1 ? g.models[0].model : null, promptHash: g.method === "hash" ? g.id : null };
  const affected = g.groupMonthlyUsd;
  const shareOf = (m: MonthlySavings) => ({ point: share(m.usd, affected), low: share(m.low, affected), high: share(m.high, affected) });
  // The best candidate that is not rejected: verified first, then by savings.
  const usable = g.candidates.filter((c) => c.verification.status !== "rejected" && c.monthly.usd > 0);
  const best = usable.sort((a, b) => Number(isRecommended(b)) - Number(isRecommended(a)) || b.monthly.usd - a.monthly.usd)[0];
  if (best) {
    const v = best.verification;
    out.push({
      lever: "compress",
      title: `Compress the fixed prompt: ${g.staticTokens} -> ${best.tokens} tokens per call${isRecommended(best) ? "" : " (unverified)"}`,
      scope,
      callIds,
      affectedMonthlyCostUsd: affected,
      savingsShare: shareOf(best.monthly),
      monthly: best.monthly,
      confidence: isRecommended(best) ? "high" : "low",
      evidence: {
        kind: "prompt_compression",
        groupId: g.id,
        method: best.method,
        recommended: isRecommended(best),
        verification: v,
        originalTokens: g.staticTokens,
        candidateTokens: best.tokens,
        tokensExact: g.tokensExact,
        findings: g.findings.map((f) => ({ kind: f.kind, tokensSaved: f.tokensSaved, spans: f.spans.map((s) => ({ segment: s.segment, start: s.start, end: s.end })) })),
        original: g.staticText,
        candidate: best.text,
      },
      howToApply: {
        summary: isRecommended(best)
          ? `Replace the fixed prompt with the candidate (replay agreement ${(("agreement" in v ? v.agreement.low : 0) * 100).toFixed(1)}% or better).`
          : "Review the candidate and verify it with a replay before switching (configure a provider for this project to run the check).",
        snippet: best.text,
      },
    });
  }
  for (const c of g.conversation) {
    if (c.monthly.usd <= 0) continue;
    out.push({
      lever: "compress",
      title: c.kind === "unbounded_history" ? `Trim conversation history to the last ${c.keepMessages} messages` : "Send each document once per request",
      scope,
      callIds: c.callIds,
      affectedMonthlyCostUsd: affected,
      savingsShare: shareOf(c.monthly),
      monthly: c.monthly,
      confidence: "low",
      evidence: { groupId: g.id, ...c },
      howToApply: {
        summary: c.message,
        snippet:
          c.kind === "unbounded_history"
            ? `const history = messages.filter((m) => m.role !== "system");\nconst recent = history.slice(-${c.keepMessages});\nconst request = [systemMessage, ...(history.length > recent.length ? [{ role: "system", content: summary }] : []), ...recent];`
            : undefined,
      },
    });
  }
  if (g.output?.flagged && g.output.monthly.usd > 0) {
    const o = g.output;
    out.push({
      lever: "compress",
      title: `Answer with the label only (${(o.verboseLabelShare.point * 100).toFixed(0)}% of answers are sentences)`,
      scope,
      callIds,
      affectedMonthlyCostUsd: affected,
      savingsShare: shareOf(o.monthly),
      monthly: o.monthly,
      confidence: o.outputsChecked >= 100 ? "medium" : "low",
      evidence: { kind: "output_bloat", groupId: g.id, ...o },
      howToApply: {
        summary: "Ask for the label alone (or use a JSON schema with an enum of the labels) and set a small max_tokens.",
        settings: { max_tokens: Math.max(8, Math.ceil(o.medianLabelTokens * 2)) },
      },
    });
  }
  return out;
}

export function analyseBloat(calls: AnalysisCall[], opts: BloatOptions = {}): BloatAnalysis {
  const times = calls.map((c) => c.timestamp.getTime());
  // reduce, not Math.min(...times): a spread of a million arguments overflows the stack.
  const window = opts.window ?? { from: new Date(times.length ? times.reduce((a, b) => Math.min(a, b)) : 0), to: new Date(times.length ? times.reduce((a, b) => Math.max(a, b)) : 0) };
  const { groups, ungrouped } = groupByStaticPrompt(calls, opts.grouping);
  const chosen = groups.slice(0, opts.maxGroups ?? 25);
  const layouts = new Map<string, StaticLayout>();
  const reports = chosen.map((g) => groupReport(g, window, opts, layouts));
  const prefix = analysePrefixCache(chosen, { window, seed: opts.seed, layouts });
  const findings: LeverFinding[] = [];
  reports.forEach((r, i) => findings.push(...compressFindings(r, chosen[i].calls.map((c) => c.id))));
  findings.push(...prefix.findings);
  findings.sort((a, b) => b.monthly.usd - a.monthly.usd || (a.title < b.title ? -1 : 1));
  return {
    window: { from: window.from.toISOString(), to: window.to.toISOString(), days: Math.max((window.to.getTime() - window.from.getTime()) / 86_400_000, 1) },
    calls: calls.length,
    groups: reports,
    ungroupedCalls: ungrouped.length + groups.slice(chosen.length).reduce((s, g) => s + g.calls.length, 0),
    findings,
    prefixCache: prefix.entries,
  };
}
