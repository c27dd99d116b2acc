import { beforeAll, describe, expect, it } from "vitest";
import { db, getPool } from "../lib/db/client";
import { useTestDatabase } from "../lib/db/testing";
import type { IngestEvent } from "../lib/ingest/event";
import { createProjectWithKey, openAIChatEvent, type ProjectFixture } from "../lib/ingest/test-fixtures";
import { writeEvents } from "../lib/ingest/writer";
import { priceCall } from "../lib/pricing/cost";
import type { JobContext } from "../lib/queue/types";
import { handleBackfill } from "./backfill";

useTestDatabase();

let p: ProjectFixture;
const progress: Array<[number, string | undefined]> = [];
const jobCtx: JobContext = { jobId: "job-1", attempt: 1, progress: async (f, m) => void progress.push([f, m]) };

function anthropicEvent(id: string, hour: number): IngestEvent {
  return {
    id,
    timestamp: new Date(Date.UTC(2026, 11, 1, hour, 5)).toISOString(),
    provider: "anthropic",
    endpoint: "/v1/messages",
    request: { model: "claude-3-5-haiku-20241022", max_tokens: 200, messages: [{ role: "user", content: "Classify: card not arrived" }] },
    response: {
      type: "message",
      model: "claude-3-5-haiku-20241022",
      content: [{ type: "text", text: "card_arrival" }],
      stop_reason: "end_turn",
      usage: { input_tokens: 300, output_tokens: 5, cache_read_input_tokens: 1000, cache_creation_input_tokens: 0 },
    },
    latency_ms: 400,
    // Two users across the test's hours, so the per-user rollup is moved by the backfill too.
    tags: { feature: "intents", user: hour % 2 === 0 ? "ann" : "bob" },
  };
}

function mini(id: string, hour: number): IngestEvent {
  return openAIChatEvent({ id, timestamp: new Date(Date.UTC(2026, 11, 1, hour, 30)).toISOString() });
}

function unknownModel(id: string, hour: number): IngestEvent {
  const e = mini(id, hour);
  e.request = { ...e.request, model: "acme-llm-9000" };
  e.response = { ...(e.response as Record<string, unknown>), model: "acme-llm-9000" };
  return e;
}

/** What the rollups must say: sums over the non-replay calls, per hourly key and per (day, user) key. */
async function rollupFromCalls(projectId: string) {
  const q = (key: string, group: string) =>
    getPool().query(
      `SELECT ${key} AS key, sum(coalesce("costUsd",0))::float8 AS cost, count(*) FILTER (WHERE "costUsd" IS NULL)::int AS unpriced
       FROM "Call" WHERE "projectId" = $1 AND source <> 'replay' GROUP BY ${group} ORDER BY 1`,
      [projectId],
    );
  const hourly = await q(
    `to_char(to_timestamp(floor(extract(epoch FROM "timestamp") / 3600) * 3600) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24') || '|' || coalesce(model,'') || '|' || coalesce(feature,'')`,
    "1",
  );
  const users = await q(`to_char("timestamp" AT TIME ZONE 'UTC', 'YYYY-MM-DD') || '|' || coalesce("endUser",'')`, "1");
  return [...hourly.rows, ...users.rows].map((r) => ({ key: r.key as string, cost: r.cost as number, unpriced: r.unpriced as number }));
}
async function rollupStored(projectId: string) {
  const hourly = await db.usageHourly.findMany({ where: { projectId } });
  const users = await db.usageDailyUser.findMany({ where: { projectId } });
  const rows = [
    ...hourly.map((r) => ({ key: `${r.hour.toISOString().slice(0, 13)}|${r.model}|${r.feature}`, cost: r.costUsd, unpriced: r.unpricedRequests })),
    ...users.map((r) => ({ key: `${r.day.toISOString().slice(0, 10)}|${r.endUser}`, cost: r.costUsd, unpriced: r.unpricedRequests })),
  ];
  const sort = (xs: typeof rows) => xs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return sort(rows);
}
async function expectRollupConsistent(projectId: string) {
  const want = (await rollupFromCalls(projectId)).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const got = await rollupStored(projectId);
  expect(got.map((g) => g.key)).toEqual(want.map((w) => w.key));
  got.forEach((g, i) => {
    expect(g.cost).toBeCloseTo(want[i].cost, 12);
    expect(g.unpriced).toBe(want[i].unpriced);
  });
}

const MINI_USAGE = { inputTokens: 48, outputTokens: 12, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };

beforeAll(async () => {
  p = await createProjectWithKey("bf");
  const ctx = { projectId: p.projectId, organizationId: p.organizationId, source: "sdk" as const };
  await writeEvents(ctx, [mini("m1", 9), mini("m2", 9), mini("m3", 10), anthropicEvent("c1", 9), anthropicEvent("c2", 10), unknownModel("u1", 9)]);
  await writeEvents({ ...ctx, source: "replay", replayRunId: "r1" }, [mini("replay-1", 9)]);
});

describe("price change backfill", () => {
  it("re-prices the affected history after an override is added, and moves the rollups by exactly the change", async () => {
    const claudeBefore = await db.call.findMany({ where: { projectId: p.projectId, provider: "anthropic" }, select: { eventId: true, costUsd: true } });
    expect((await db.call.findFirst({ where: { projectId: p.projectId, eventId: "u1" } }))!.costUsd).toBeNull();
    expect((await db.usageHourly.aggregate({ where: { projectId: p.projectId }, _sum: { unpricedRequests: true } }))._sum.unpricedRequests).toBe(1);
    await expectRollupConsistent(p.projectId);

    await db.priceOverride.createMany({
      data: [
        { organizationId: p.organizationId, model: "gpt-4o-mini-2024-07-18", prices: { input_cost_per_token: 0.000001, output_cost_per_token: 0.000004 } },
        { organizationId: p.organizationId, model: "acme-llm-9000", prices: { input_cost_per_token: 0.000002, output_cost_per_token: 0.000008 } },
      ],
    });
    const result = await handleBackfill({ organizationId: p.organizationId, settleMs: 0 }, jobCtx);
    expect(result.passes[0].changed).toBe(5); // m1-m3, u1, replay-1
    expect(result.passes[1].examined).toBe(0);
    expect(progress.at(-1)?.[0]).toBe(1);

    const calls = await db.call.findMany({ where: { projectId: p.projectId }, orderBy: { eventId: "asc" } });
    const byId = Object.fromEntries(calls.map((c) => [c.eventId, c]));
    for (const id of ["m1", "m2", "m3", "replay-1"]) expect(byId[id].costUsd).toBeCloseTo(48 * 0.000001 + 12 * 0.000004, 15);
    expect(byId.u1.costUsd).toBeCloseTo(48 * 0.000002 + 12 * 0.000008, 15);
    for (const c of claudeBefore) expect(byId[c.eventId].costUsd).toBe(c.costUsd);
    expect(new Set(calls.map((c) => c.priceVersion)).size).toBe(1);

    await expectRollupConsistent(p.projectId);
    expect((await db.usageHourly.aggregate({ where: { projectId: p.projectId }, _sum: { unpricedRequests: true } }))._sum.unpricedRequests).toBe(0);
  });

  it("is idempotent: a second run finds nothing stale and leaves the rollups alone", async () => {
    const before = await rollupStored(p.projectId);
    const again = await handleBackfill({ organizationId: p.organizationId, settleMs: 0 }, jobCtx);
    expect(again.passes.map((x) => x.examined)).toEqual([0, 0]);
    expect(await rollupStored(p.projectId)).toEqual(before);
  });

  it("with a model, touches only the calls that override applies to; removing an override restores table prices", async () => {
    await db.priceOverride.update({
      where: { organizationId_model: { organizationId: p.organizationId, model: "gpt-4o-mini-2024-07-18" } },
      data: { prices: { input_cost_per_token: 0.000003, output_cost_per_token: 0.000005 } },
    });
    const r = await handleBackfill({ organizationId: p.organizationId, model: "gpt-4o-mini-2024-07-18", settleMs: 0 }, jobCtx);
    expect(r.passes[0].examined).toBe(4); // m1-m3 + replay-1; claude and acme calls not read
    const m1 = await db.call.findFirst({ where: { projectId: p.projectId, eventId: "m1" } });
    expect(m1!.costUsd).toBeCloseTo(48 * 0.000003 + 12 * 0.000005, 15);
    await expectRollupConsistent(p.projectId);

    await db.priceOverride.deleteMany({ where: { organizationId: p.organizationId } });
    await handleBackfill({ organizationId: p.organizationId, settleMs: 0 }, jobCtx);
    const table = priceCall(MINI_USAGE, { provider: "openai", model: "gpt-4o-mini-2024-07-18" })!;
    const after = await db.call.findFirst({ where: { projectId: p.projectId, eventId: "m2" } });
    expect(after!.costUsd).toBeCloseTo(table.costUsd, 15);
    expect((await db.call.findFirst({ where: { projectId: p.projectId, eventId: "u1" } }))!.costUsd).toBeNull();
    await expectRollupConsistent(p.projectId);
    expect((await db.usageHourly.aggregate({ where: { projectId: p.projectId }, _sum: { unpricedRequests: true } }))._sum.unpricedRequests).toBe(1);
  });

  it("an override keyed by an undated alias re-prices the dated snapshots it covers, not a sibling model", async () => {
    const before = Object.fromEntries((await db.call.findMany({ where: { projectId: p.projectId } })).map((c) => [c.eventId, c.costUsd]));
    await db.priceOverride.createMany({
      data: [
        // The calls report "claude-3-5-haiku-20241022" (its own table key) and "gpt-4o-mini-2024-07-18".
        { organizationId: p.organizationId, model: "claude-3-5-haiku", prices: { input_cost_per_token: 0.000002, cache_read_input_token_cost: 0.0000001, output_cost_per_token: 0.00001 } },
        { organizationId: p.organizationId, model: "gpt-4o", prices: { input_cost_per_token: 0.000009 } },
      ],
    });
    const r = await handleBackfill({ organizationId: p.organizationId, model: "claude-3-5-haiku", settleMs: 0 }, jobCtx);
    expect(r.passes[0].examined).toBe(2); // c1, c2 only
    expect(r.passes[0].changed).toBe(2);
    for (const id of ["c1", "c2"]) {
      const c = (await db.call.findFirst({ where: { projectId: p.projectId, eventId: id } }))!;
      expect(c.model).toBe("claude-3-5-haiku-20241022");
      expect([c.inputTokens, c.cachedInputTokens, c.outputTokens]).toEqual([1300, 1000, 5]);
      expect(c.costUsd).toBeCloseTo(300 * 0.000002 + 1000 * 0.0000001 + 5 * 0.00001, 15);
    }
    await expectRollupConsistent(p.projectId);

    // "gpt-4o" does not cover "gpt-4o-mini-2024-07-18": nothing to re-price for it, and a full pass
    // re-stamps the other calls without changing a cost.
    const gpt4o = await handleBackfill({ organizationId: p.organizationId, model: "gpt-4o", settleMs: 0 }, jobCtx);
    expect(gpt4o.passes[0].examined).toBe(0);
    const full = await handleBackfill({ organizationId: p.organizationId, settleMs: 0 }, jobCtx);
    expect(full.passes[0].examined).toBe(5); // m1-m3, replay-1, u1
    expect(full.passes[0].changed).toBe(0);
    for (const id of ["m1", "m2", "m3", "replay-1", "u1"]) {
      expect((await db.call.findFirst({ where: { projectId: p.projectId, eventId: id } }))!.costUsd).toBe(before[id]);
    }

    await db.priceOverride.deleteMany({ where: { organizationId: p.organizationId } });
    await handleBackfill({ organizationId: p.organizationId, model: "claude-3-5-haiku", settleMs: 0 }, jobCtx);
    expect((await db.call.findFirst({ where: { projectId: p.projectId, eventId: "c1" } }))!.costUsd).toBe(before.c1);
    await expectRollupConsistent(p.projectId);
  });

  it("refuses a job without an organization", async () => {
    await expect(handleBackfill({} as never, jobCtx)).rejects.toThrow(/organizationId/);
  });
});
