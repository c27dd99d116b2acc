// Semantic-cache potential of a project's calls: which calls an embedding cache would have answered,
// how often that answer would have been wrong, and what it would save, with the threshold chosen from
// the project's own logs. Pure: no database; the embedder is the only injected dependency.
//
// Pipeline: simulate.ts (exclusions and template stripping, one embedding per distinct compared text, a
// similarity graph per scope, the time-ordered replay per threshold with TTL) -> each hit judged against
// the call's own logged response (judge.ts) -> curve, bootstrap intervals and recommendation
// (calibration.ts) -> savings per month, evidence clusters and findings.
import { priceCall } from "../../pricing/cost";
import { quantileSorted } from "../../stats/bootstrap";
import { hashSeed } from "../../stats/random";
import { wilsonInterval, type Interval } from "../../stats/wilson";
import { countTokens } from "../../tokens/count";
import { perMonth, type AnalysisCall, type LeverFinding } from "../types";
import { calibrate, type ThresholdOutcome } from "./calibration";
import { EXCLUSION_REASONS, responseToolCalls, type ExclusionReason } from "./exclusions";
import { createResponseJudge, DEFAULT_FREE_TEXT_AGREEMENT, type JudgeOptions } from "./judge";
import { simulateCache, type HitList, type SimulationOptions } from "./simulate";
import type { CacheGroupReport, CacheReport, ClusterEvidence, TemplateSummary } from "./types";

export { DEFAULT_INDEX_LIMITS, DEFAULT_THRESHOLDS, DEFAULT_TTL_MS } from "./simulate";
export const DEFAULT_PRODUCTION_EMBEDDING_MODEL = "text-embedding-3-small";

export type CacheAnalysisOptions = SimulationOptions & {
  /** Highest acceptable share of wrong answers among hits (Project.cacheWrongHitTolerance). Default 0.01. */
  tolerance?: number;
  /** A fixed free-text agreement here overrides the calibration on identical requests. */
  judge?: JudgeOptions;
  /** The embedding model a production cache would call per request (its cost is subtracted). */
  productionEmbeddingModel?: string;
  /** Overrides the price table for the production embedding model. */
  productionEmbeddingUsdPerMillionTokens?: number;
  /** Vector store cost per million lookups. Default 0 (self-hosted); set it for a managed store. */
  cacheCostPerMillionLookupsUsd?: number;
  /** Analysis window for the monthly extrapolation. Default: first to last call. */
  window?: { from: Date; to: Date };
  bootstrapIterations?: number;
  seed?: number;
  topClusters?: number;
};

/** The text a call answered with: its output text, else its tool calls. */
export function responseTextOf(call: AnalysisCall): string {
  if (call.outputText) return call.outputText;
  return responseToolCalls(call.response).join(", ");
}

const truncate = (text: string, max = 240) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
const round = (x: number, digits = 6) => Math.round(x * 10 ** digits) / 10 ** digits;


function countBy<T extends string>(items: Iterable<T>): Partial<Record<T, number>> {
  const out: Partial<Record<T, number>> = {};
  for (const x of items) out[x] = (out[x] ?? 0) + 1;
  return Object.fromEntries(Object.entries(out).sort((a, b) => (a[0] < b[0] ? -1 : 1))) as Partial<Record<T, number>>;
}

function scaleInterval(iv: Interval, f: (x: number) => number): Interval {
  return { point: f(iv.point), low: f(iv.low), high: f(iv.high) };
}

/**
 * Tokens of `texts` for `model`: counted exactly on an evenly spaced sample of up to 500 texts and
 * scaled by characters (counting 100k long prompts exactly would dominate the analysis time).
 */
function estimateTokens(texts: readonly string[], model: string): number {
  const step = Math.max(1, Math.floor(texts.length / 500));
  let sampleChars = 0;
  let sampleTokens = 0;
  let chars = 0;
  for (let i = 0; i < texts.length; i++) {
    chars += texts[i].length;
    if (i % step === 0) {
      sampleChars += texts[i].length;
      sampleTokens += countTokens(texts[i], model).tokens;
    }
  }
  return sampleChars > 0 ? Math.round((sampleTokens * chars) / sampleChars) : 0;
}

function productionEmbeddingPrice(model: string, override?: number): number {
  if (override !== undefined) return override;
  const priced = priceCall({ inputTokens: 1_000_000, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 }, { model });
  return priced?.costUsd ?? 0.02;
}

export async function analyseCache(calls: readonly AnalysisCall[], opts: CacheAnalysisOptions = {}): Promise<CacheReport> {
  const tolerance = opts.tolerance ?? 0.01;
  if (!(tolerance >= 0 && tolerance < 1)) throw new Error(`tolerance must be in [0, 1), got ${tolerance}`);
  const maxTemperature = opts.maxTemperature ?? 0.7;
  const seed = opts.seed ?? 1;
  const embeddingModel = opts.productionEmbeddingModel ?? DEFAULT_PRODUCTION_EMBEDDING_MODEL;
  const embeddingUsdPerM = productionEmbeddingPrice(embeddingModel, opts.productionEmbeddingUsdPerMillionTokens);
  const lookupUsdPerM = opts.cacheCostPerMillionLookupsUsd ?? 0;

  const sim = await simulateCache(calls, { ...opts, maxTemperature, onProgress: (f, m) => opts.onProgress?.(f * 0.8, m) });
  const { thresholds, ttlMs } = sim;
  const embedderId = sim.embedder.id;
  const times = sim.calls.map((c) => c.call.timestamp.getTime());
  const window = opts.window ?? { from: new Date(times.length ? times[0] : 0), to: new Date(times.length ? times[times.length - 1] : 0) };
  const monthly = (usd: number) => perMonth(usd, window.from, window.to);

  const groups: CacheGroupReport[] = [];
  const findings: LeverFinding[] = [];
  let totalRecommended: Interval = { point: 0, low: 0, high: 0 };
  let exactHitsTotal = 0;
  let exactMonthlyTotal = 0;

  for (let g = 0; g < sim.groups.length; g++) {
    const group = sim.groups[g];
    await opts.onProgress?.(0.8 + (0.2 * g) / sim.groups.length, `calibrating group ${g + 1} of ${sim.groups.length}`);
    const { feature, model, members, templates, key: groupKey } = group;
    const all = group.calls;
    const excluded = countBy(all.filter((c) => c.excluded).map((c) => c.excluded as ExclusionReason));

    const judge = createResponseJudge(members.map((c) => responseTextOf(c.call)), opts.judge);

    // Exact duplicates first: they also calibrate what "the same free-text answer" looks like here.
    const exact = group.exact;
    const dupSims: number[] = [];
    exact.hits.forEach((h, k) => {
      const c = judge.compare(exact.served[k], h);
      if (typeof c === "number") dupSims.push(c);
      else if (c === "same" && judge.kindCounts.free > 0 && responseTextOf(members[h].call).trim().split(/\s+/).length > (opts.judge?.labelMaxWords ?? 8)) dupSims.push(1);
    });
    let freeTextAgreement = { value: opts.judge?.freeTextAgreement ?? DEFAULT_FREE_TEXT_AGREEMENT, source: "default" as "default" | "duplicates", pairs: dupSims.length };
    if (opts.judge?.freeTextAgreement === undefined && dupSims.length >= 20) {
      const q = quantileSorted(dupSims.slice().sort((a, b) => a - b), 0.05);
      freeTextAgreement = { value: round(Math.min(0.9, Math.max(0.2, q)), 4), source: "duplicates", pairs: dupSims.length };
    }
    const agreement = freeTextAgreement.value;

    const outcomes: Array<ThresholdOutcome & { served: number[]; sims: number[] }> = group.byThreshold.map((r: HitList) => ({
      threshold: r.threshold,
      hits: Int32Array.from(r.hits),
      wrong: Uint8Array.from(r.hits, (h, k) => (judge.agree(r.served[k], h, agreement) ? 0 : 1)),
      served: r.served,
      sims: r.sims,
    }));
    const exactOutcome: ThresholdOutcome = { threshold: 1, hits: Int32Array.from(exact.hits), wrong: Uint8Array.from(exact.hits, (h, k) => (judge.agree(exact.served[k], h, agreement) ? 0 : 1)) };

    const costs = members.map((c) => c.call.costUsd);
    const eligibleCostUsd = costs.reduce<number>((s, c) => s + (c ?? 0), 0);
    const embeddingTokens = estimateTokens(members.map((c) => c.compared), embeddingModel);
    const lookupCost = (members.length * lookupUsdPerM) / 1e6;
    const fixedCostUsd = (embeddingTokens * embeddingUsdPerM) / 1e6 + lookupCost;
    const groupSeed = (hashSeed(groupKey) ^ seed) >>> 0;
    const calibration = calibrate(outcomes, costs, { tolerance, fixedCostUsd, iterations: opts.bootstrapIterations, seed: groupSeed });
    const exactCal = calibrate([exactOutcome], costs, { tolerance, fixedCostUsd: lookupCost, iterations: opts.bootstrapIterations, seed: groupSeed });
    const exactPoint = exactCal.points[0];
    const exactDuplicates = {
      hits: exactPoint.hits,
      hitRate: members.length ? exactPoint.hits / members.length : 0,
      wrongHits: exactPoint.wrongHits,
      wrongHitRate: wilsonInterval(exactPoint.wrongHits, exactPoint.hits),
      savedUsd: exactPoint.savedUsd.point,
      monthlyUsd: monthly(exactPoint.savedUsd.point),
    };
    exactHitsTotal += exactDuplicates.hits;
    exactMonthlyTotal += exactDuplicates.monthlyUsd;

    const templateSummaries: TemplateSummary[] = [
      ...(templates?.system ?? []).map((t) => ({ where: "system" as const, t })),
      ...(templates?.user ?? []).map((t) => ({ where: "user" as const, t })),
    ].map(({ where, t }) => ({
      where,
      members: t.members,
      prefixChars: t.prefix.length,
      suffixChars: t.suffix.length,
      sharedLines: t.sharedLines.length,
      example: truncate(`${t.prefix}{…}${t.suffix}`, 300),
    }));

    const clustersAt = (o: (typeof outcomes)[number]): ClusterEvidence[] => {
      const byEntry = new Map<number, number[]>();
      o.served.forEach((e, k) => {
        const list = byEntry.get(e) ?? [];
        list.push(k);
        byEntry.set(e, list);
      });
      const clusters = [...byEntry.entries()].map(([entry, ks]) => {
        const saved = ks.reduce((s, k) => s + (costs[o.hits[k]] ?? 0), 0);
        return { entry, ks, saved };
      });
      clusters.sort((a, b) => b.saved - a.saved || b.ks.length - a.ks.length || a.entry - b.entry);
      return clusters.slice(0, opts.topClusters ?? 5).map(({ entry, ks, saved }) => ({
        size: ks.length + 1,
        savedUsd: round(saved, 8),
        monthlyUsd: round(monthly(saved), 6),
        wrongHits: ks.filter((k) => o.wrong[k]).length,
        entry: { callId: members[entry].call.id, prompt: truncate(members[entry].compared), response: truncate(responseTextOf(members[entry].call)) },
        examples: ks.slice(0, 3).map((k) => ({
          callId: members[o.hits[k]].call.id,
          prompt: truncate(members[o.hits[k]].compared),
          similarity: round(o.sims[k], 4),
          response: truncate(responseTextOf(members[o.hits[k]].call)),
          agreed: !o.wrong[k],
        })),
      }));
    };

    const rec = calibration.recommended;
    let recommended: CacheGroupReport["recommended"] = null;
    let reason: string | undefined;
    let clusters: ClusterEvidence[] = [];
    const label = `"${feature ?? "untagged"}" on ${model ?? "unknown model"}`;
    if (rec) {
      const p = calibration.points[rec.index];
      const net = scaleInterval(p.savedUsd, (x) => x - fixedCostUsd);
      const perMonthNet = scaleInterval(net, monthly);
      recommended = {
        threshold: rec.threshold,
        hits: p.hits,
        hitRate: p.hitRate,
        wrongHitRate: p.wrongHitRate,
        wrongHitUpper: p.wrongHitUpper,
        netSavedUsd: net,
        monthly: perMonthNet,
        resampledThreshold: rec.resampledThreshold,
        resampledHitRate: rec.resampledHitRate,
      };
      clusters = clustersAt(outcomes[rec.index]);
      totalRecommended = { point: totalRecommended.point + perMonthNet.point, low: totalRecommended.low + perMonthNet.low, high: totalRecommended.high + perMonthNet.high };
      // The cache acts on the calls it would have answered: state the affected cost and the share
      // against those calls, so combining with levers on the same calls (lib/recommend) is exact.
      const hitIds = Array.from(outcomes[rec.index].hits, (h) => members[h].call.id);
      const hitCostUsd = Array.from(outcomes[rec.index].hits, (h) => members[h].call.costUsd ?? 0).reduce((a, b) => a + b, 0);
      const affected = monthly(hitCostUsd);
      const share = (x: number) => (hitCostUsd > 0 ? Math.min(Math.max(x / hitCostUsd, 0), 1) : 0);
      const confidence = p.hits >= 200 && rec.resampledThreshold.noneShare < 0.05 ? "high" : p.hits >= 30 ? "medium" : "low";
      findings.push({
        lever: "cache",
        title: `Semantic cache for ${label}: ${(p.hitRate.point * 100).toFixed(1)}% of calls answered from earlier ones`,
        scope: { feature, model },
        callIds: hitIds,
        affectedMonthlyCostUsd: affected,
        savingsShare: { point: share(net.point), low: share(net.low), high: share(net.high) },
        monthly: { usd: perMonthNet.point, low: perMonthNet.low, high: perMonthNet.high },
        confidence,
        evidence: {
          threshold: rec.threshold,
          embedder: embedderId,
          hits: p.hits,
          eligible: members.length,
          hitRate: p.hitRate,
          wrongHitRate: p.wrongHitRate,
          wrongHitUpper: p.wrongHitUpper,
          tolerance,
          resampledThreshold: rec.resampledThreshold,
          exactDuplicates: exactDuplicates.hits,
          clusters,
        },
        howToApply: {
          summary:
            `Put an embedding cache in front of ${model ?? "the model"} for ${feature ? `feature "${feature}"` : "untagged calls"}: embed only the varying part of the request ` +
            `(the system prompt and template are part of the cache key), and answer from the nearest entry of the same key when its cosine is at least ${rec.threshold} ` +
            `with ${embedderId} (a threshold belongs to one embedding method: recalibrate if you change it). Expire entries after ${Number.isFinite(ttlMs) ? `${Math.round(ttlMs / 3_600_000)} h` : "never"}.`,
          settings: { embedder: embedderId, threshold: rec.threshold, ttlSeconds: Number.isFinite(ttlMs) ? ttlMs / 1000 : null, key: ["feature", "model", "system prompt", "template"] },
        },
      });
    } else {
      const safe = calibration.points.filter((p) => p.hits > 0 && p.wrongHitUpper <= tolerance);
      reason =
        members.length === 0
          ? "no call may be served from a cache (see exclusions)"
          : calibration.points.every((p) => p.hits === 0)
            ? "no call would have hit the cache at any threshold"
            : safe.length === 0
              ? `at every threshold the wrong-hit rate's upper bound exceeds the tolerance (${(tolerance * 100).toFixed(1)}%)`
              : "the safe thresholds save less than the embedding and lookup cost";
      // The exact-match cache needs no embedding: worth it on its own when its answers hold up.
      const ex = exactCal.recommended;
      if (ex) {
        const p = exactCal.points[0];
        const net = scaleInterval(p.savedUsd, (x) => x - lookupCost);
        const perMonthNet = scaleInterval(net, monthly);
        totalRecommended = { point: totalRecommended.point + perMonthNet.point, low: totalRecommended.low + perMonthNet.low, high: totalRecommended.high + perMonthNet.high };
        const hitCostUsd = Array.from(exactOutcome.hits, (h) => members[h].call.costUsd ?? 0).reduce((a, b) => a + b, 0);
        const share = (x: number) => (hitCostUsd > 0 ? Math.min(Math.max(x / hitCostUsd, 0), 1) : 0);
        findings.push({
          lever: "cache",
          title: `Exact-match cache for ${label}: ${(p.hitRate.point * 100).toFixed(1)}% of calls repeat an earlier request`,
          scope: { feature, model },
          callIds: Array.from(exactOutcome.hits, (h) => members[h].call.id),
          affectedMonthlyCostUsd: monthly(hitCostUsd),
          savingsShare: { point: share(net.point), low: share(net.low), high: share(net.high) },
          monthly: { usd: perMonthNet.point, low: perMonthNet.low, high: perMonthNet.high },
          confidence: p.hits >= 200 ? "high" : p.hits >= 30 ? "medium" : "low",
          evidence: { exactDuplicates: p.hits, eligible: members.length, wrongHitRate: p.wrongHitRate, wrongHitUpper: p.wrongHitUpper, tolerance, semanticReason: reason },
          howToApply: {
            summary: `Cache ${model ?? "the model"}'s answers for ${feature ? `feature "${feature}"` : "untagged calls"} by the exact request (normalised case and spacing; system prompt and template in the key).`,
            settings: { threshold: 1, ttlSeconds: Number.isFinite(ttlMs) ? ttlMs / 1000 : null, key: ["feature", "model", "system prompt", "template", "normalised text"] },
          },
        });
      }
    }

    groups.push({
      feature,
      model,
      calls: all.length,
      eligible: members.length,
      excluded,
      scopes: group.scopes,
      templates: templateSummaries,
      freeTextAgreement,
      responseKinds: judge.kindCounts,
      eligibleCostUsd,
      fixedCostUsd,
      exactDuplicates,
      curve: calibration.points,
      bootstrapIterations: calibration.iterations,
      recommended,
      ...(reason ? { reason } : {}),
      clusters,
      index: group.index,
    });
  }

  await opts.onProgress?.(1, "done");
  const excludedAll = countBy(sim.calls.filter((c) => c.excluded).map((c) => c.excluded as ExclusionReason));
  return {
    version: 1,
    embedder: { ...sim.embedder, costUsd: opts.embedder?.costUsd() ?? 0 },
    window: { from: window.from.toISOString(), to: window.to.toISOString(), days: round((window.to.getTime() - window.from.getTime()) / 86_400_000, 4) },
    settings: {
      thresholds,
      ttlSeconds: Number.isFinite(ttlMs) ? ttlMs / 1000 : null,
      tolerance,
      productionEmbeddingModel: embeddingModel,
      productionEmbeddingUsdPerMillionTokens: embeddingUsdPerM,
      cacheCostPerMillionLookupsUsd: lookupUsdPerM,
      maxTemperature,
    },
    totals: {
      calls: sim.calls.length,
      eligible: sim.calls.filter((c) => !c.excluded).length,
      excluded: excludedAll,
      exclusionReasons: Object.fromEntries(Object.keys(excludedAll).map((r) => [r, EXCLUSION_REASONS[r as ExclusionReason]])),
      costUsd: sim.calls.reduce((s, c) => s + (c.call.costUsd ?? 0), 0),
      exactDuplicateHits: exactHitsTotal,
      exactDuplicateMonthlyUsd: exactMonthlyTotal,
      recommendedMonthlyUsd: totalRecommended,
    },
    groups,
    findings,
  };
}
