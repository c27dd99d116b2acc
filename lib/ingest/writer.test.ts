import pg from "pg";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { db, getPool } from "../db/client";
import { useTestDatabase } from "../db/testing";
import { priceCall } from "../pricing/cost";
import type { IngestEvent } from "./event";
import { forgetOrgPricing } from "./price-overrides";
import { promptPlaceholder, sha256Hex } from "./prompts";
import { loadStoredBodies } from "./stored";
import { createProjectWithKey, openAIChatEvent, type ProjectFixture } from "./test-fixtures";
import { writeEvents } from "./writer";

const database = useTestDatabase();

let p: ProjectFixture;
let other: ProjectFixture;
beforeAll(async () => {
  p = await createProjectWithKey("w");
  other = await createProjectWithKey("w2");
});
afterEach(() => {
  delete process.env.INGEST_BODY_MAX_CHARS;
});

const SYSTEM = "You are the assistant of Acme Bank. Answer questions about cards, transfers and fees. " + "Never reveal internal policies. ".repeat(20);

function withSystem(id: string, user: string): IngestEvent {
  const e = openAIChatEvent({ id });
  e.request = { model: "gpt-4o-mini", messages: [{ role: "system", content: SYSTEM }, { role: "user", content: user }] };
  return e;
}

const ctx = () => ({ projectId: p.projectId, organizationId: p.organizationId, source: "sdk" as const });

describe("writeEvents", () => {
  it("stores a static prompt once per project, references it by hash, and restores the full request", async () => {
    const r = await writeEvents(ctx(), [withSystem("sp-1", "Where is my card?"), withSystem("sp-2", "How do I cancel a transfer?")]);
    expect(r).toEqual({ inserted: 2, duplicates: 0, insertedIds: ["sp-1", "sp-2"] });
    await writeEvents(ctx(), [withSystem("sp-3", "What fees apply abroad?")]);
    const hash = sha256Hex(SYSTEM);
    const blobs = await db.promptBlob.findMany({ where: { projectId: p.projectId } });
    expect(blobs.map((b) => b.hash)).toEqual([hash]);
    expect(blobs[0].text).toBe(SYSTEM);
    expect(blobs[0].tokens).toBeGreaterThan(50);
    const { rows } = await getPool().query(`SELECT "promptHash", request::text AS req FROM "Call" WHERE "projectId" = $1 AND "eventId" LIKE 'sp-%'`, [p.projectId]);
    expect(rows.every((row) => row.promptHash === hash)).toBe(true);
    expect(rows.every((row) => !row.req.includes("Never reveal internal policies") && row.req.includes(promptPlaceholder(hash)))).toBe(true);
    const restored = await loadStoredBodies(p.projectId, "sp-2");
    expect(restored!.request).toEqual(withSystem("sp-2", "How do I cancel a transfer?").request);
    // Another project cannot read this project's call or prompt.
    expect(await loadStoredBodies(other.projectId, "sp-2")).toBeNull();
  });

  it("keeps short system prompts inline", async () => {
    const e = openAIChatEvent({ id: "short-sys" });
    e.request = { model: "gpt-4o-mini", messages: [{ role: "system", content: "You are a support assistant." }, { role: "user", content: "hi" }] };
    await writeEvents(ctx(), [e]);
    const row = await db.call.findUnique({ where: { projectId_eventId: { projectId: p.projectId, eventId: "short-sys" } } });
    expect(row!.promptHash).toBeNull();
    expect(JSON.stringify(row!.request)).toContain("You are a support assistant");
  });

  it("caps oversized bodies, keeps them valid JSON and marks the call truncated", async () => {
    process.env.INGEST_BODY_MAX_CHARS = "4096";
    const e = openAIChatEvent({ id: "huge" });
    const doc = "Lorem ipsum dolor sit amet. ".repeat(2000);
    e.request = { model: "gpt-4o-mini", messages: [{ role: "user", content: `Summarise: ${doc}` }] };
    await writeEvents(ctx(), [e]);
    const row = await db.call.findUnique({ where: { projectId_eventId: { projectId: p.projectId, eventId: "huge" } } });
    expect(row!.truncated).toBe(true);
    const stored = JSON.stringify(row!.request);
    expect(stored.length).toBeLessThanOrEqual(4096);
    expect(stored).toMatch(/truncated \d+ chars/);
    expect((row!.request as { model: string }).model).toBe("gpt-4o-mini");
    // Token counts come from the full event, not the truncated copy.
    expect(row!.inputTokens).toBe(48);
  });

  it("stores replayed calls without rolling them up as spend", async () => {
    const before = await db.usageHourly.aggregate({ where: { projectId: p.projectId }, _sum: { requests: true } });
    const r = await writeEvents({ ...ctx(), source: "replay", replayRunId: "run-1" }, [openAIChatEvent({ id: "replay-1" })]);
    expect(r.inserted).toBe(1);
    const row = await db.call.findUnique({ where: { projectId_eventId: { projectId: p.projectId, eventId: "replay-1" } } });
    expect(row).toMatchObject({ source: "replay", replayRunId: "run-1" });
    expect(row!.costUsd).toBeGreaterThan(0);
    const after = await db.usageHourly.aggregate({ where: { projectId: p.projectId }, _sum: { requests: true } });
    expect(after._sum.requests).toBe(before._sum.requests);
  });

  it("survives characters Postgres jsonb refuses (NUL, lone surrogates) without failing the batch", async () => {
    const e = openAIChatEvent({ id: "nul" });
    e.request = { model: "gpt-4o-mini", messages: [{ role: "user", content: "a\u0000b \ud800 c \\u0000 literal" }] };
    const r = await writeEvents(ctx(), [e, openAIChatEvent({ id: "nul-neighbour" })]);
    expect(r.inserted).toBe(2);
    const row = await db.call.findUnique({ where: { projectId_eventId: { projectId: p.projectId, eventId: "nul" } } });
    const content = (row!.request as { messages: Array<{ content: string }> }).messages[0].content;
    expect(content).toBe("a\ufffdb \ufffd c \\u0000 literal");
  });

  it("rolls up names that differ only in characters Postgres stores as U+FFFD under one key (found by the OTLP fuzz test)", async () => {
    const q = await createProjectWithKey("w-keys");
    const named = (id: string, feature: string, user: string) => ({ ...openAIChatEvent({ id }), tags: { feature, user } });
    // "\u0000" and a lone "\ud800" are distinct in JavaScript but both become "\ufffd" in a text column:
    // aggregated apart, one upsert statement would touch the same rollup row twice and fail the batch.
    const r = await writeEvents({ projectId: q.projectId, organizationId: q.organizationId, source: "sdk" }, [
      named("k-1", "f\u0000", "u\u0000"),
      named("k-2", "f\ud800", "u\udc00"),
    ]);
    expect(r.inserted).toBe(2);
    const hourly = await db.usageHourly.findMany({ where: { projectId: q.projectId } });
    expect(hourly.map((h) => [h.feature, h.requests])).toEqual([["f\ufffd", 2]]);
    const users = await db.usageDailyUser.findMany({ where: { projectId: q.projectId } });
    expect(users.map((u) => [u.endUser, u.requests])).toEqual([["u\ufffd", 2]]);
  });

  it("applies the organization's price override (per model) and fingerprints it in priceVersion", async () => {
    const base = await writeEvents(ctx(), [openAIChatEvent({ id: "ovr-before" })]);
    expect(base.inserted).toBe(1);
    await db.priceOverride.create({
      data: { organizationId: p.organizationId, model: "gpt-4o-mini-2024-07-18", prices: { input_cost_per_token: 0.00001, output_cost_per_token: 0.00002 } },
    });
    forgetOrgPricing(p.organizationId);
    await writeEvents(ctx(), [openAIChatEvent({ id: "ovr-after" })]);
    const rows = await db.call.findMany({ where: { projectId: p.projectId, eventId: { in: ["ovr-before", "ovr-after"] } }, orderBy: { eventId: "asc" } });
    const [after, before] = rows;
    expect(after.costUsd).toBeCloseTo(48 * 0.00001 + 12 * 0.00002, 12);
    const table = priceCall({ inputTokens: 48, outputTokens: 12, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 }, { provider: "openai", model: "gpt-4o-mini-2024-07-18" })!;
    expect(before.costUsd).toBeCloseTo(table.costUsd, 12);
    expect(after.priceVersion).not.toBe(before.priceVersion);
    expect(after.priceVersion).toMatch(/\+o:[0-9a-f]{12}$/);
    // Other organizations are not affected.
    await writeEvents({ projectId: other.projectId, organizationId: other.organizationId, source: "sdk" }, [openAIChatEvent({ id: "ovr-other" })]);
    const o = await db.call.findUnique({ where: { projectId_eventId: { projectId: other.projectId, eventId: "ovr-other" } } });
    expect(o!.costUsd).toBeCloseTo(table.costUsd, 12);
  });

  it("falls back to INSERT ... ON CONFLICT when another writer stores one of the ids mid-batch", async () => {
    const other = new pg.Client({ connectionString: database.url() });
    await other.connect();
    try {
      // A concurrent transaction holds id "race-1" uncommitted: our look-up cannot see it, our COPY waits on it.
      await other.query("BEGIN");
      await other.query(
        `INSERT INTO "Call" ("projectId", "eventId", "timestamp", "provider", "endpoint") VALUES ($1, 'race-1', now(), 'openai', '/v1/chat/completions')`,
        [p.projectId],
      );
      const before = (await db.usageHourly.aggregate({ where: { projectId: p.projectId }, _sum: { requests: true } }))._sum.requests ?? 0;
      const writing = writeEvents(ctx(), [openAIChatEvent({ id: "race-1" }), openAIChatEvent({ id: "race-2" })]);
      await new Promise((r) => setTimeout(r, 300));
      await other.query("COMMIT");
      const r = await writing;
      expect(r).toEqual({ inserted: 1, duplicates: 1, insertedIds: ["race-2"] });
      const after = (await db.usageHourly.aggregate({ where: { projectId: p.projectId }, _sum: { requests: true } }))._sum.requests ?? 0;
      expect(after).toBe(before + 1);
      expect(await db.call.count({ where: { projectId: p.projectId, eventId: { in: ["race-1", "race-2"] } } })).toBe(2);
    } finally {
      await other.end();
    }
  });

  it("stores concurrent batches with overlapping ids exactly once and rolls each call up once", async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `conc-${i}`);
    const batches = [ids.slice(0, 25), ids.slice(10, 40), ids.slice(5, 35), [...ids].reverse()];
    const results = await Promise.all(batches.map((b) => writeEvents(ctx(), b.map((id) => openAIChatEvent({ id, tags: { feature: "conc" } })))));
    expect(results.reduce((n, r) => n + r.inserted, 0)).toBe(40);
    expect(await db.call.count({ where: { projectId: p.projectId, feature: "conc" } })).toBe(40);
    const roll = await db.usageHourly.aggregate({ where: { projectId: p.projectId, feature: "conc" }, _sum: { requests: true } });
    expect(roll._sum.requests).toBe(40);
  });
});
