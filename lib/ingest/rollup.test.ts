import { describe, expect, it } from "vitest";
import { LATENCY_BUCKET_BOUNDS_MS, LATENCY_BUCKET_COUNT, addLatencyBuckets, aggregateRollups, dayOf, hourOf, latencyBucket, latencyPercentile } from "./rollup";

function histogram(latencies: number[]): number[] {
  const h = new Array(LATENCY_BUCKET_COUNT).fill(0);
  for (const l of latencies) h[latencyBucket(l)]++;
  return h;
}

describe("latency buckets", () => {
  it("puts a latency equal to a bound into the bucket above it, and beyond the last bound into the open bucket", () => {
    expect(latencyBucket(0)).toBe(0);
    expect(latencyBucket(49.9)).toBe(0);
    expect(latencyBucket(50)).toBe(1);
    expect(latencyBucket(999)).toBe(LATENCY_BUCKET_BOUNDS_MS.indexOf(1000));
    expect(latencyBucket(1000)).toBe(LATENCY_BUCKET_BOUNDS_MS.indexOf(1000) + 1);
    expect(latencyBucket(10_000_000)).toBe(LATENCY_BUCKET_COUNT - 1);
  });

  it("estimates p50/p95 within the bucket that holds them, close to the exact percentile", () => {
    // 1000 latencies spread 100..2100 ms: exact p50 = 1100, p95 = 2000.
    const lat = Array.from({ length: 1000 }, (_, i) => 100 + i * 2);
    const h = histogram(lat);
    const p50 = latencyPercentile(h, 50)!;
    const p95 = latencyPercentile(h, 95)!;
    expect(p50).toBeGreaterThanOrEqual(1000);
    expect(p50).toBeLessThan(1500);
    expect(Math.abs(p50 - 1100) / 1100).toBeLessThan(0.15);
    expect(p95).toBeGreaterThanOrEqual(1500);
    expect(p95).toBeLessThanOrEqual(2100);
    expect(Math.abs(p95 - 2000) / 2000).toBeLessThan(0.1);
  });

  it("returns null for an empty histogram, the floor of the open bucket, and rejects a bad p", () => {
    expect(latencyPercentile(new Array(LATENCY_BUCKET_COUNT).fill(0), 50)).toBeNull();
    expect(latencyPercentile(histogram([500_000, 600_000]), 50)).toBe(LATENCY_BUCKET_BOUNDS_MS[LATENCY_BUCKET_BOUNDS_MS.length - 1]);
    expect(() => latencyPercentile([1], 0)).toThrow(/p must be/);
  });

  it("adds histograms element-wise, tolerating short arrays (rows written before a bucket was added)", () => {
    const sum = addLatencyBuckets([1, 2], histogram([10, 60, 60]));
    expect(sum.length).toBe(LATENCY_BUCKET_COUNT);
    expect(sum.slice(0, 3)).toEqual([2, 4, 0]);
  });

  it("keys rollups by UTC hour", () => {
    expect(hourOf(new Date("2026-12-04T16:59:59.999Z")).toISOString()).toBe("2026-12-04T16:00:00.000Z");
    expect(hourOf(new Date("2026-12-04T17:00:00+05:30")).toISOString()).toBe("2026-12-04T11:00:00.000Z");
  });

  it("aggregates calls per hour/model/feature, counting errors, unpriced calls and latencies", () => {
    const base = { model: "m", feature: "f", endUser: null, inputTokens: 10, outputTokens: 2, cachedInputTokens: 1 };
    const { hourly: rows } = aggregateRollups([
      { ...base, timestamp: new Date("2026-12-01T10:05:00Z"), status: 200, costUsd: 0.5, latencyMs: 100 },
      { ...base, timestamp: new Date("2026-12-01T10:55:00Z"), status: 429, costUsd: 0, latencyMs: null },
      { ...base, timestamp: new Date("2026-12-01T10:56:00Z"), status: 200, costUsd: null, latencyMs: 2500 },
      { ...base, timestamp: new Date("2026-12-01T09:59:59Z"), status: 0, costUsd: 1, latencyMs: 10 },
    ]);
    expect(rows.map((r) => r.hour)).toEqual(["2026-12-01T09:00:00.000Z", "2026-12-01T10:00:00.000Z"]);
    const ten = rows[1];
    expect(ten).toMatchObject({ model: "m", feature: "f", requests: 3, errors: 1, unpricedRequests: 1, costUsd: 0.5, inputTokens: 30, latencySumMs: 2600, latencyCount: 2 });
    expect(ten.latencyBuckets[latencyBucket(100)]).toBe(1);
    expect(ten.latencyBuckets[latencyBucket(2500)]).toBe(1);
    expect(rows[0]).toMatchObject({ requests: 1, errors: 1 });
  });

  it("rolls end users up per UTC day, apart from the hourly rows, with the same totals", () => {
    const call = (timestamp: string, endUser: string | null, model: string, costUsd: number | null, status = 200) => ({
      timestamp: new Date(timestamp),
      model,
      feature: "chat",
      endUser,
      status,
      inputTokens: 100,
      outputTokens: 7,
      cachedInputTokens: 0,
      costUsd,
      latencyMs: 300,
    });
    const calls = [
      call("2026-12-01T00:10:00Z", "ann", "gpt-4o", 0.25),
      call("2026-12-01T23:59:59Z", "ann", "gpt-4o-mini", 0.5, 500),
      call("2026-12-02T00:00:00Z", "ann", "gpt-4o", 1),
      call("2026-12-01T12:00:00Z", "bob", "gpt-4o", null),
      call("2026-12-01T12:30:00Z", null, "gpt-4o", 2),
    ];
    const { hourly, users } = aggregateRollups(calls);
    // Users never split the hourly rows: the two 12:xx calls of bob and of nobody share one.
    expect(hourly.filter((r) => r.hour === "2026-12-01T12:00:00.000Z")).toHaveLength(1);
    expect(users.map((u) => [u.day.slice(0, 10), u.endUser, u.requests, u.errors, u.unpricedRequests, u.costUsd])).toEqual([
      ["2026-12-01", "", 1, 0, 0, 2],
      ["2026-12-01", "ann", 2, 1, 0, 0.75],
      ["2026-12-01", "bob", 1, 0, 1, 0],
      ["2026-12-02", "ann", 1, 0, 0, 1],
    ]);
    const sum = <T,>(rows: T[], f: (r: T) => number) => rows.reduce((a, r) => a + f(r), 0);
    for (const k of ["requests", "errors", "unpricedRequests", "inputTokens", "outputTokens", "costUsd"] as const) {
      expect(sum(users, (u) => u[k])).toBe(sum(hourly, (h) => h[k]));
    }
    expect(dayOf(new Date("2026-12-01T23:59:59.999Z")).toISOString()).toBe("2026-12-01T00:00:00.000Z");
  });
});
