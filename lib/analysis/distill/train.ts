// Training and honest evaluation of a distilled classifier on a group's own logged answers.
//
//   past | future            time split: the model is trained on the past only and measured on the
//                            future (default: the last 25% of the period, or `testFrom`).
//   past = f1 | v1 | v2 | v3 rolling origin inside the past: fold k trains on everything before its
//                            origin and predicts the next window; the pooled predictions fit the
//                            temperature and choose the threshold (largest local share whose Wilson
//                            lower bound of agreement clears the target). The future is never used to
//                            choose anything: it only measures the chosen operating point.
import { bootstrapInterval } from "../../stats/bootstrap";
import { wilsonInterval, type Interval } from "../../stats/wilson";
import { encodeWeights, logitsOfText, ARTIFACT_FORMAT, type DistilledArtifact } from "./artifact";
import { expectedCalibrationError, fitTemperature } from "./calibration";
import { DEFAULT_FEATURES, fitVocabulary, vectorise, type FeatureConfig } from "./features";
import { softmaxInPlace, trainSoftmax, type TrainOptions } from "./softmax";

/** One logged call as training data: the text the model reads and the LLM's (normalised) answer. */
export type DistillExample = { id: string; timestamp: Date; text: string; label: string; answer: string };

export type DistillTrainOptions = {
  agreementTarget?: number;
  /** Start of the future (evaluation) period. Default: the time quantile at 1 - testShare. */
  testFrom?: Date;
  testShare?: number;
  /** Rolling-origin folds inside the past. Default 3. */
  folds?: number;
  features?: Partial<FeatureConfig>;
  train?: TrainOptions;
  ood?: { minKnownWordMass?: number; minWords?: number };
  /** Fewest validation answers an operating point may rest on. Default 30. */
  minAnswered?: number;
  bootstrapIterations?: number;
  seed?: number;
};

export const DEFAULT_TRAINING: TrainOptions = { epochs: 6, learningRate: 0.2, l2: 1e-5 };
export const DEFAULT_OOD = { minKnownWordMass: 0.5, minWords: 1 };
export const CURVE_THRESHOLDS = [0.3, 0.4, 0.5, 0.6, 0.68, 0.7, 0.8, 0.9, 0.95, 0.99];

export type CurvePoint = { threshold: number; answered: number; share: Interval; agreement: Interval };

export type DistillEvaluation = {
  target: number;
  past: { calls: number; from: string; to: string; labels: number };
  future: { calls: number; from: string; to: string };
  folds: { trainCalls: number; validationCalls: number }[];
  temperature: number;
  /** Chosen on the rolling-origin validation; null when no threshold reaches the target there. */
  threshold: number | null;
  validation: { answered: number; agreed: number; share: number; agreement: Interval } | null;
  /** The chosen point measured on the future (bootstrap 95% over future calls; Wilson for agreement too). */
  atThreshold: { answered: number; agreed: number; share: Interval; agreement: Interval; agreementWilson: Interval } | null;
  /** Share answered locally and agreement at fixed thresholds, future split (bootstrap 95%). */
  curve: CurvePoint[];
  /** The same curve pooled over the rolling-origin folds (point estimates). */
  rollingCurve: { threshold: number; share: number; agreement: number; answered: number }[];
  accuracy: number;
  calibration: { eceBefore: number; eceAfter: number };
  ood: { flaggedShare: number; accuracyFlagged: number | null; accuracyKept: number | null; minKnownWordMass: number };
  /** Future labels the past never saw (always forwarded wrongly by a classifier that cannot know them). */
  unseenLabelShare: number;
  recommended: boolean;
  reason: string;
};

function byTime(a: DistillExample, b: DistillExample): number {
  return a.timestamp.getTime() - b.timestamp.getTime() || (a.id < b.id ? -1 : 1);
}

function mostCommon(values: string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0][0];
}

type Trained = { artifact: DistilledArtifact; labelIndex: Map<string, number> };

/** Train on `examples` and export an artifact (temperature 1 and threshold 1 until calibrated). */
export async function trainDistilled(
  examples: DistillExample[],
  opts: DistillTrainOptions & { meta?: Pick<DistilledArtifact, "feature" | "promptHash" | "sourceModel"> } = {},
): Promise<Trained> {
  const sorted = examples.slice().sort(byTime);
  const labels = [...new Set(sorted.map((e) => e.label))].sort();
  if (labels.length < 2) throw new Error(`training needs at least two labels, got ${labels.length}`);
  const labelIndex = new Map(labels.map((l, i) => [l, i]));
  const vocab = fitVocabulary(
    sorted.map((e) => e.text),
    { ...DEFAULT_FEATURES, minDf: 3, ...opts.features },
  );
  const rows = sorted.map((e) => vectorise(e.text, vocab));
  const model = await trainSoftmax(rows, Int32Array.from(sorted.map((e) => labelIndex.get(e.label)!)), vocab.terms.length, labels.length, {
    ...DEFAULT_TRAINING,
    seed: opts.seed ?? 1,
    ...opts.train,
  });
  const answers = labels.map((l) => mostCommon(sorted.filter((e) => e.label === l).map((e) => e.answer)));
  const ood = { ...DEFAULT_OOD, ...opts.ood };
  const artifact: DistilledArtifact = {
    format: ARTIFACT_FORMAT,
    formatVersion: 1,
    feature: opts.meta?.feature ?? null,
    promptHash: opts.meta?.promptHash ?? null,
    sourceModel: opts.meta?.sourceModel ?? null,
    input: "last_user_message",
    labels,
    answers,
    features: { config: vocab.config, terms: vocab.terms, idf: Array.from(vocab.idf, (x) => Math.round(x * 1e5) / 1e5), documents: vocab.documents },
    weights: encodeWeights(model),
    bias: Array.from(model.bias),
    temperature: 1,
    threshold: 1,
    ood: { minKnownWordMass: ood.minKnownWordMass, minWords: ood.minWords },
    trainedOn: { calls: sorted.length, from: sorted[0].timestamp.toISOString(), to: sorted[sorted.length - 1].timestamp.toISOString() },
  };
  return { artifact, labelIndex };
}

type Scored = { confidence: number; correct: boolean; ood: boolean };

/** Largest answered set (by confidence, OOD excluded) whose Wilson lower bound clears the target. */
export function chooseThreshold(scored: Scored[], target: number, minAnswered: number): { threshold: number; answered: number; agreed: number } | null {
  const kept = scored.filter((s) => !s.ood).sort((a, b) => b.confidence - a.confidence);
  let agreed = 0;
  let best: { threshold: number; answered: number; agreed: number } | null = null;
  for (let k = 0; k < kept.length; k++) {
    if (kept[k].correct) agreed++;
    // Only cut between distinct confidences: a threshold answers every call at or above it.
    if (k + 1 < kept.length && kept[k + 1].confidence === kept[k].confidence) continue;
    if (k + 1 >= minAnswered && wilsonInterval(agreed, k + 1).low >= target) best = { threshold: kept[k].confidence, answered: k + 1, agreed };
  }
  return best;
}

function pointAt(scored: Scored[], threshold: number) {
  let answered = 0;
  let agreed = 0;
  for (const s of scored) {
    if (s.ood || s.confidence < threshold) continue;
    answered++;
    if (s.correct) agreed++;
  }
  return { answered, agreed };
}

function curvePoint(scored: Scored[], threshold: number, iterations: number, seed: string): CurvePoint {
  const share = bootstrapInterval(scored, (xs) => pointAt(xs as Scored[], threshold).answered / xs.length, { iterations, seed: `${seed}:share` });
  const agreement = bootstrapInterval(
    scored,
    (xs) => {
      const p = pointAt(xs as Scored[], threshold);
      return p.answered ? p.agreed / p.answered : NaN;
    },
    { iterations, seed: `${seed}:agreement` },
  );
  return { threshold, answered: pointAt(scored, threshold).answered, share, agreement };
}

/** Rolling-origin calibration and threshold choice on the past, then the future measured once. */
export async function evaluateDistillation(
  examples: DistillExample[],
  opts: DistillTrainOptions & {
    meta?: Pick<DistilledArtifact, "feature" | "promptHash" | "sourceModel">;
    onProgress?: (fraction: number, message: string) => void | Promise<void>;
  } = {},
): Promise<{ evaluation: DistillEvaluation; artifact: DistilledArtifact }> {
  const target = opts.agreementTarget ?? 0.95;
  const iterations = opts.bootstrapIterations ?? 1000;
  const minAnswered = opts.minAnswered ?? 30;
  const sorted = examples.slice().sort(byTime);
  const cut = opts.testFrom
    ? sorted.findIndex((e) => e.timestamp.getTime() >= opts.testFrom!.getTime())
    : Math.floor(sorted.length * (1 - (opts.testShare ?? 0.25)));
  const split = cut < 0 ? sorted.length : cut;
  const past = sorted.slice(0, split);
  const future = sorted.slice(split);
  if (past.length < 50 || future.length < 20) throw new Error(`not enough calls on each side of the time split (${past.length} past, ${future.length} future)`);

  // Rolling origin inside the past: origins at 55%, 70%, 85% (for 3 folds).
  const folds = opts.folds ?? 3;
  const bounds = Array.from({ length: folds + 1 }, (_, k) => Math.floor(past.length * (0.4 + (0.6 * (k + 1)) / (folds + 1))));
  bounds[folds] = past.length;
  const foldInfo: DistillEvaluation["folds"] = [];
  const valLogits: Float64Array[] = [];
  const valLabels: number[] = [];
  const valRaw: { argLabel: string; truth: string; ood: boolean; logits: Float64Array }[] = [];
  for (let k = 0; k < folds; k++) {
    const train = past.slice(0, bounds[k]);
    const val = past.slice(bounds[k], bounds[k + 1]);
    if (new Set(train.map((e) => e.label)).size < 2 || val.length === 0) continue;
    await opts.onProgress?.(k / (folds + 1), `rolling-origin fold ${k + 1} of ${folds}`);
    const { artifact, labelIndex } = await trainDistilled(train, opts);
    foldInfo.push({ trainCalls: train.length, validationCalls: val.length });
    for (const e of val) {
      const { logits, ood } = logitsOfText(artifact, e.text);
      let arg = 0;
      for (let c = 1; c < logits.length; c++) if (logits[c] > logits[arg]) arg = c;
      valLogits.push(logits);
      valLabels.push(labelIndex.get(e.label) ?? -1);
      valRaw.push({ argLabel: artifact.labels[arg], truth: e.label, ood, logits });
    }
  }
  const temperature = fitTemperature(valLogits, valLabels);
  const confOf = (logits: Float64Array, t: number) => {
    const p = Float64Array.from(logits);
    const arg = softmaxInPlace(p, t);
    return p[arg];
  };
  const validationScored: Scored[] = valRaw.map((v) => ({ confidence: confOf(v.logits, temperature), correct: v.argLabel === v.truth, ood: v.ood }));
  const chosen = chooseThreshold(validationScored, target, minAnswered);

  // The model that ships: trained on the whole past, calibrated with the folds' temperature.
  await opts.onProgress?.(folds / (folds + 1), "training on the whole past");
  const { artifact } = await trainDistilled(past, opts);
  artifact.temperature = temperature;
  artifact.threshold = chosen ? chosen.threshold : 1;

  const futureScored: Scored[] = [];
  const rawConf: number[] = [];
  const okFlags: boolean[] = [];
  for (const e of future) {
    const { logits, ood } = logitsOfText(artifact, e.text);
    const p = Float64Array.from(logits);
    const arg = softmaxInPlace(p, temperature);
    const correct = artifact.labels[arg] === e.label;
    futureScored.push({ confidence: p[arg], correct, ood });
    okFlags.push(correct);
    rawConf.push(confOf(logits, 1));
  }
  const seed = `${opts.seed ?? 1}:distill`;
  const curve = [...new Set([...CURVE_THRESHOLDS, ...(chosen ? [chosen.threshold] : [])])]
    .sort((a, b) => a - b)
    .map((t) => curvePoint(futureScored, t, Math.min(iterations, 400), `${seed}:${t}`));
  const rollingCurve = CURVE_THRESHOLDS.map((t) => {
    const p = pointAt(validationScored, t);
    return { threshold: t, answered: p.answered, share: p.answered / Math.max(1, validationScored.length), agreement: p.answered ? p.agreed / p.answered : NaN };
  });

  let atThreshold: DistillEvaluation["atThreshold"] = null;
  if (chosen) {
    const p = pointAt(futureScored, chosen.threshold);
    const cp = curvePoint(futureScored, chosen.threshold, iterations, `${seed}:chosen`);
    atThreshold = { answered: p.answered, agreed: p.agreed, share: cp.share, agreement: cp.agreement, agreementWilson: wilsonInterval(p.agreed, p.answered) };
  }
  const flagged = futureScored.filter((s) => s.ood);
  const kept = futureScored.filter((s) => !s.ood);
  const pastLabels = new Set(past.map((e) => e.label));
  const fmt = (x: number) => `${(x * 100).toFixed(1)}%`;
  let recommended = false;
  let reason: string;
  if (!chosen) reason = `on the rolling-origin validation no confidence threshold answers ${minAnswered}+ calls with an agreement lower bound >= ${fmt(target)}`;
  else if (!atThreshold || atThreshold.answered === 0) reason = "the chosen threshold answers no future call";
  else if (atThreshold.agreementWilson.low < target) {
    reason = `the threshold chosen on the past (${chosen.threshold.toFixed(3)}) gives ${fmt(atThreshold.agreement.point)} agreement on the future, lower bound ${fmt(atThreshold.agreementWilson.low)} < ${fmt(target)} target`;
  } else {
    recommended = true;
    reason = `at confidence >= ${chosen.threshold.toFixed(3)} the model answers ${fmt(atThreshold.share.point)} of future calls with ${fmt(atThreshold.agreement.point)} agreement (lower bound ${fmt(atThreshold.agreementWilson.low)} >= ${fmt(target)})`;
  }
  const evaluation: DistillEvaluation = {
    target,
    past: { calls: past.length, from: past[0].timestamp.toISOString(), to: past[past.length - 1].timestamp.toISOString(), labels: pastLabels.size },
    future: { calls: future.length, from: future[0].timestamp.toISOString(), to: future[future.length - 1].timestamp.toISOString() },
    folds: foldInfo,
    temperature,
    threshold: chosen?.threshold ?? null,
    validation: chosen
      ? { answered: chosen.answered, agreed: chosen.agreed, share: chosen.answered / validationScored.length, agreement: wilsonInterval(chosen.agreed, chosen.answered) }
      : null,
    atThreshold,
    curve,
    rollingCurve,
    accuracy: okFlags.filter(Boolean).length / future.length,
    calibration: { eceBefore: expectedCalibrationError(rawConf, okFlags), eceAfter: expectedCalibrationError(futureScored.map((s) => s.confidence), okFlags) },
    ood: {
      flaggedShare: flagged.length / future.length,
      accuracyFlagged: flagged.length ? flagged.filter((s) => s.correct).length / flagged.length : null,
      accuracyKept: kept.length ? kept.filter((s) => s.correct).length / kept.length : null,
      minKnownWordMass: artifact.ood.minKnownWordMass,
    },
    unseenLabelShare: future.filter((e) => !pastLabels.has(e.label)).length / future.length,
    recommended,
    reason,
  };
  return { evaluation, artifact };
}
