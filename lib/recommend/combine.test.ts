import { describe, expect, it } from "vitest";
import type { LeverFinding } from "../analysis/types";
import { combineFindings } from "./combine";

function finding(lever: LeverFinding["lever"], callIds: string[], costPerCall: number, share: number): LeverFinding {
  const affected = costPerCall * callIds.length;
  return {
    lever,
    title: lever,
    scope: { feature: "classify" },
    callIds,
    affectedMonthlyCostUsd: affected,
    savingsShare: { point: share, low: share * 0.8, high: Math.min(1, share * 1.1) },
    monthly: { usd: affected * share, low: affected * share * 0.8, high: affected * Math.min(1, share * 1.1) },
    confidence: "high",
    evidence: {},
    howToApply: { summary: "" },
  };
}

const ids = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `c${from + i}`);

describe("combineFindings", () => {
  it("two levers on the same calls save less together than the sum of their figures", () => {
    const rightsize = finding("rightsize", ids(0, 100), 1, 0.9); // $100 of calls, 90% cheaper
    const cache = finding("cache", ids(0, 100), 1, 0.3); // same calls, 30% cache hits
    const p = combineFindings(100, [cache, rightsize]);
    const sum = rightsize.monthly.usd + cache.monthly.usd; // 90 + 30 = 120 > spend
    expect(p.savedUsd).toBeLessThan(sum);
    // right-size first: 100 -> 10; then cache saves 30% of the remaining 10 = 3
    expect(p.savedUsd).toBeCloseTo(93, 6);
    expect(p.steps.map((s) => s.lever)).toEqual(["rightsize", "cache"]);
    expect(p.steps[1].savedUsd).toBeCloseTo(3, 6);
    expect(p.projectedMonthlyUsd).toBeCloseTo(7, 6);
  });

  it("levers on disjoint calls add up exactly", () => {
    const a = finding("compress", ids(0, 50), 2, 0.5); // $100 -> saves 50
    const b = finding("batch", ids(50, 100), 2, 0.5); // other $100 -> saves 50
    const p = combineFindings(300, [a, b]);
    expect(p.savedUsd).toBeCloseTo(100, 6);
    expect(p.projectedMonthlyUsd).toBeCloseTo(200, 6);
  });

  it("partial overlap lands between the larger figure and the sum, and the interval brackets the point", () => {
    const a = finding("distill", ids(0, 80), 1, 0.7);
    const b = finding("cache", ids(40, 120), 1, 0.2);
    const p = combineFindings(200, [a, b]);
    expect(p.savedUsd).toBeGreaterThan(Math.max(a.monthly.usd, b.monthly.usd));
    expect(p.savedUsd).toBeLessThan(a.monthly.usd + b.monthly.usd);
    // exact: calls 0-39: 0.7; 40-79: 1-(0.3*0.8)=0.76; 80-119: 0.2
    expect(p.savedUsd).toBeCloseTo(40 * 0.7 + 40 * 0.76 + 40 * 0.2, 6);
    expect(p.savedLowUsd).toBeLessThanOrEqual(p.savedUsd);
    expect(p.savedHighUsd).toBeGreaterThanOrEqual(p.savedUsd);
  });
});
