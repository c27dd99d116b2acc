// The exported distilled model: a versioned, self-contained JSON artifact (vocabulary, idf, int8
// weights with a scale per class, temperature, threshold, OOD guard) and the functions that answer
// with it. Stored in DistilledModel.artifact; the proxy serves it through serve.ts.
import { lastUserText } from "../messages";
import { staticPromptHash } from "../modelfit/groups";
import { vectorise, vocabularyFrom, type FeatureConfig, type Vocabulary } from "./features";
import { logitsInto, softmaxInPlace, type SoftmaxModel } from "./softmax";

export const ARTIFACT_FORMAT = "spendlens.distilled.softmax";

export type DistilledArtifact = {
  format: typeof ARTIFACT_FORMAT;
  formatVersion: 1;
  feature: string | null;
  /** Static prompt the model was trained under: a request with another system prompt is not answered. */
  promptHash: string | null;
  /** The LLM whose answers it learnt. */
  sourceModel: string | null;
  /** What the classifier reads: the last user message. */
  input: "last_user_message";
  /** Normalised labels, by class index. */
  labels: string[];
  /** The answer text returned for each label: the LLM's most common wording of it. */
  answers: string[];
  features: { config: FeatureConfig; terms: string[]; idf: number[]; documents: number };
  weights: { encoding: "int8-column-scale"; scales: number[]; data: string };
  bias: number[];
  temperature: number;
  /** Answer locally only at or above this calibrated confidence. */
  threshold: number;
  /** Out-of-distribution guard: forward when too little of the text's word weight is on known words. */
  ood: { minKnownWordMass: number; minWords: number };
  trainedOn: { calls: number; from: string; to: string };
};

export type Decoded = { vocab: Vocabulary; model: SoftmaxModel };

/** Quantise a trained model into the artifact's weight encoding (int8 with one scale per class). */
export function encodeWeights(model: SoftmaxModel): DistilledArtifact["weights"] {
  const { features: F, classes: C, weights } = model;
  const scales = new Array<number>(C).fill(0);
  for (let f = 0; f < F; f++) for (let c = 0; c < C; c++) scales[c] = Math.max(scales[c], Math.abs(weights[f * C + c]));
  for (let c = 0; c < C; c++) scales[c] = scales[c] > 0 ? scales[c] / 127 : 1;
  const q = new Int8Array(F * C);
  for (let f = 0; f < F; f++) for (let c = 0; c < C; c++) q[f * C + c] = Math.round(weights[f * C + c] / scales[c]);
  return { encoding: "int8-column-scale", scales, data: Buffer.from(q.buffer, q.byteOffset, q.byteLength).toString("base64") };
}

const decodedCache = new WeakMap<DistilledArtifact, Decoded>();

/** Check a stored artifact's shape; errors name the field. */
export function assertArtifact(value: unknown): asserts value is DistilledArtifact {
  const a = value as Partial<DistilledArtifact> | null;
  const fail = (field: string, why: string) => {
    throw new Error(`artifact.${field} ${why}`);
  };
  if (!a || typeof a !== "object") throw new Error("artifact must be an object");
  if (a.format !== ARTIFACT_FORMAT) fail("format", `must be "${ARTIFACT_FORMAT}"`);
  if (a.formatVersion !== 1) fail("formatVersion", "must be 1");
  if (!Array.isArray(a.labels) || a.labels.length < 2) fail("labels", "must list at least two labels");
  if (!Array.isArray(a.answers) || a.answers.length !== a.labels!.length) fail("answers", "must have one answer per label");
  if (!a.features || !Array.isArray(a.features.terms) || !Array.isArray(a.features.idf) || a.features.terms.length !== a.features.idf.length) fail("features", "must have terms and idf of equal length");
  if (!a.weights || a.weights.encoding !== "int8-column-scale" || typeof a.weights.data !== "string") fail("weights", "must be int8-column-scale data");
  if (!Array.isArray(a.bias) || a.bias.length !== a.labels!.length) fail("bias", "must have one value per label");
  if (!(typeof a.temperature === "number" && a.temperature > 0)) fail("temperature", "must be a positive number");
  if (!(typeof a.threshold === "number" && a.threshold >= 0 && a.threshold <= 1)) fail("threshold", "must be in [0, 1]");
}

export function decodeArtifact(artifact: DistilledArtifact): Decoded {
  const hit = decodedCache.get(artifact);
  if (hit) return hit;
  assertArtifact(artifact);
  const C = artifact.labels.length;
  const F = artifact.features.terms.length;
  const raw = Buffer.from(artifact.weights.data, "base64");
  if (raw.length !== F * C) throw new Error(`artifact.weights.data holds ${raw.length} weights, expected ${F * C}`);
  const q = new Int8Array(raw.buffer, raw.byteOffset, raw.length);
  const weights = new Float32Array(F * C);
  for (let f = 0; f < F; f++) for (let c = 0; c < C; c++) weights[f * C + c] = q[f * C + c] * artifact.weights.scales[c];
  const decoded: Decoded = {
    vocab: vocabularyFrom(artifact.features.config, artifact.features.terms, artifact.features.idf, artifact.features.documents),
    model: { features: F, classes: C, weights, bias: Float32Array.from(artifact.bias) },
  };
  decodedCache.set(artifact, decoded);
  return decoded;
}

export type TextScore = { label: string; answer: string; confidence: number; ood: boolean; knownWordMass: number };

/** Uncalibrated logits of the artifact's model for a text, with the OOD verdict. */
export function logitsOfText(artifact: DistilledArtifact, text: string): { logits: Float64Array; ood: boolean; knownWordMass: number } {
  const { vocab, model } = decodeArtifact(artifact);
  const v = vectorise(text, vocab);
  const logits = logitsInto(model, v, new Float64Array(model.classes));
  return { logits, ood: v.words < artifact.ood.minWords || v.knownWordMass < artifact.ood.minKnownWordMass, knownWordMass: v.knownWordMass };
}

/** Calibrated prediction for a text, with the OOD verdict (no threshold applied). */
export function scoreText(artifact: DistilledArtifact, text: string): TextScore {
  const { logits, ood, knownWordMass } = logitsOfText(artifact, text);
  const arg = softmaxInPlace(logits, artifact.temperature);
  return { label: artifact.labels[arg], answer: artifact.answers[arg], confidence: logits[arg], ood, knownWordMass };
}

/**
 * The local answer to a request, or null when it must go to the LLM: another static prompt than the
 * one trained under, out of distribution, or below the threshold (the artifact's unless given).
 */
export function predictDistilled(artifact: DistilledArtifact, request: Record<string, unknown>, opts: { threshold?: number } = {}): { label: string; confidence: number } | null {
  if (artifact.promptHash !== null && staticPromptHash({ request }) !== artifact.promptHash) return null;
  const text = lastUserText({ request });
  if (!text.trim()) return null;
  const s = scoreText(artifact, text);
  if (s.ood || s.confidence < (opts.threshold ?? artifact.threshold)) return null;
  return { label: s.label, confidence: s.confidence };
}
