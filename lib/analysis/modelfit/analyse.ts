// Model fit: would a cheaper model give the same answers? Per group of calls (feature / static prompt /
// model): profile the task, list cheaper candidates from the price table, replay a stratified sample on
// them (when a replay endpoint is configured), compare the answers by task, and recommend a switch only
// when the lower bound of the agreement interval clears the project's target.
//
// Intervals: every test reports its Wilson 95% interval. Decisions use a family-wise interval (Wilson
// at 1 - 0.05/K for the K tests of the run, Bonferroni) so that, across all the groups and candidates a
// run tests, the chance that any recommendation rests on an interval that missed is at most 5%.
//
// Savings, conservatively: the calls whose answers would disagree are assumed to be re-sent to the
// current model at full price (a cascade fallback), with the disagreeing share taken at the decision
// interval's UPPER end (agreement at its lower bound). Monthly cost on the candidate = the group's
// monthly cost x the measured cost ratio (replay cost / logged cost of the same sampled calls).
import { priceCall, type PriceEntry } from "../../pricing/cost";
import { bootstrapInterval } from "../../stats/bootstrap";
import { sampleSizeToDecide, wilsonInterval, type Interval } from "../../stats/wilson";
import { answerLabel, callOutput, parseJsonOutput, wordCount } from "../replay/answers";
import { compareJson, compareLabels, judgeComparator, similarityComparator, type Comparator, type ComparisonMethod, type SimilarityOptions } from "../replay/compare";
import type { ReplayClient, ReplayUsage } from "../replay/client";
import { ReplayRunError, type ReplayOutcome } from "../replay/harness";
import { stratifiedSample } from "../replay/sample";
import { replayAndCompare, type Disagreement } from "../replay/verify";
import { perMonth, type AnalysisCall, type LeverFinding, type MonthlySavings } from "../types";
import { findCandidates, type Candidate, type CandidateOptions } from "./candidates";
import { groupCalls, type CallGroup } from "./groups";
import { profileTask, type TaskKind, type TaskProfile } from "./profile";

export type ModelFitOptions = {
  /** Project.agreementTarget. Default 0.95. */
  agreementTarget?: number;
  /** Confidence of the reported intervals. Default 0.95. */
  confidence?: number;
  /** Decide with a Bonferroni-adjusted interval over all tests of the run. Default true. */
  familyWise?: boolean;
  candidateKinds?: readonly TaskKind[];
  /** Groups with fewer calls are not tested. Default 30. */
  minGroupCalls?: number;
  /** Replays per (group, candidate). Default 200 (all calls when the group is smaller). */
  sampleSize?: number;
  /** Candidates tested per group, cheapest first. Default 2. */
  candidatesPerGroup?: number;
  candidates?: CandidateOptions;
  /** Period the calls cover, for per-month figures. Default: first to last call. */
  window?: { from: Date; to: Date };
  /** How short summaries are compared. Default "similarity". */
  summaryComparison?: "similarity" | "judge";
  seed?: number | string;
  maxExamples?: number;
};

export type ReplayEnvironment = {
  /** The replay client for a provider family, or null when the project has no credential for it. */
  clientFor: (provider: string) => ReplayClient | null;
  /** Hard cap for all replays of the run, in dollars (judge calls included). */
  budgetUsd: number;
  concurrency?: number;
  requestsPerSecond?: number;
  maxAttempts?: number;
  /** Called for every finished replay (store it as a non-production call). */
  onReplay?: (outcome: ReplayOutcome, call: AnalysisCall, test: { groupKey: string; model: string; provider: string }) => void | Promise<void>;
  /** Local embedder for summary comparison (lib/analysis/embeddings); word overlap otherwise. */
  embed?: SimilarityOptions["embed"];
  similarityThreshold?: number;
  /** LLM judge for summaries (summaryComparison "judge"): the model and the provider that serves it. */
  judge?: { model: string; provider: string; criteria?: string };
  sleep?: (ms: number) => Promise<void>;
  signal?: AbortSignal;
};

export type CandidateStatus = "untested" | "recommended" | "not_enough_evidence" | "does_not_fit" | "not_tested";

export type CandidateTest = {
  method: ComparisonMethod;
  comparisonNote: string;
  sampled: number;
  replayed: number;
  compared: number;
  agreed: number;
  agreement: Interval;
  confidence: number;
  decisionInterval: Interval;
  decisionConfidence: number;
  /** Replays needed at the observed agreement for the decision interval to clear (or fall below) the target. */
  sampleSizeToDecide: number | null;
  disagreements: Disagreement[];
  replayCostUsd: number;
  /** Candidate cost / current cost on the same sampled calls (bootstrap 95%). */
  costRatio: Interval;
  failed: number;
  notSentBudget: number;
};

export type CandidateResult = Candidate & {
  projectedMonthlyCostUsd: number;
  status: CandidateStatus;
  reason: string;
  test?: CandidateTest;
  /** Monthly savings after the conservative agreement discount (recommended candidates only). */
  savings?: MonthlySavings;
};

export type GroupStatus = "candidate" | "not_a_candidate" | "too_few_calls" | "no_cheaper_model" | "unpriced";

export type GroupResult = {
  key: string;
  feature: string | null;
  promptHash: string | null;
  model: string | null;
  provider: string;
  calls: number;
  costUsd: number;
  monthlyCostUsd: number;
  profile: TaskProfile;
  status: GroupStatus;
  reason: string;
  candidates: CandidateResult[];
};

export type ModelFitReport = {
  version: 1;
  agreementTarget: number;
  confidence: number;
  familyWise: boolean;
  /** Confidence of the decision intervals (1 - 0.05/K when family-wise). */
  decisionConfidence: number;
  testsPlanned: number;
  window: { from: string; to: string };
  groups: GroupResult[];
  findings: LeverFinding[];
  replaySpentUsd: number;
  budgetUsd: number;
  savingsMethod: string;
  /** Things the reader should know about the run (e.g. credentials that could not be used). */
  notes?: string[];
};

export const SAVINGS_METHOD =
  "Monthly savings = current monthly cost x agreement lower bound - monthly cost on the candidate: the disagreeing share (at the decision interval's upper end) is assumed to be re-sent to the current model at full price. The candidate's cost is the group's monthly cost x the measured replay cost ratio; the low figure uses the ratio's upper bound, the high figure the point agreement and the ratio's lower bound.";

type PlannedTest = { candidate: Candidate; sample: AnalysisCall[]; method: ComparisonMethod };
type GroupPlan = { group: CallGroup; result: GroupResult; tests: PlannedTest[] };

function methodFor(kind: TaskKind, opts: ModelFitOptions): ComparisonMethod {
  if (kind === "classification") return "label";
  if (kind === "extraction") return "json";
  return opts.summaryComparison === "judge" ? "judge" : "similarity";
}

function stratumOf(kind: TaskKind): (c: AnalysisCall) => string {
  if (kind === "classification") return (c) => answerLabel(callOutput(c));
  if (kind === "extraction")
    return (c) => {
      const json = parseJsonOutput(callOutput(c).text);
      return json && typeof json === "object" ? Object.keys(json).sort().join(",") : "(not json)";
    };
  return (c) => {
    const w = wordCount(callOutput(c).text);
    return w <= 20 ? "<=20" : w <= 50 ? "<=50" : w <= 100 ? "<=100" : ">100";
  };
}

function windowOf(calls: AnalysisCall[], opts: ModelFitOptions): { from: Date; to: Date } {
  if (opts.window) return opts.window;
  let from = Infinity;
  let to = -Infinity;
  for (const c of calls) {
    from = Math.min(from, c.timestamp.getTime());
    to = Math.max(to, c.timestamp.getTime());
  }
  return Number.isFinite(from) ? { from: new Date(from), to: new Date(to) } : { from: new Date(0), to: new Date(0) };
}

function validate(opts: ModelFitOptions): void {
  const t = opts.agreementTarget;
  if (t !== undefined && !(t > 0 && t < 1)) throw new Error(`agreementTarget must be in (0, 1), got ${t}`);
  const s = opts.sampleSize;
  if (s !== undefined && !(Number.isInteger(s) && s >= 10 && s <= 10_000)) throw new Error(`sampleSize must be an integer in [10, 10000], got ${s}`);
  const m = opts.minGroupCalls;
  if (m !== undefined && !(Number.isInteger(m) && m >= 1)) throw new Error(`minGroupCalls must be a positive integer, got ${m}`);
}

/** Profiles, candidates and replay samples for every group (pure, deterministic). */
export function planModelFit(calls: AnalysisCall[], opts: ModelFitOptions = {}): { plans: GroupPlan[]; window: { from: Date; to: Date } } {
  validate(opts);
  const window = windowOf(calls, opts);
  const perGroup = opts.candidatesPerGroup ?? 2;
  const plans: GroupPlan[] = [];
  // Calls a distilled model answered in the proxy (tag "distilled", lib/analysis/distill/serve.ts) cost
  // nothing and carry the local model's answer: they are not the LLM's work to right-size.
  const production = calls.filter((c) => c.tags.distilled === undefined);
  for (const group of groupCalls(production)) {
    const profile = profileTask(group.calls, { candidateKinds: opts.candidateKinds });
    const costUsd = group.calls.reduce((s, c) => s + (c.costUsd ?? 0), 0);
    const monthlyCostUsd = perMonth(costUsd, window.from, window.to);
    const result: GroupResult = {
      key: group.key,
      feature: group.feature,
      promptHash: group.promptHash,
      model: group.model,
      provider: group.provider,
      calls: group.calls.length,
      costUsd,
      monthlyCostUsd,
      profile,
      status: "candidate",
      reason: profile.reason,
      candidates: [],
    };
    const plan: GroupPlan = { group, result, tests: [] };
    plans.push(plan);
    if (!profile.candidate) {
      result.status = "not_a_candidate";
      result.reason = `${profile.kind.replace("_", " ")} is not right-sized by default: ${profile.reason}`;
      continue;
    }
    if (!group.model || costUsd <= 0) {
      result.status = "unpriced";
      result.reason = group.model ? `calls on ${group.model} have no price` : "calls have no model";
      continue;
    }
    const candidates = findCandidates(group.calls, group.model, group.provider, { now: window.to, ...opts.candidates });
    result.candidates = candidates.map((c) => ({
      ...c,
      projectedMonthlyCostUsd: perMonth(c.projectedCostUsd, window.from, window.to),
      status: "untested" as const,
      reason: "no replay run yet: the projection assumes the same token mix on the candidate",
    }));
    if (candidates.length === 0) {
      result.status = "no_cheaper_model";
      result.reason = `no priced chat model of ${group.provider} is projected to save 10% or more on this group's token mix`;
      continue;
    }
    if (group.calls.length < (opts.minGroupCalls ?? 30)) {
      result.status = "too_few_calls";
      result.reason = `${group.calls.length} calls: too few to measure agreement (minimum ${opts.minGroupCalls ?? 30})`;
      continue;
    }
    const method = methodFor(profile.kind, opts);
    candidates.slice(0, perGroup).forEach((candidate) => {
      const sample = stratifiedSample(group.calls, opts.sampleSize ?? 200, stratumOf(profile.kind), `${opts.seed ?? 1}:${group.key}:${candidate.model}`);
      plan.tests.push({ candidate, sample, method });
    });
  }
  return { plans, window };
}

function decisionConfidenceFor(opts: ModelFitOptions, tests: number): number {
  const confidence = opts.confidence ?? 0.95;
  return opts.familyWise === false || tests <= 1 ? confidence : 1 - (1 - confidence) / tests;
}

function report(plans: GroupPlan[], window: { from: Date; to: Date }, opts: ModelFitOptions, spent: number, budget: number): ModelFitReport {
  const testsPlanned = plans.reduce((s, p) => s + p.tests.length, 0);
  const findings: LeverFinding[] = [];
  for (const { group, result } of plans) {
    const scope = { feature: group.feature, model: group.model, promptHash: group.promptHash };
    const callIds = group.calls.length <= 20_000 ? group.calls.map((c) => c.id) : undefined;
    const recommended = result.candidates.filter((c) => c.status === "recommended" && c.savings).sort((a, b) => b.savings!.usd - a.savings!.usd)[0];
    if (recommended) {
      const s = recommended.savings!;
      const t = recommended.test!;
      findings.push({
        lever: "rightsize",
        title: `Move ${group.feature ?? "unlabelled calls"} from ${group.model} to ${recommended.model}`,
        scope,
        callIds,
        affectedMonthlyCostUsd: result.monthlyCostUsd,
        savingsShare: { point: s.usd / result.monthlyCostUsd, low: s.low / result.monthlyCostUsd, high: s.high / result.monthlyCostUsd },
        monthly: s,
        confidence: t.compared >= 200 ? "high" : "medium",
        evidence: {
          status: "recommended",
          task: result.profile.kind,
          taskReason: result.profile.reason,
          method: t.method,
          agreement: t.agreement,
          decisionInterval: t.decisionInterval,
          decisionConfidence: t.decisionConfidence,
          compared: t.compared,
          agreed: t.agreed,
          target: opts.agreementTarget ?? 0.95,
          costRatio: t.costRatio,
          disagreements: t.disagreements,
          savingsMethod: SAVINGS_METHOD,
        },
        howToApply: {
          summary: `Change the model of "${group.feature ?? "these calls"}" from ${group.model} to ${recommended.model}; keep a small share on ${group.model} to keep measuring agreement.`,
          settings: { from: group.model, to: recommended.model, provider: recommended.provider },
        },
      });
      continue;
    }
    const open = result.candidates.find((c) => c.status === "untested" || c.status === "not_enough_evidence");
    if (open && result.status === "candidate") {
      const potential = Math.max(0, result.monthlyCostUsd - open.projectedMonthlyCostUsd);
      findings.push({
        lever: "rightsize",
        title: `Test whether ${group.feature ?? "unlabelled calls"} can move from ${group.model} to ${open.model}`,
        scope,
        callIds,
        affectedMonthlyCostUsd: result.monthlyCostUsd,
        // Nothing is counted until a replay shows the answers agree: the potential is only the upper end.
        savingsShare: { point: 0, low: 0, high: result.monthlyCostUsd > 0 ? potential / result.monthlyCostUsd : 0 },
        monthly: { usd: 0, low: 0, high: potential },
        confidence: "low",
        evidence: { status: open.status, reason: open.reason, task: result.profile.kind, projectedMonthlyCostUsd: open.projectedMonthlyCostUsd, test: open.test ?? null },
        howToApply: {
          summary:
            open.status === "untested"
              ? `Add a provider credential for ${open.provider} and re-run the model-fit analysis to replay a sample on ${open.model}.`
              : `Re-run with a larger sample (${open.test?.sampleSizeToDecide ?? "more"} replays) to decide.`,
        },
      });
    }
  }
  return {
    version: 1,
    agreementTarget: opts.agreementTarget ?? 0.95,
    confidence: opts.confidence ?? 0.95,
    familyWise: opts.familyWise !== false,
    decisionConfidence: decisionConfidenceFor(opts, testsPlanned),
    testsPlanned,
    window: { from: window.from.toISOString(), to: window.to.toISOString() },
    groups: plans.map((p) => p.result),
    findings,
    replaySpentUsd: spent,
    budgetUsd: budget,
    savingsMethod: SAVINGS_METHOD,
  };
}

/** Profiles and candidates only (no replays): every candidate is reported "untested". */
export function analyseModelFit(calls: AnalysisCall[], opts: ModelFitOptions = {}): ModelFitReport {
  const { plans, window } = planModelFit(calls, opts);
  return report(plans, window, opts, 0, 0);
}

/** Price of a replay's usage on `model` (null = unpriced). */
function usagePricer(model: string, provider: string, overrides?: Record<string, Partial<PriceEntry>>): (u: ReplayUsage) => number | null {
  return (u) =>
    priceCall(
      { inputTokens: u.inputTokens, outputTokens: u.outputTokens, cachedInputTokens: Math.min(u.cachedInputTokens, u.inputTokens), cacheWriteTokens: 0, reasoningTokens: 0 },
      { model, provider, overrides },
    )?.costUsd ?? null;
}

type ChosenComparator = { compare: Comparator; note: string; spentUsd: () => number };

function comparatorFor(method: ComparisonMethod, env: ReplayEnvironment, judgeBudgetUsd: number, overrides?: Record<string, Partial<PriceEntry>>): ChosenComparator | { error: string } {
  const free = () => 0;
  if (method === "label") return { compare: compareLabels, note: "normalised label match", spentUsd: free };
  if (method === "json") return { compare: compareJson, note: "JSON field-by-field match (all fields equal)", spentUsd: free };
  if (method === "similarity") {
    return {
      compare: similarityComparator({ embed: env.embed, threshold: env.similarityThreshold }),
      note: env.embed ? `local embedding cosine >= ${env.similarityThreshold ?? 0.85}` : `word-overlap F1 >= ${env.similarityThreshold ?? 0.5} (no local embedder configured)`,
      spentUsd: free,
    };
  }
  if (!env.judge) return { error: "summaryComparison is judge but no judge model is configured" };
  const client = env.clientFor(env.judge.provider);
  if (!client) return { error: `no credential for the judge's provider ${env.judge.provider}` };
  const judge = judgeComparator({ client, model: env.judge.model, budgetUsd: judgeBudgetUsd, priceUsage: usagePricer(env.judge.model, env.judge.provider, overrides), criteria: env.judge.criteria });
  return { compare: judge, note: `LLM judge ${env.judge.model}`, spentUsd: judge.spentUsd };
}

/** Bootstrap interval of (candidate replay cost / logged cost) over the sampled calls that replayed. */
function costRatio(pairs: { logged: number; replay: number }[], seed: string): Interval {
  const ratio = (xs: readonly { logged: number; replay: number }[]) => {
    let a = 0;
    let b = 0;
    for (const x of xs) {
      a += x.replay;
      b += x.logged;
    }
    return b > 0 ? a / b : NaN;
  };
  if (pairs.length === 0) return { point: NaN, low: NaN, high: NaN };
  return bootstrapInterval(pairs, ratio, { seed, iterations: 1000 });
}

/**
 * The full analysis: plan, replay each planned test (largest spend first) within what is left of the
 * run's budget, compare, decide and price. Tests without a credential stay "untested".
 */
export async function testModelFit(
  calls: AnalysisCall[],
  opts: ModelFitOptions,
  env: ReplayEnvironment,
  progress?: (fraction: number, message?: string) => void | Promise<void>,
): Promise<ModelFitReport> {
  const { plans, window } = planModelFit(calls, opts);
  const target = opts.agreementTarget ?? 0.95;
  const confidence = opts.confidence ?? 0.95;
  const all = plans.flatMap((p) => p.tests.map((t) => ({ plan: p, test: t })));
  const runnable = all.filter(({ test }) => env.clientFor(test.candidate.provider) !== null);
  const decisionConfidence = decisionConfidenceFor(opts, all.length);
  let spent = 0;
  let done = 0;
  for (const { plan, test } of runnable) {
    if (env.signal?.aborted) break;
    // Groups come largest spend first; each test may use what is left of the run's cap, so the most
    // valuable tests complete and the cap stops the rest (a half-replayed sample helps nobody).
    const share = Math.max(0, env.budgetUsd - spent);
    done++;
    const candidateResult = plan.result.candidates.find((c) => c.model === test.candidate.model)!;
    const client = env.clientFor(test.candidate.provider)!;
    const overrides = opts.candidates?.overrides;
    const priceUsage = usagePricer(test.candidate.model, test.candidate.provider, overrides);
    // A judge's calls come out of the same share: it gets a third of it, the replays the rest.
    const judgeShare = test.method === "judge" ? share / 3 : 0;
    const cmp = comparatorFor(test.method, env, judgeShare, overrides);
    if ("error" in cmp) {
      candidateResult.status = "not_tested";
      candidateResult.reason = cmp.error;
      continue;
    }
    await progress?.((done - 1) / Math.max(1, runnable.length), `replaying ${plan.group.feature ?? plan.group.key} on ${test.candidate.model}`);
    let result;
    try {
      result = await replayAndCompare(test.sample, {
        model: test.candidate.model,
        client,
        budgetUsd: share - judgeShare,
        priceUsage,
        compare: cmp.compare,
        confidence,
        concurrency: env.concurrency,
        requestsPerSecond: env.requestsPerSecond,
        maxAttempts: env.maxAttempts,
        maxExamples: opts.maxExamples ?? 10,
        sleep: env.sleep,
        signal: env.signal,
        onOutcome: env.onReplay ? (o, c) => env.onReplay!(o, c, { groupKey: plan.group.key, model: test.candidate.model, provider: test.candidate.provider }) : undefined,
      });
    } catch (err) {
      // Count what a failed run spent so the remaining tests' shares still respect the cap.
      spent += err instanceof ReplayRunError ? err.spentUsd : 0;
      spent += cmp.spentUsd();
      candidateResult.status = "not_tested";
      candidateResult.reason = (err as Error).message;
      continue;
    }
    const judgeSpent = cmp.spentUsd();
    spent += result.spentUsd + judgeSpent;
    const byId = new Map(test.sample.map((c) => [c.id, c]));
    const pairs = result.run.outcomes
      .filter((o) => o.status === "ok" && (byId.get(o.callId)?.costUsd ?? 0) > 0)
      .map((o) => ({ logged: byId.get(o.callId)!.costUsd!, replay: o.costUsd }));
    const ratio = costRatio(pairs, `${plan.group.key}:${test.candidate.model}`);
    const decision = wilsonInterval(result.agreed, result.compared, decisionConfidence);
    const t: CandidateTest = {
      method: test.method,
      comparisonNote: cmp.note,
      sampled: test.sample.length,
      replayed: result.run.ok,
      compared: result.compared,
      agreed: result.agreed,
      agreement: result.agreement,
      confidence,
      decisionInterval: decision,
      decisionConfidence,
      sampleSizeToDecide: result.compared ? sampleSizeToDecide(result.agreed / result.compared, target, decisionConfidence) : null,
      disagreements: result.disagreements,
      replayCostUsd: result.spentUsd + judgeSpent,
      costRatio: ratio,
      failed: result.run.failed,
      notSentBudget: result.run.notSent,
    };
    candidateResult.test = t;
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    if (result.compared === 0) {
      candidateResult.status = "not_tested";
      candidateResult.reason = result.run.notSent ? "the budget cap stopped the run before any replay" : `no replay could be compared (${result.run.failed} failed, ${result.undecided} undecided)`;
    } else if (decision.low >= target) {
      candidateResult.status = "recommended";
      candidateResult.reason = `${result.agreed}/${result.compared} answers agree (${pct(result.agreement.point)}); the ${pct(decisionConfidence)} interval's lower bound ${pct(decision.low)} clears the ${pct(target)} target`;
      const monthly = plan.result.monthlyCostUsd;
      const r = Number.isFinite(ratio.point) ? ratio : { point: 1, low: 1, high: 1 };
      const usd = Math.max(0, monthly * decision.low - monthly * r.point);
      candidateResult.savings = {
        usd,
        low: Math.max(0, monthly * decision.low - monthly * r.high),
        high: Math.max(usd, monthly * result.agreement.point - monthly * r.low),
      };
    } else if (decision.high < target) {
      candidateResult.status = "does_not_fit";
      candidateResult.reason = `${result.agreed}/${result.compared} answers agree (${pct(result.agreement.point)}); even the interval's upper bound ${pct(decision.high)} is below the ${pct(target)} target`;
    } else {
      candidateResult.status = "not_enough_evidence";
      const need = t.sampleSizeToDecide;
      candidateResult.reason = `${result.agreed}/${result.compared} answers agree (${pct(result.agreement.point)}), interval ${pct(decision.low)}-${pct(decision.high)} straddles the ${pct(target)} target; ${
        need === null ? "no sample size decides it at this agreement" : need > plan.group.calls.length ? `deciding needs ~${need} replays, more than the ${plan.group.calls.length} calls logged` : `~${need} replays would decide it`
      }`;
    }
  }
  for (const { plan, test } of all) {
    if (runnable.some((r) => r.test === test)) continue;
    const c = plan.result.candidates.find((x) => x.model === test.candidate.model)!;
    c.reason = `no replay credential for ${test.candidate.provider}: the projection assumes the same token mix on the candidate`;
  }
  await progress?.(1, "model fit done");
  return report(plans, window, opts, spent, env.budgetUsd);
}
