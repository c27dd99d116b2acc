import { beforeAll, describe, expect, it } from "vitest";
import { db } from "../db/client";
import { useTestDatabase } from "../db/testing";
import { LATENCY_BUCKET_COUNT, latencyBucket } from "../ingest/rollup";
import { getOverview } from "./overview";

useTestDatabase();

let projectId = "";
let otherProjectId = "";
const day = (d: number, h = 12) => new Date(Date.UTC(2026, 10, d, h));

function hist(latencies: number[]): number[] {
  const h = new Array(LATENCY_BUCKET_COUNT).fill(0);
  for (const l of latencies) h[latencyBucket(l)]++;
  return h;
}

beforeAll(async () => {
  const org = await db.organization.create({ data: { name: "O", slug: `o-${Date.now()}` } });
  const p = await db.project.create({ data: { organizationId: org.id, name: "P", slug: "p" } });
  const q = await db.project.create({ data: { organizationId: org.id, name: "Q", slug: "q" } });
  projectId = p.id;
  otherProjectId = q.id;
  const row = (projectId: string, hour: Date, model: string, feature: string, requests: number, cost: number, lat: number[], extra = {}) => ({
    projectId, hour, model, feature, requests, costUsd: cost, inputTokens: BigInt(requests * 100), outputTokens: BigInt(requests * 10),
    cachedInputTokens: BigInt(requests * 25), latencySumMs: BigInt(lat.reduce((a, b) => a + b, 0)), latencyCount: lat.length, latencyBuckets: hist(lat), ...extra,
  });
  await db.usageHourly.createMany({
    data: [
      // previous period (Nov 1-7): $10
      row(p.id, day(3), "gpt-4o", "classify", 10, 10, Array(10).fill(400)),
      // current period (Nov 8-15): $30 + $5, 2 errors
      row(p.id, day(9), "gpt-4o", "classify", 20, 30, Array(20).fill(400), { errors: 2 }),
      row(p.id, day(10, 3), "gpt-4o-mini", "chat", 30, 5, [...Array(27).fill(800), 2500, 2500, 2500]),
      // another project: must never show up
      row(q.id, day(9), "gpt-4o", "classify", 1000, 999, Array(5).fill(100)),
    ],
  });
  const user = (projectId: string, d: number, endUser: string, requests: number, costUsd: number) => ({ projectId, day: day(d, 0), endUser, requests, costUsd });
  await db.usageDailyUser.createMany({
    data: [
      user(p.id, 3, "ann", 10, 10),
      user(p.id, 9, "ann", 5, 20),
      user(p.id, 9, "bob", 15, 10),
      user(p.id, 10, "", 30, 5),
      // the last day of the range starts at 00:00 on Nov 15: outside [Nov 8, Nov 15)
      user(p.id, 15, "carl", 1, 100),
      user(q.id, 9, "zed", 1000, 999),
    ],
  });
});

describe("getOverview", () => {
  it("sums the rollups of one project for the range and compares with the previous period", async () => {
    const o = await getOverview(projectId, { from: day(8, 0), to: day(15, 0) });
    expect(o.totals.requests).toBe(50);
    expect(o.totals.costUsd).toBeCloseTo(35, 9);
    expect(o.totals.errorRate).toBeCloseTo(2 / 50, 9);
    expect(o.totals.cachedShare).toBeCloseTo(0.25, 9);
    expect(o.previous.costUsd).toBeCloseTo(10, 9);
    expect(o.change.costUsd).toBeCloseTo(2.5, 9);
    // 20 calls at 400 ms, 27 at 800 ms, 3 at 2.5 s: the median is in the 750-1000 bucket, p95 in 2000-3000
    expect(o.totals.latencyP50Ms!).toBeGreaterThanOrEqual(750);
    expect(o.totals.latencyP50Ms!).toBeLessThan(1000);
    expect(o.totals.latencyP95Ms!).toBeGreaterThanOrEqual(2000);
    expect(o.totals.latencyP95Ms!).toBeLessThan(3000);
  });

  it("returns daily series stacked by model and feature, with empty days present", async () => {
    const o = await getOverview(projectId, { from: day(8, 0), to: day(15, 0) });
    expect(o.range.bucket).toBe("day");
    expect(o.series.model.points).toHaveLength(7);
    expect(o.series.model.keys).toEqual(["gpt-4o", "gpt-4o-mini"]);
    const nov9 = o.series.model.points.find((p) => p.bucket.startsWith("2026-11-09"))!;
    expect(nov9.values["gpt-4o"]).toBeCloseTo(30, 9);
    const nov10 = o.series.feature.points.find((p) => p.bucket.startsWith("2026-11-10"))!;
    expect(nov10.values.chat).toBeCloseTo(5, 9);
    expect(o.series.model.bucket).toBe("day");
  });

  it("breaks spend down by user from the daily user rollup, ranked by cost, none shown as (none)", async () => {
    const o = await getOverview(projectId, { from: day(8, 0), to: day(15, 0) });
    expect(o.series.endUser.keys).toEqual(["ann", "bob", "(none)"]);
    const nov9 = o.series.endUser.points.find((p) => p.bucket.startsWith("2026-11-09"))!;
    expect(nov9.values).toEqual({ ann: 20, bob: 10 });
    expect(o.series.endUser.points.reduce((s, p) => s + p.total, 0)).toBeCloseTo(35, 9);
    const folded = await getOverview(projectId, { from: day(8, 0), to: day(15, 0) }, { top: 1 });
    expect(folded.series.endUser.keys).toEqual(["ann", "other"]);
    expect(folded.series.endUser.points.find((p) => p.bucket.startsWith("2026-11-10"))!.values).toEqual({ other: 5 });
  });

  it("answers a range shorter than a day per hour, and its user series for the whole UTC days it touches", async () => {
    const o = await getOverview(projectId, { from: day(9, 6), to: day(10, 6) });
    expect(o.range.bucket).toBe("hour");
    expect(o.series.model.points).toHaveLength(24);
    expect(o.series.model.bucket).toBe("hour");
    expect(o.totals.costUsd).toBeCloseTo(35, 9);
    expect(o.series.endUser.bucket).toBe("day");
    expect([o.series.endUser.from, o.series.endUser.to]).toEqual([day(9, 0).toISOString(), day(11, 0).toISOString()]);
    expect(o.series.endUser.points.map((p) => p.bucket.slice(0, 10))).toEqual(["2026-11-09", "2026-11-10"]);
  });

  it("folds keys beyond the top N into other", async () => {
    const o = await getOverview(projectId, { from: day(8, 0), to: day(15, 0) }, { top: 1 });
    expect(o.series.model.keys).toEqual(["gpt-4o", "other"]);
  });

  it("never includes another project's rollups", async () => {
    const o = await getOverview(otherProjectId, { from: day(8, 0), to: day(15, 0) });
    expect(o.totals.requests).toBe(1000);
    const mine = await getOverview(projectId, { from: day(8, 0), to: day(15, 0) });
    expect(mine.totals.costUsd).toBeLessThan(100);
  });
});
