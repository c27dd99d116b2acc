// Realised savings against later spend, read from the rollup: a right-size accepted at a known moment,
// with the feature's calls on gpt-4o before and gpt-4o-mini after (written through the real ingest
// writer), must report exactly the difference the call log shows; a cache finding is measured on the
// spend rate, since answered calls never reach the provider.
import { beforeAll, describe, expect, it } from "vitest";
import { db } from "../db/client";
import { useTestDatabase } from "../db/testing";
import { createProjectWithKey, openAIChatEvent, type ProjectFixture } from "../ingest/test-fixtures";
import type { IngestEvent } from "../ingest/event";
import { writeEvents } from "../ingest/writer";
import { realisedSavings, realisedScope } from "./realised";

useTestDatabase();

const HOUR = 3_600_000;
const ACCEPTED = new Date(Date.UTC(2026, 10, 15, 9, 30));
let p: ProjectFixture;

function call(id: string, at: number, model: string, feature: string): IngestEvent {
  const e = openAIChatEvent({ id, timestamp: new Date(at).toISOString(), tags: { feature } });
  return { ...e, request: { ...e.request, model }, response: { ...(e.response as Record<string, unknown>), model } };
}

async function sumCalls(where: { feature: string; from: number; to: number }) {
  const agg = await db.call.aggregate({
    where: { projectId: p.projectId, feature: where.feature, timestamp: { gte: new Date(where.from), lt: new Date(where.to) } },
    _sum: { costUsd: true },
    _count: true,
  });
  return { cost: agg._sum.costUsd ?? 0, n: agg._count };
}

beforeAll(async () => {
  p = await createProjectWithKey("realised");
  const events: IngestEvent[] = [];
  const acceptedHour = Math.floor(ACCEPTED.getTime() / HOUR) * HOUR;
  // support: 3 calls/day on gpt-4o for the 14 days before, 5 calls/day on gpt-4o-mini for 4 days after.
  for (let d = 0; d < 14; d++) for (let k = 0; k < 3; k++) events.push(call(`before-${d}-${k}`, acceptedHour - (d * 24 + 2 + k) * HOUR, "gpt-4o", "support"));
  for (let d = 0; d < 4; d++) for (let k = 0; k < 5; k++) events.push(call(`after-${d}-${k}`, acceptedHour + (d * 24 + 2 + k) * HOUR, "gpt-4o-mini", "support"));
  // faq: 4 calls/day before, 1 call/day after (a cache answers the rest).
  for (let d = 0; d < 14; d++) for (let k = 0; k < 4; k++) events.push(call(`faq-before-${d}-${k}`, acceptedHour - (d * 24 + 3 + k) * HOUR, "gpt-4o-mini", "faq"));
  for (let d = 0; d < 4; d++) events.push(call(`faq-after-${d}`, acceptedHour + (d * 24 + 3) * HOUR, "gpt-4o-mini", "faq"));
  // the hour of acceptance itself counts on neither side
  events.push(call("during", ACCEPTED.getTime() + 60_000, "gpt-4o", "support"));
  await writeEvents({ projectId: p.projectId, organizationId: p.organizationId, source: "sdk" }, events);
  await db.finding.createMany({
    data: [
      { projectId: p.projectId, lever: "rightsize", title: "Move support to gpt-4o-mini", scope: { feature: "support", model: "gpt-4o" }, monthlySavingsUsd: 1, status: "accepted", acceptedAt: ACCEPTED },
      { projectId: p.projectId, lever: "cache", title: "Cache faq", scope: { feature: "faq", model: "gpt-4o-mini" }, monthlySavingsUsd: 0.01, status: "accepted", acceptedAt: ACCEPTED },
      { projectId: p.projectId, lever: "batch", title: "Batch nightly", scope: { feature: "nightly" }, monthlySavingsUsd: 5, status: "accepted", acceptedAt: ACCEPTED },
      { projectId: p.projectId, lever: "compress", title: "Not accepted", scope: { feature: "support" }, monthlySavingsUsd: 9, status: "open" },
    ],
  });
});

describe("realised savings", () => {
  it("measures a right-size per request on the feature (the model changes by design)", async () => {
    expect(realisedScope("rightsize", { feature: "support", model: "gpt-4o" })).toEqual({ feature: "support" });
    expect(realisedScope("cache", { model: "gpt-4o" })).toEqual({ model: "gpt-4o" });
    expect(realisedScope("distill", { model: "gpt-4o" })).toEqual({});

    const now = new Date(ACCEPTED.getTime() + 5 * 86_400_000);
    const summary = await realisedSavings(p.projectId, now);
    expect(summary.items.map((i) => i.lever).sort()).toEqual(["batch", "cache", "rightsize"]);
    const item = summary.items.find((i) => i.lever === "rightsize")!;
    expect(item.state).toBe("measured");
    expect(item.method).toBe("per_request");

    const acceptedHour = Math.floor(ACCEPTED.getTime() / HOUR) * HOUR;
    const before = await sumCalls({ feature: "support", from: acceptedHour - 14 * 86_400_000, to: acceptedHour });
    const after = await sumCalls({ feature: "support", from: acceptedHour + HOUR, to: Math.floor(now.getTime() / HOUR) * HOUR });
    expect(before.n).toBe(42);
    expect(after.n).toBe(20);
    const realised = (before.cost / before.n) * after.n - after.cost;
    expect(realised).toBeGreaterThan(0);
    expect(item.realisedUsd).toBeCloseTo(realised, 10);
    const afterDays = (Math.floor(now.getTime() / HOUR) * HOUR - (acceptedHour + HOUR)) / 86_400_000;
    expect(item.realisedMonthlyUsd).toBeCloseTo((realised / afterDays) * 30, 10);
    expect(item.shareOfExpected).toBeCloseTo(item.realisedMonthlyUsd! / 1, 10);
  });

  it("measures a cache on the spend rate, and says when there is no baseline", async () => {
    const now = new Date(ACCEPTED.getTime() + 5 * 86_400_000);
    const summary = await realisedSavings(p.projectId, now);
    const cache = summary.items.find((i) => i.lever === "cache")!;
    expect(cache.method).toBe("spend_rate");
    const acceptedHour = Math.floor(ACCEPTED.getTime() / HOUR) * HOUR;
    const before = await sumCalls({ feature: "faq", from: acceptedHour - 14 * 86_400_000, to: acceptedHour });
    const after = await sumCalls({ feature: "faq", from: acceptedHour + HOUR, to: Math.floor(now.getTime() / HOUR) * HOUR });
    const afterDays = (Math.floor(now.getTime() / HOUR) * HOUR - (acceptedHour + HOUR)) / 86_400_000;
    expect(cache.realisedUsd).toBeCloseTo((before.cost / 14) * afterDays - after.cost, 10);
    expect(summary.items.find((i) => i.lever === "batch")!.state).toBe("no_baseline");
    expect(summary.measured).toBe(2);
    expect(summary.realisedMonthlyUsd).toBeCloseTo(summary.items.filter((i) => i.state === "measured").reduce((s, i) => s + i.realisedMonthlyUsd!, 0), 10);
    expect(summary.expectedMonthlyUsd).toBeCloseTo(6.01, 10);
  });

  it("waits for a day of data after acceptance before reporting a figure", async () => {
    const summary = await realisedSavings(p.projectId, new Date(ACCEPTED.getTime() + 10 * HOUR));
    const item = summary.items.find((i) => i.lever === "rightsize")!;
    expect(item.state).toBe("measuring");
    expect(item.realisedUsd).toBeNull();
  });
});
