import { describe, expect, it } from "vitest";
import { seededRandom } from "../../stats/random";
import { calibrate, type ThresholdOutcome } from "./calibration";

/** Outcomes where `hits` calls hit at each threshold and the first `wrong` of them were wrong. */
function outcome(threshold: number, hits: number[], wrong: number): ThresholdOutcome {
  return { threshold, hits: Int32Array.from(hits), wrong: Uint8Array.from(hits, (_, k) => (k < wrong ? 1 : 0)) };
}
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

describe("calibrate", () => {
  const costs = Array(2000).fill(0.01);
  // Lower thresholds hit more and are wronger: 0.80 -> 800 hits, 40 wrong; 0.90 -> 500, 3; 0.95 -> 300, 0.
  const outcomes = [outcome(0.8, range(0, 800), 40), outcome(0.9, range(0, 500), 3), outcome(0.95, range(0, 300), 0)];

  it("reports hit rate, wrong-hit rate and dollars with intervals around the point", () => {
    const cal = calibrate(outcomes, costs, { tolerance: 0.02, fixedCostUsd: 0, seed: 3 });
    const p = cal.points[0];
    expect(p.hits).toBe(800);
    expect(p.hitRate.point).toBeCloseTo(0.4, 10);
    expect(p.wrongHitRate.point).toBeCloseTo(0.05, 10);
    expect(p.savedUsd.point).toBeCloseTo(8, 10);
    for (const iv of [p.hitRate, p.wrongHitRate, p.savedUsd]) {
      expect(iv.low).toBeLessThan(iv.point);
      expect(iv.high).toBeGreaterThan(iv.point);
    }
    // Binomial standard error of 0.4 over 2000 calls is 0.011: the 95% interval is about +-0.021.
    expect(p.hitRate.high - p.hitRate.low).toBeGreaterThan(0.03);
    expect(p.hitRate.high - p.hitRate.low).toBeLessThan(0.06);
  });

  it("recommends the most saving threshold whose upper wrong-hit bound is under the tolerance", () => {
    // 0.90 has 0.6% wrong: its upper bound (~1.7%) is under 2%, 0.80's 5% is not.
    expect(calibrate(outcomes, costs, { tolerance: 0.02, fixedCostUsd: 0 }).recommended?.threshold).toBe(0.9);
    // At 1.3% the observed 0.6% is fine but its upper bound is not: only 0.95 (0 of 300, Wilson 1.26%) qualifies.
    const strict = calibrate(outcomes, costs, { tolerance: 0.013, fixedCostUsd: 0 });
    expect(strict.points[1].wrongHitUpper).toBeGreaterThan(0.013);
    expect(strict.points[2].wrongHitUpper).toBeLessThan(0.013);
    expect(strict.recommended?.threshold).toBe(0.95);
  });

  it("keeps a Wilson bound when no wrong hit was seen (a bootstrap of zeros collapses to zero)", () => {
    const few = calibrate([outcome(0.95, range(0, 20), 0)], costs, { tolerance: 0.01, fixedCostUsd: 0 });
    expect(few.points[0].wrongHitRate.high).toBe(0);
    expect(few.points[0].wrongHitWilsonHigh).toBeGreaterThan(0.1);
    expect(few.recommended).toBeNull();
  });

  it("recommends nothing when the savings do not cover the fixed cost", () => {
    expect(calibrate(outcomes, costs, { tolerance: 0.02, fixedCostUsd: 100 }).recommended).toBeNull();
  });

  it("is reproducible for a seed and reports how the operating point moves between resamples", () => {
    const a = calibrate(outcomes, costs, { tolerance: 0.02, fixedCostUsd: 0, seed: 9 });
    const b = calibrate(outcomes, costs, { tolerance: 0.02, fixedCostUsd: 0, seed: 9 });
    expect(a).toEqual(b);
    const r = a.recommended!;
    expect(r.resampledThreshold.median).toBe(0.9);
    expect(r.resampledThreshold.noneShare).toBe(0);
    expect(r.resampledHitRate.low).toBeLessThanOrEqual(r.resampledHitRate.high);
  });

  it("covers the true wrong-hit rate about 95% of the time", () => {
    const random = seededRandom(4);
    let covered = 0;
    const trials = 150;
    for (let t = 0; t < trials; t++) {
      const hits = range(0, 400);
      const wrong = Uint8Array.from(hits, () => (random() < 0.05 ? 1 : 0));
      const cal = calibrate([{ threshold: 0.9, hits: Int32Array.from(hits), wrong }], costs.slice(0, 1000), { tolerance: 0.1, fixedCostUsd: 0, seed: t, iterations: 200 });
      const iv = cal.points[0].wrongHitRate;
      if (iv.low <= 0.05 && 0.05 <= iv.high) covered++;
    }
    expect(covered / trials).toBeGreaterThan(0.9);
    expect(covered / trials).toBeLessThan(0.99);
  });
});
