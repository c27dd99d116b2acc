import { describe, expect, it } from "vitest";
import { periodTotal } from "./period-total";

const DAY = 86_400_000;

describe("periodTotal", () => {
  it("extrapolates the window total to the period and brackets it", () => {
    // 10 days, $1 per day at noon -> $30 per 30 days, and every resample of identical days gives 30.
    const items = Array.from({ length: 10 }, (_, d) => ({ time: d * DAY + DAY / 2, value: 1 }));
    const iv = periodTotal(items, { from: 0, to: 10 * DAY });
    expect(iv.point).toBeCloseTo(30, 10);
    expect(iv.low).toBeCloseTo(30, 10);
    expect(iv.high).toBeCloseTo(30, 10);
  });

  it("counts empty days, so traffic on a few days gives a wide interval", () => {
    // $10 on day 0 and day 5 only, in a 10-day window: point 2*10*3 = 60, but days are lumpy.
    const items = [
      { time: 1000, value: 10 },
      { time: 5 * DAY + 1000, value: 10 },
    ];
    const iv = periodTotal(items, { from: 0, to: 10 * DAY }, { seed: 7 });
    expect(iv.point).toBeCloseTo(60, 10);
    expect(iv.low).toBeLessThan(60);
    expect(iv.high).toBeGreaterThan(60);
    expect(iv.low).toBeGreaterThanOrEqual(0);
  });

  it("uses one day as the minimum window and resamples items under 3 days", () => {
    const items = [
      { time: 0, value: 1 },
      { time: 60_000, value: 3 },
    ];
    const iv = periodTotal(items, { from: 0, to: 60_000 }, { seed: 1 });
    expect(iv.point).toBeCloseTo(4 * 30, 10);
    expect(iv.low).toBeGreaterThanOrEqual(2 * 30 - 1e-9);
    expect(iv.high).toBeLessThanOrEqual(6 * 30 + 1e-9);
  });

  it("uses the normal approximation for many items in a short window, close to the bootstrap", async () => {
    const { bootstrapInterval } = await import("./bootstrap");
    const items = Array.from({ length: 3000 }, (_, i) => ({ time: i * 10_000, value: (i * 7919) % 13 }));
    const iv = periodTotal(items, { from: 0, to: 30_000_000 });
    const boot = bootstrapInterval(
      items.map((x) => x.value),
      (s) => s.reduce((a, b) => a + b, 0),
      { seed: 5 },
    );
    expect(iv.point).toBeCloseTo(boot.point * 30, 8);
    // Widths agree within bootstrap noise (~10%).
    expect((iv.high - iv.low) / ((boot.high - boot.low) * 30)).toBeGreaterThan(0.9);
    expect((iv.high - iv.low) / ((boot.high - boot.low) * 30)).toBeLessThan(1.1);
  });

  it("is deterministic for a seed and rejects an inverted window", () => {
    const items = Array.from({ length: 50 }, (_, i) => ({ time: i * 3_600_000 * 5, value: (i % 7) + 1 }));
    const w = { from: 0, to: 50 * 3_600_000 * 5 };
    expect(periodTotal(items, w, { seed: 3 })).toEqual(periodTotal(items, w, { seed: 3 }));
    expect(() => periodTotal(items, { from: 10, to: 0 })).toThrow(/window.to/);
  });
});
