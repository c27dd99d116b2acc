// The calibration curve: per threshold, how many calls the cache answers, how many of those answers
// were wrong (judged against the call's own logged response), and the dollars saved, each with a
// seeded bootstrap interval over calls. The recommended threshold is the one that saves the most among
// those whose wrong-hit rate is safely under the tolerance: its upper bound (the larger of the bootstrap
// 95% bound and the Wilson bound, since a percentile bootstrap of 0 wrong hits collapses to [0, 0]) must
// not exceed it. The operating point is fragile, so each resample also re-chooses its own threshold, and
// the spread of those choices is reported.
import { quantileSorted } from "../../stats/bootstrap";
import { randomInt, seededRandom } from "../../stats/random";
import { wilsonInterval, type Interval } from "../../stats/wilson";

/** Replay outcome at one threshold: which eligible calls hit and whether their served answer was wrong. */
export type ThresholdOutcome = {
  threshold: number;
  /** Indices into the eligible calls. */
  hits: Int32Array;
  wrong: Uint8Array;
};

export type CurvePoint = {
  threshold: number;
  hits: number;
  wrongHits: number;
  /** hits / eligible calls. */
  hitRate: Interval;
  /** wrong hits / hits (bootstrap interval). */
  wrongHitRate: Interval;
  /** Wilson 95% upper bound of wrong hits / hits. */
  wrongHitWilsonHigh: number;
  /** max(bootstrap high, Wilson high): what the tolerance is checked against. */
  wrongHitUpper: number;
  /** LLM cost of the hit calls over the window (what the cache avoids), USD. */
  savedUsd: Interval;
  unpricedHits: number;
};

export type OperatingPoint = {
  threshold: number;
  index: number;
  /** Thresholds the same rule picks in resamples (2.5%, 50%, 97.5% quantiles); null where none qualifies. */
  resampledThreshold: { low: number | null; median: number | null; high: number | null; noneShare: number };
  /** Hit rate at the threshold each resample would choose. */
  resampledHitRate: Interval;
};

export type Calibration = { points: CurvePoint[]; recommended: OperatingPoint | null; iterations: number };

export type CalibrationOptions = {
  tolerance: number;
  /** Cost that does not depend on the threshold (embedding and cache lookups of every eligible call), USD. */
  fixedCostUsd: number;
  iterations?: number;
  seed?: number;
  confidence?: number;
};

/**
 * Curve and recommendation from per-threshold replay outcomes over `costs` (one per eligible call,
 * null = unpriced). Resamples whole calls with replacement; the same resamples serve every threshold.
 */
export function calibrate(outcomes: readonly ThresholdOutcome[], costs: ReadonlyArray<number | null>, opts: CalibrationOptions): Calibration {
  const n = costs.length;
  const conf = opts.confidence ?? 0.95;
  const alpha = (1 - conf) / 2;
  const T = outcomes.length;
  const cost = Float64Array.from(costs, (c) => c ?? 0);
  // 1000 resamples, fewer when (resamples x total hits) would exceed 2e7 steps (100k-call projects stay
  // within seconds), never fewer than 200.
  const work = outcomes.reduce((s, o) => s + o.hits.length, 0) + n;
  const iterations = opts.iterations ?? Math.max(200, Math.min(1000, Math.floor(2e7 / Math.max(1, work))));
  const random = seededRandom(opts.seed ?? 1);
  const weights = new Uint32Array(n);
  const hitsB = Array.from({ length: T }, () => new Float64Array(iterations));
  const wrongB = Array.from({ length: T }, () => new Float64Array(iterations));
  const savedB = Array.from({ length: T }, () => new Float64Array(iterations));
  for (let b = 0; b < iterations; b++) {
    weights.fill(0);
    for (let k = 0; k < n; k++) weights[randomInt(random, n)]++;
    for (let t = 0; t < T; t++) {
      const { hits, wrong } = outcomes[t];
      let h = 0;
      let w = 0;
      let s = 0;
      for (let k = 0; k < hits.length; k++) {
        const wt = weights[hits[k]];
        if (wt === 0) continue;
        h += wt;
        if (wrong[k]) w += wt;
        s += wt * cost[hits[k]];
      }
      hitsB[t][b] = h;
      wrongB[t][b] = w;
      savedB[t][b] = s;
    }
  }
  const interval = (point: number, values: Float64Array | number[]): Interval => {
    const sorted = Array.from(values).sort((a, b) => a - b);
    return sorted.length ? { point, low: quantileSorted(sorted, alpha), high: quantileSorted(sorted, 1 - alpha) } : { point, low: point, high: point };
  };

  const points: CurvePoint[] = outcomes.map((o, t) => {
    const hits = o.hits.length;
    let wrongHits = 0;
    let saved = 0;
    let unpriced = 0;
    for (let k = 0; k < hits; k++) {
      if (o.wrong[k]) wrongHits++;
      saved += cost[o.hits[k]];
      if (costs[o.hits[k]] === null) unpriced++;
    }
    const rates: number[] = [];
    for (let b = 0; b < iterations; b++) if (hitsB[t][b] > 0) rates.push(wrongB[t][b] / hitsB[t][b]);
    const wrongHitRate = interval(hits ? wrongHits / hits : 0, rates);
    const wilsonHigh = wilsonInterval(wrongHits, hits, conf).high;
    return {
      threshold: o.threshold,
      hits,
      wrongHits,
      hitRate: interval(n ? hits / n : 0, hitsB[t].map((h) => (n ? h / n : 0))),
      wrongHitRate,
      wrongHitWilsonHigh: wilsonHigh,
      wrongHitUpper: hits ? Math.max(wrongHitRate.high, wilsonHigh) : 1,
      savedUsd: interval(saved, savedB[t]),
      unpricedHits: unpriced,
    };
  });

  // Most savings among safe thresholds; equal savings -> the higher (safer) threshold.
  let best = -1;
  for (let t = 0; t < T; t++) {
    const p = points[t];
    if (p.hits === 0 || p.wrongHitUpper > opts.tolerance) continue;
    if (p.savedUsd.point - opts.fixedCostUsd <= 0) continue;
    if (best < 0 || p.savedUsd.point > points[best].savedUsd.point + 1e-12 || (Math.abs(p.savedUsd.point - points[best].savedUsd.point) <= 1e-12 && p.threshold > points[best].threshold)) best = t;
  }
  if (best < 0) return { points, recommended: null, iterations };

  // Fragility: the point rule (observed wrong rate <= tolerance, most saved) applied inside each resample.
  const chosen: number[] = [];
  const chosenRates: number[] = [];
  let none = 0;
  for (let b = 0; b < iterations; b++) {
    let pick = -1;
    for (let t = 0; t < T; t++) {
      const h = hitsB[t][b];
      if (h === 0 || wrongB[t][b] / h > opts.tolerance) continue;
      if (pick < 0 || savedB[t][b] > savedB[pick][b] + 1e-12 || (Math.abs(savedB[t][b] - savedB[pick][b]) <= 1e-12 && outcomes[t].threshold > outcomes[pick].threshold)) pick = t;
    }
    if (pick < 0) {
      none++;
      chosenRates.push(0);
      continue;
    }
    chosen.push(outcomes[pick].threshold);
    chosenRates.push(n ? hitsB[pick][b] / n : 0);
  }
  chosen.sort((a, b) => a - b);
  const q = (p: number) => (chosen.length ? quantileSorted(chosen, p) : null);
  return {
    points,
    iterations,
    recommended: {
      threshold: outcomes[best].threshold,
      index: best,
      resampledThreshold: { low: q(alpha), median: q(0.5), high: q(1 - alpha), noneShare: none / iterations },
      resampledHitRate: interval(points[best].hitRate.point, chosenRates),
    },
  };
}
