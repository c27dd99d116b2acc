// Compares embedding methods the way a cache uses them: cache one labelled set, query with another,
// and ask how many queries hit while at least `targetPrecision` of the hits return the right label.
// AUC or a fixed threshold would not say this (a threshold means something only for one feature setup).
// One earlier answer per query (the nearest cached text): no label voting, as a cache returns one answer.
import type { LabelledText } from "../../datasets/shared-data";
import { quantileSorted } from "../../stats/bootstrap";
import { randomInt, seededRandom } from "../../stats/random";
import type { Interval } from "../../stats/wilson";
import { maxWeights, SIM_EPSILON, SparseSimilarityIndex } from "./neighbours";
import type { SparseEmbedder, SparseVector } from "./types";

export type { LabelledText };

/**
 * Each query's nearest cached vector with cosine >= minSim (exact, prefix-filtered index) and its cosine;
 * index -1 and sim 0 when none reaches minSim. Ties go to the earlier cached text.
 */
export function nearestCached(
  cached: readonly SparseVector[],
  queries: readonly SparseVector[],
  documentFrequency: (feature: number) => number,
  minSim = 0.5,
  dims = 0,
): { index: Int32Array; sim: Float64Array } {
  const search = new SparseSimilarityIndex({ minSim, documentFrequency, dims, maxWeight: maxWeights([...cached, ...queries], dims) });
  for (const v of cached) search.add(v);
  const index = new Int32Array(queries.length).fill(-1);
  const sim = new Float64Array(queries.length);
  queries.forEach((q, qi) => {
    const found = search.query(q);
    let best = -1;
    let bestSim = 0;
    for (let k = 0; k < found.ids.length; k++) {
      const s = found.sims[k];
      const i = found.ids[k];
      if (best < 0 || s > bestSim + SIM_EPSILON || (Math.abs(s - bestSim) <= SIM_EPSILON && i < best)) {
        best = i;
        bestSim = s;
      }
    }
    index[qi] = best;
    sim[qi] = best >= 0 ? bestSim : 0;
  });
  return { index, sim };
}

export type OperatingPoint = { threshold: number; hits: number; share: number; precision: number };

/**
 * The lowest threshold at which the hits (queries whose nearest similarity is >= threshold) are at least
 * `targetPrecision` correct, and the share of queries that hit there. Ties in similarity hit together.
 */
export function hitsAtPrecision(sims: ArrayLike<number>, correct: ArrayLike<boolean | number>, targetPrecision: number, weights?: ArrayLike<number>): OperatingPoint {
  const order = Array.from({ length: sims.length }, (_, i) => i).sort((a, b) => sims[b] - sims[a] || a - b);
  let total = 0;
  for (let i = 0; i < sims.length; i++) total += weights ? weights[i] : 1;
  let hits = 0;
  let right = 0;
  let best: OperatingPoint = { threshold: 1, hits: 0, share: 0, precision: 1 };
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    const w = weights ? weights[i] : 1;
    hits += w;
    if (correct[i]) right += w;
    const lastOfTie = k + 1 === order.length || sims[order[k + 1]] < sims[i];
    if (lastOfTie && hits > 0 && right / hits >= targetPrecision && sims[i] > 0) {
      best = { threshold: sims[i], hits, share: total > 0 ? hits / total : 0, precision: right / hits };
    }
  }
  return best;
}

export type MethodResult = {
  method: string;
  threshold: number;
  hitShare: Interval;
  precision: number;
  /** Hit share minus the first method's, paired bootstrap over the same query resamples. */
  vsBaseline: Interval | null;
  embedMs: number;
};

export type ComparisonOptions = { targetPrecision?: number; iterations?: number; seed?: number; minSim?: number };

/**
 * Runs each method (fitted on cached + query texts, the way the analysis fits on its window) and reports
 * its operating point with a bootstrap interval over queries (re-choosing the threshold in each resample),
 * plus the paired difference against the first method.
 */
export function compareCacheMethods(
  methods: Array<{ name: string; fit: (corpus: string[]) => SparseEmbedder }>,
  cached: readonly LabelledText[],
  queries: readonly LabelledText[],
  opts: ComparisonOptions = {},
): MethodResult[] {
  const target = opts.targetPrecision ?? 0.98;
  const iterations = opts.iterations ?? 200;
  const corpus = [...cached.map((c) => c.text), ...queries.map((q) => q.text)];
  const random = seededRandom(opts.seed ?? 1);
  // One set of resample weights shared by all methods, so differences are paired.
  const resamples: Uint16Array[] = [];
  for (let b = 0; b < iterations; b++) {
    const w = new Uint16Array(queries.length);
    for (let i = 0; i < queries.length; i++) w[randomInt(random, queries.length)]++;
    resamples.push(w);
  }
  const results: MethodResult[] = [];
  let baselineShares: number[] | null = null;
  for (const m of methods) {
    const started = performance.now();
    const embedder = m.fit(corpus);
    const cv = embedder.embedSparse(cached.map((c) => c.text));
    const qv = embedder.embedSparse(queries.map((q) => q.text));
    const embedMs = performance.now() - started;
    const nn = nearestCached(cv, qv, (f) => embedder.documentFrequency(f), opts.minSim ?? 0.5, embedder.dims);
    const correct = queries.map((q, i) => nn.index[i] >= 0 && cached[nn.index[i]].label === q.label);
    const point = hitsAtPrecision(nn.sim, correct, target);
    const shares = resamples.map((w) => hitsAtPrecision(nn.sim, correct, target, w).share);
    const sorted = shares.slice().sort((a, b) => a - b);
    let vsBaseline: Interval | null = null;
    if (baselineShares) {
      const base = baselineShares;
      const diffs = shares.map((s, b) => s - base[b]).sort((a, b) => a - b);
      vsBaseline = { point: point.share - results[0].hitShare.point, low: quantileSorted(diffs, 0.025), high: quantileSorted(diffs, 0.975) };
    } else baselineShares = shares;
    results.push({
      method: m.name,
      threshold: point.threshold,
      hitShare: { point: point.share, low: quantileSorted(sorted, 0.025), high: quantileSorted(sorted, 0.975) },
      precision: point.precision,
      vsBaseline,
      embedMs,
    });
  }
  return results;
}
