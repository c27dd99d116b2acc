// Multinomial logistic regression (softmax) over sparse rows, trained in plain TypeScript: per-example
// AdaGrad with L2, seeded shuffling, a few epochs. Deterministic for a seed; no weights downloaded.
import { seededRandom, shuffled } from "../../stats/random";
import type { SparseRow } from "./features";

export type SoftmaxModel = {
  features: number;
  classes: number;
  /** Row-major [feature][class]. */
  weights: Float32Array;
  bias: Float32Array;
};

export type TrainOptions = {
  epochs?: number;
  learningRate?: number;
  /** L2 penalty per example. */
  l2?: number;
  seed?: number | string;
  /** Average the weights of the last this-many epochs (smoother, better-ranked confidences). Default 0 = off. */
  averageEpochs?: number;
  /** Per-example weights (e.g. to balance rare labels); default 1. */
  sampleWeights?: Float32Array;
};

export const DEFAULT_TRAIN: Required<Omit<TrainOptions, "sampleWeights">> = { epochs: 8, learningRate: 0.5, l2: 1e-5, seed: 1, averageEpochs: 0 };

/** Logits of one row (bias + w·x), written into `out`. */
export function logitsInto(model: SoftmaxModel, row: SparseRow, out: Float64Array): Float64Array {
  const C = model.classes;
  for (let c = 0; c < C; c++) out[c] = model.bias[c];
  for (let k = 0; k < row.indices.length; k++) {
    const base = row.indices[k] * C;
    const x = row.values[k];
    for (let c = 0; c < C; c++) out[c] += model.weights[base + c] * x;
  }
  return out;
}

/** Softmax of logits / temperature, in place; returns the argmax. */
export function softmaxInPlace(logits: Float64Array, temperature = 1): number {
  let max = -Infinity;
  let arg = 0;
  for (let c = 0; c < logits.length; c++) if (logits[c] > max) [max, arg] = [logits[c], c];
  let sum = 0;
  for (let c = 0; c < logits.length; c++) {
    logits[c] = Math.exp((logits[c] - max) / temperature);
    sum += logits[c];
  }
  for (let c = 0; c < logits.length; c++) logits[c] /= sum;
  return arg;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Train. Async only so that a long run hands the event loop back every ~50 ms: a worker must keep
 * renewing its job lock and answering while it trains. The result does not depend on the yields.
 */
export async function trainSoftmax(rows: readonly SparseRow[], labels: Int32Array, features: number, classes: number, opts: TrainOptions = {}): Promise<SoftmaxModel> {
  const o = { ...DEFAULT_TRAIN, ...opts };
  if (rows.length !== labels.length) throw new Error(`rows (${rows.length}) and labels (${labels.length}) differ in length`);
  if (classes < 2) throw new Error("at least two classes are needed");
  const C = classes;
  const W = new Float32Array(features * C);
  const bias = new Float32Array(C);
  // AdaGrad accumulators: rare features keep large steps, frequent ones settle.
  const g2w = new Float32Array(features * C).fill(1e-6);
  const g2b = new Float64Array(C).fill(1e-6);
  const model: SoftmaxModel = { features, classes, weights: W, bias };
  const random = seededRandom(o.seed);
  const p = new Float64Array(C);
  const order = rows.map((_, i) => i);
  const lr = o.learningRate;
  const averaged = Math.min(o.averageEpochs, o.epochs);
  const sumW = averaged > 0 ? new Float64Array(features * C) : null;
  const sumB = new Float64Array(C);
  let lastYield = Date.now();
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    let seen = 0;
    for (const i of shuffled(order, random)) {
      if ((++seen & 255) === 0 && Date.now() - lastYield > 50) {
        await yieldToEventLoop();
        lastYield = Date.now();
      }
      const row = rows[i];
      const sw = o.sampleWeights ? o.sampleWeights[i] : 1;
      logitsInto(model, row, p);
      softmaxInPlace(p);
      p[labels[i]] -= 1;
      // Per-example AdaGrad step on the touched features only (L2 applied to the weights touched, the
      // usual lazy approximation for sparse text).
      for (let k = 0; k < row.indices.length; k++) {
        const base = row.indices[k] * C;
        const x = row.values[k] * sw;
        for (let c = 0; c < C; c++) {
          const j = base + c;
          const grad = p[c] * x + o.l2 * W[j];
          const acc = g2w[j] + grad * grad;
          g2w[j] = acc;
          W[j] -= (lr * grad) / Math.sqrt(acc);
        }
      }
      for (let c = 0; c < C; c++) {
        const grad = p[c] * sw;
        g2b[c] += grad * grad;
        bias[c] -= (lr * grad) / Math.sqrt(g2b[c]);
      }
    }
    if (sumW && epoch >= o.epochs - averaged) {
      for (let j = 0; j < W.length; j++) sumW[j] += W[j];
      for (let c = 0; c < C; c++) sumB[c] += bias[c];
    }
  }
  if (sumW) {
    for (let j = 0; j < W.length; j++) W[j] = sumW[j] / averaged;
    for (let c = 0; c < C; c++) bias[c] = sumB[c] / averaged;
  }
  return model;
}
