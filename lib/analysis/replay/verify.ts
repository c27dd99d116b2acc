// "Replay these requests with this transformation on this model and compare": the one entry point
// for checking that a change keeps the answers — a cheaper model (model-fit) or a compressed prompt on
// the same model (prompt bloat). Agreement is reported with a Wilson interval over the comparisons
// that could be decided, plus the disagreeing examples.
import { wilsonInterval, type Interval } from "../../stats/wilson";
import { lastUserText } from "../messages";
import type { AnalysisCall } from "../types";
import { callOutput, type CallOutput } from "./answers";
import type { AnswerComparison, Comparator } from "./compare";
import { replayCalls, ReplayRunError, type ReplayOptions, type ReplayOutcome, type ReplayRunResult } from "./harness";

export type Disagreement = { callId: string; input: string; reference: string; candidate: string; detail?: string };

export type VerifyOptions = ReplayOptions & {
  compare: Comparator;
  /**
   * What the replay is compared with. "logged": the production answer (right for a model switch).
   * "replay": the untransformed request replayed on `baselineModel` (default: the same model) in the
   * same run — for prompt changes on a non-deterministic model, where even an identical request may
   * answer differently than the log. The budget is shared: half for each side.
   */
  baseline?: "logged" | "replay";
  baselineModel?: string;
  /** Confidence of the agreement interval. Default 0.95. */
  confidence?: number;
  /** How many disagreeing examples to keep. Default 10. */
  maxExamples?: number;
};

export type VerifyResult = {
  run: ReplayRunResult;
  baselineRun?: ReplayRunResult;
  /** Comparisons that were decided. */
  compared: number;
  agreed: number;
  undecided: number;
  agreement: Interval;
  confidence: number;
  comparisons: { callId: string; comparison: AnswerComparison }[];
  disagreements: Disagreement[];
  spentUsd: number;
};

const clip = (s: string, n = 300) => (s.length > n ? `${s.slice(0, n)}…` : s);

function show(out: CallOutput): string {
  if (out.toolCalls.length) return clip(out.toolCalls.map((t) => `${t.name}(${JSON.stringify(t.arguments)})`).join("; "));
  return clip(out.text);
}

export async function replayAndCompare(calls: AnalysisCall[], opts: VerifyOptions): Promise<VerifyResult> {
  const confidence = opts.confidence ?? 0.95;
  const maxExamples = opts.maxExamples ?? 10;
  let baselineRun: ReplayRunResult | undefined;
  let reference: Map<string, CallOutput>;
  let budget = opts.budgetUsd;
  if (opts.baseline === "replay") {
    baselineRun = await replayCalls(calls, { ...opts, model: opts.baselineModel ?? opts.model, transform: undefined, budgetUsd: opts.budgetUsd / 2 });
    budget = opts.budgetUsd - baselineRun.spentUsd;
    reference = new Map(baselineRun.outcomes.filter((o) => o.status === "ok").map((o) => [o.callId, o.output!]));
  } else {
    reference = new Map(calls.map((c) => [c.id, callOutput(c)]));
  }
  const toReplay = opts.baseline === "replay" ? calls.filter((c) => reference.has(c.id)) : calls;
  let run: ReplayRunResult;
  try {
    run = await replayCalls(toReplay, { ...opts, budgetUsd: budget });
  } catch (err) {
    if (err instanceof ReplayRunError && baselineRun) throw new ReplayRunError(err.message, err.spentUsd + baselineRun.spentUsd, err.cause);
    throw err;
  }
  const byId = new Map(calls.map((c) => [c.id, c]));
  const comparisons: VerifyResult["comparisons"] = [];
  const disagreements: Disagreement[] = [];
  for (const o of run.outcomes as ReplayOutcome[]) {
    if (o.status !== "ok" || !o.output) continue;
    const ref = reference.get(o.callId)!;
    const comparison = await opts.compare(ref, o.output);
    comparisons.push({ callId: o.callId, comparison });
    if (comparison.decided && !comparison.agree && disagreements.length < maxExamples) {
      disagreements.push({ callId: o.callId, input: clip(lastUserText(byId.get(o.callId)!)), reference: show(ref), candidate: show(o.output), detail: comparison.detail });
    }
  }
  const decided = comparisons.filter((c) => c.comparison.decided);
  const agreed = decided.filter((c) => c.comparison.agree).length;
  return {
    run,
    baselineRun,
    compared: decided.length,
    agreed,
    undecided: comparisons.length - decided.length,
    agreement: wilsonInterval(agreed, decided.length, confidence),
    confidence,
    comparisons,
    disagreements,
    spentUsd: run.spentUsd + (baselineRun?.spentUsd ?? 0),
  };
}
