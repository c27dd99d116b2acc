// Distillation, the fifth lever: a group of classification calls whose answers come from a small label
// set is its own training set (the prompts and the LLM's answers). A softmax classifier over TF-IDF
// features learns it; at a confidence threshold chosen on the past it answers the calls it is sure of
// and forwards the rest (an LLM cascade). Savings = the LLM cost of the calls answered locally.
import { lastUserText } from "../messages";
import { groupCalls } from "../modelfit/groups";
import { profileTask, type TaskProfile } from "../modelfit/profile";
import { answerLabel, callOutput } from "../replay/answers";
import { perMonth, type AnalysisCall, type LeverFinding, type MonthlySavings } from "../types";
import type { DistilledArtifact } from "./artifact";
import { evaluateDistillation, type DistillEvaluation, type DistillExample, type DistillTrainOptions } from "./train";

export type DistillOptions = DistillTrainOptions & {
  /** Fewest calls a group needs. Default 300. */
  minCalls?: number;
  /** A label needs this many examples to be learnable. Default 10. */
  minPerLabel?: number;
  /** Share of calls whose label is learnable. Default 0.95. */
  labelCoverage?: number;
  /** Share of confident calls still sent to the LLM to keep measuring agreement. Default 0.02. */
  auditShare?: number;
  window?: { from: Date; to: Date };
};

export type Eligibility = { eligible: true; examples: DistillExample[]; labels: number; coverage: number } | { eligible: false; reason: string };

export type DistillGroupResult = {
  key: string;
  feature: string | null;
  promptHash: string | null;
  model: string | null;
  calls: number;
  monthlyCostUsd: number;
  task: TaskProfile["kind"];
  eligible: boolean;
  reason: string;
  labels?: number;
  evaluation?: DistillEvaluation;
  savings?: MonthlySavings;
};

export type DistillReport = {
  version: 1;
  agreementTarget: number;
  auditShare: number;
  window: { from: string; to: string };
  groups: DistillGroupResult[];
  findings: LeverFinding[];
  savingsMethod: string;
};

export const DISTILL_SAVINGS_METHOD =
  "Monthly savings = the group's monthly LLM cost x the share of future calls answered locally at the recommended threshold x (1 - audit share); the interval is the share's bootstrap 95% interval. The local model's own cost (~0) is not subtracted. Calls the distilled model answers are also the ones a cache would have caught: recommendations apply this lever before the cache.";

/** Calls the proxy already answered locally (tagged by serve.ts) never become training data. */
export function isLocallyAnswered(call: Pick<AnalysisCall, "tags">): boolean {
  return call.tags.distilled !== undefined;
}

/** Training examples of a group, or why it is not eligible. */
export function distillEligibility(calls: AnalysisCall[], profile: TaskProfile, opts: DistillOptions = {}): Eligibility {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  if (profile.kind !== "classification") {
    return { eligible: false, reason: `not a classification task (${profile.kind.replace("_", " ")}: ${profile.reason}); only answers from a small label set can be distilled` };
  }
  const examples: DistillExample[] = [];
  for (const call of calls) {
    if (isLocallyAnswered(call)) continue;
    const out = callOutput(call);
    const text = lastUserText(call);
    const label = answerLabel(out);
    if (!text.trim() || !label) continue;
    examples.push({ id: call.id, timestamp: call.timestamp, text, label, answer: out.text.trim() || label });
  }
  const minCalls = opts.minCalls ?? 300;
  if (examples.length < minCalls) return { eligible: false, reason: `${examples.length} labelled calls: fewer than the ${minCalls} needed to train and measure on separate periods` };
  const counts = new Map<string, number>();
  for (const e of examples) counts.set(e.label, (counts.get(e.label) ?? 0) + 1);
  const minPerLabel = opts.minPerLabel ?? 10;
  const learnable = [...counts.values()].filter((c) => c >= minPerLabel);
  const coverage = learnable.reduce((a, b) => a + b, 0) / examples.length;
  if (learnable.length < 2 || coverage < (opts.labelCoverage ?? 0.95)) {
    return {
      eligible: false,
      reason: `${counts.size} distinct answers after normalisation; labels with ${minPerLabel}+ examples cover ${pct(coverage)} of calls (needs ${pct(opts.labelCoverage ?? 0.95)}): not enough history per label`,
    };
  }
  return { eligible: true, examples, labels: counts.size, coverage };
}

/** Eligibility, training and evaluation for every group; artifacts of the recommended ones by group key. */
export async function analyseDistill(
  calls: AnalysisCall[],
  opts: DistillOptions & { onProgress?: (fraction: number, message: string) => void | Promise<void> } = {},
): Promise<{ report: DistillReport; artifacts: Map<string, DistilledArtifact> }> {
  const target = opts.agreementTarget ?? 0.95;
  const audit = opts.auditShare ?? 0.02;
  if (!(audit >= 0 && audit < 1)) throw new Error(`auditShare must be in [0, 1), got ${audit}`);
  const production = calls.filter((c) => !isLocallyAnswered(c));
  let from = Infinity;
  let to = -Infinity;
  for (const c of calls) {
    from = Math.min(from, c.timestamp.getTime());
    to = Math.max(to, c.timestamp.getTime());
  }
  const window = opts.window ?? (Number.isFinite(from) ? { from: new Date(from), to: new Date(to) } : { from: new Date(0), to: new Date(0) });
  const groups: DistillGroupResult[] = [];
  const findings: LeverFinding[] = [];
  const artifacts = new Map<string, DistilledArtifact>();
  const all = groupCalls(production);
  for (const [gi, group] of all.entries()) {
    const profile = profileTask(group.calls);
    const monthlyCostUsd = perMonth(group.calls.reduce((s, c) => s + (c.costUsd ?? 0), 0), window.from, window.to);
    const base = { key: group.key, feature: group.feature, promptHash: group.promptHash, model: group.model, calls: group.calls.length, monthlyCostUsd, task: profile.kind };
    const elig = distillEligibility(group.calls, profile, opts);
    if (!elig.eligible) {
      groups.push({ ...base, eligible: false, reason: elig.reason });
      continue;
    }
    let evaluated: Awaited<ReturnType<typeof evaluateDistillation>>;
    try {
      evaluated = await evaluateDistillation(elig.examples, {
        ...opts,
        agreementTarget: target,
        meta: { feature: group.feature, promptHash: group.promptHash, sourceModel: group.model },
        onProgress: (f, m) => opts.onProgress?.((gi + f) / all.length, `${group.feature ?? "(no feature)"}: ${m}`),
      });
    } catch (err) {
      groups.push({ ...base, eligible: false, labels: elig.labels, reason: (err as Error).message });
      continue;
    }
    const { evaluation, artifact } = evaluated;
    const result: DistillGroupResult = { ...base, eligible: true, labels: elig.labels, reason: evaluation.reason, evaluation };
    groups.push(result);
    if (!evaluation.recommended || !evaluation.atThreshold) continue;
    const share = evaluation.atThreshold.share;
    const keep = 1 - audit;
    result.savings = { usd: monthlyCostUsd * share.point * keep, low: monthlyCostUsd * share.low * keep, high: monthlyCostUsd * share.high * keep };
    artifacts.set(group.key, artifact);
    findings.push({
      lever: "distill",
      title: `Answer ${(share.point * 100).toFixed(0)}% of ${group.feature ?? "these calls"} locally with a classifier distilled from ${group.model}`,
      scope: { feature: group.feature, model: group.model, promptHash: group.promptHash },
      callIds: group.calls.length <= 20_000 ? group.calls.map((c) => c.id) : undefined,
      affectedMonthlyCostUsd: monthlyCostUsd,
      savingsShare: { point: share.point * keep, low: share.low * keep, high: share.high * keep },
      monthly: result.savings,
      confidence: evaluation.atThreshold.answered >= 1000 ? "high" : "medium",
      evidence: {
        labels: elig.labels,
        threshold: evaluation.threshold,
        temperature: evaluation.temperature,
        futureCalls: evaluation.future.calls,
        answered: evaluation.atThreshold.answered,
        share,
        agreement: evaluation.atThreshold.agreement,
        agreementWilson: evaluation.atThreshold.agreementWilson,
        target,
        accuracy: evaluation.accuracy,
        calibration: evaluation.calibration,
        ood: evaluation.ood,
        curve: evaluation.curve,
        savingsMethod: DISTILL_SAVINGS_METHOD,
      },
      howToApply: {
        summary: `Enable the distilled model for "${group.feature ?? ""}": the proxy answers calls at confidence >= ${evaluation.threshold!.toFixed(3)} locally ($0) and forwards the rest to ${group.model}; ${(audit * 100).toFixed(0)}% of confident calls still go to the LLM to keep measuring agreement. Off until an admin enables it.`,
        settings: { threshold: evaluation.threshold, auditShare: audit },
      },
    });
  }
  return {
    report: { version: 1, agreementTarget: target, auditShare: audit, window: { from: window.from.toISOString(), to: window.to.toISOString() }, groups, findings, savingsMethod: DISTILL_SAVINGS_METHOD },
    artifacts,
  };
}
