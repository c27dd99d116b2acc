import { describe, expect, it } from "vitest";
import { bootstrapInterval, quantile } from "./bootstrap";
import { hashSeed, seededRandom, shuffled } from "./random";
import { normalQuantile, sampleSizeToDecide, wilsonInterval, zForConfidence } from "./wilson";

describe("seededRandom", () => {
  it("repeats for the same seed and differs across seeds", () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const c = seededRandom(43);
    const xs = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c())).not.toEqual(xs);
    expect(seededRandom("abc")()).toBe(seededRandom(hashSeed("abc"))());
  });
  it("is roughly uniform", () => {
    const r = seededRandom(7);
    const bins = new Array(10).fill(0);
    for (let i = 0; i < 20000; i++) bins[Math.floor(r() * 10)]++;
    for (const b of bins) expect(Math.abs(b - 2000)).toBeLessThan(200);
  });
  it("shuffles into a permutation", () => {
    const xs = Array.from({ length: 50 }, (_, i) => i);
    const s = shuffled(xs, seededRandom(1));
    expect(s).not.toEqual(xs);
    expect(s.slice().sort((a, b) => a - b)).toEqual(xs);
  });
});

describe("wilsonInterval", () => {
  it("matches published values", () => {
    expect(zForConfidence(0.95)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232, 5);
    // 81/263 (Wilson 1927 worked example used by Newcombe 1998): 0.2553 - 0.3662
    const iv = wilsonInterval(81, 263);
    expect(iv.low).toBeCloseTo(0.2553, 3);
    expect(iv.high).toBeCloseTo(0.3662, 3);
  });
  it("stays informative at the edges", () => {
    const all = wilsonInterval(50, 50);
    expect(all.high).toBe(1);
    expect(all.low).toBeGreaterThan(0.9);
    expect(all.low).toBeLessThan(0.95);
    expect(wilsonInterval(0, 10).low).toBe(0);
    expect(wilsonInterval(0, 0)).toEqual({ point: 0, low: 0, high: 1 });
  });
  it("refuses impossible counts", () => {
    expect(() => wilsonInterval(5, 4)).toThrow(/successes/);
    expect(() => wilsonInterval(1, 2.5)).toThrow(/n must/);
  });
  it("covers the true rate about 95% of the time", () => {
    const r = seededRandom(3);
    let covered = 0;
    const trials = 2000;
    for (let t = 0; t < trials; t++) {
      let k = 0;
      for (let i = 0; i < 80; i++) if (r() < 0.9) k++;
      const iv = wilsonInterval(k, 80);
      if (iv.low <= 0.9 && 0.9 <= iv.high) covered++;
    }
    expect(covered / trials).toBeGreaterThan(0.93);
    expect(covered / trials).toBeLessThan(0.98);
  });
  it("finds the sample size that decides", () => {
    const n = sampleSizeToDecide(0.99, 0.95)!;
    expect(wilsonInterval(Math.round(0.99 * n), n).low).toBeGreaterThanOrEqual(0.95);
    expect(wilsonInterval(Math.round(0.99 * (n - 5)), n - 5).low).toBeLessThan(0.95);
    const below = sampleSizeToDecide(0.8, 0.95)!;
    expect(wilsonInterval(Math.round(0.8 * below), below).high).toBeLessThan(0.95);
    expect(sampleSizeToDecide(0.95, 0.95)).toBeNull();
  });
});

describe("bootstrapInterval", () => {
  it("is reproducible and brackets the mean", () => {
    const r = seededRandom(11);
    const xs = Array.from({ length: 400 }, () => r() * 10);
    const mean = (s: readonly number[]) => s.reduce((a, b) => a + b, 0) / s.length;
    const a = bootstrapInterval(xs, mean, { seed: 5 });
    const b = bootstrapInterval(xs, mean, { seed: 5 });
    expect(a).toEqual(b);
    expect(a.low).toBeLessThan(a.point);
    expect(a.high).toBeGreaterThan(a.point);
    // Standard error of a uniform(0,10) mean with n=400 is ~0.144: the 95% width is ~0.57.
    expect(a.high - a.low).toBeGreaterThan(0.4);
    expect(a.high - a.low).toBeLessThan(0.75);
  });
  it("quantile interpolates", () => {
    expect(quantile([3, 1, 2, 4], 0.5)).toBe(2.5);
    expect(quantile([5], 0.9)).toBe(5);
  });
});
