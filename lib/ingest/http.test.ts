import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clearApiKeyCache, revokeApiKey } from "../auth/api-keys";
import { db, getPool } from "../db/client";
import { useTestDatabase } from "../db/testing";
import { priceCall } from "../pricing/cost";
import { handleIngestRequest, INGEST_MAX_EVENTS } from "./http";
import { resetIngestRateLimits } from "./rate-limit";
import { dayOf, hourOf, latencyBucket, LATENCY_BUCKET_COUNT } from "./rollup";
import { createProjectWithKey, openAIChatEvent, serveOnLoopback, type ProjectFixture } from "./test-fixtures";

const database = useTestDatabase();

let server: { url: string; close: () => Promise<void> };
let a: ProjectFixture;
let b: ProjectFixture;

beforeAll(async () => {
  server = await serveOnLoopback(handleIngestRequest);
  a = await createProjectWithKey("a");
  b = await createProjectWithKey("b");
});
afterAll(async () => {
  await server.close();
});

async function post(body: unknown, opts: { key?: string | null; headers?: Record<string, string>; raw?: Buffer | string } = {}) {
  const headers: Record<string, string> = { "content-type": "application/json", ...opts.headers };
  const key = opts.key === undefined ? a.key : opts.key;
  if (key !== null) headers.authorization = `Bearer ${key}`;
  const res = await fetch(`${server.url}/api/v1/ingest`, { method: "POST", headers, body: (opts.raw ?? JSON.stringify(body)) as BodyInit });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}

async function callsOf(projectId: string) {
  return db.call.findMany({ where: { projectId }, orderBy: { eventId: "asc" } });
}

describe("POST /api/v1/ingest", () => {
  it("stores a valid batch with normalised, priced columns and an hourly rollup built from it", async () => {
    const events = [
      openAIChatEvent({ id: "ok-1", latency_ms: 640 }),
      openAIChatEvent({ id: "ok-2", latency_ms: 1800, tags: { feature: "support", user: "u-1" } }),
    ];
    const res = await post({ events });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ accepted: 2, duplicates: 0, rejected: [] });

    const rows = await callsOf(a.projectId);
    expect(rows.map((r) => r.eventId)).toEqual(["ok-1", "ok-2"]);
    const row = rows[0];
    expect(row).toMatchObject({
      provider: "openai",
      model: "gpt-4o-mini-2024-07-18",
      source: "api",
      status: 200,
      inputTokens: 48,
      outputTokens: 12,
      feature: "support",
      endUser: "u-1",
      finishReason: "stop",
      outputText: "Open the app, choose Top up, then Bank transfer.",
      tokensEstimated: false,
      truncated: false,
    });
    const expected = priceCall(
      { inputTokens: 48, outputTokens: 12, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
      { provider: "openai", model: "gpt-4o-mini-2024-07-18" },
    )!;
    expect(expected.costUsd).toBeGreaterThan(0);
    expect(row.costUsd).toBeCloseTo(expected.costUsd, 12);

    const hour = hourOf(new Date(events[0].timestamp));
    const roll = await db.usageHourly.findMany({ where: { projectId: a.projectId } });
    expect(roll).toHaveLength(1);
    expect(roll[0]).toMatchObject({ hour, model: "gpt-4o-mini-2024-07-18", feature: "support", requests: 2, errors: 0, unpricedRequests: 0 });
    expect(Number(roll[0].inputTokens)).toBe(96);
    const users = await db.usageDailyUser.findMany({ where: { projectId: a.projectId } });
    expect(users).toHaveLength(1);
    expect(users[0]).toMatchObject({ day: dayOf(hour), endUser: "u-1", requests: 2, errors: 0, unpricedRequests: 0 });
    expect(users[0].costUsd).toBeCloseTo(2 * expected.costUsd, 12);
    expect(Number(roll[0].latencySumMs)).toBe(640 + 1800);
    expect(roll[0].costUsd).toBeCloseTo(2 * expected.costUsd, 12);
    const buckets = new Array(LATENCY_BUCKET_COUNT).fill(0);
    buckets[latencyBucket(640)]++;
    buckets[latencyBucket(1800)]++;
    expect(roll[0].latencyBuckets).toEqual(buckets);
  });

  it("re-sending the same event ids creates no second row and does not double the rollup", async () => {
    const before = await db.usageHourly.findMany({ where: { projectId: a.projectId } });
    const res = await post([openAIChatEvent({ id: "ok-1" }), openAIChatEvent({ id: "ok-2" }), openAIChatEvent({ id: "ok-3", latency_ms: 100 })]);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ accepted: 3, duplicates: 2, rejected: [] });
    expect((await callsOf(a.projectId)).map((r) => r.eventId)).toEqual(["ok-1", "ok-2", "ok-3"]);
    const after = await db.usageHourly.findMany({ where: { projectId: a.projectId } });
    expect(after[0].requests).toBe(before[0].requests + 1);
    expect(Number(after[0].latencySumMs)).toBe(Number(before[0].latencySumMs) + 100);
    // The histogram of the existing row is merged element-wise with the new call's bucket.
    const merged = [...before[0].latencyBuckets];
    merged[latencyBucket(100)]++;
    expect(after[0].latencyBuckets).toEqual(merged);
    // The same id twice inside one batch is stored once too.
    const twice = await post([openAIChatEvent({ id: "ok-4" }), openAIChatEvent({ id: "ok-4" })]);
    expect(twice.body).toEqual({ accepted: 2, duplicates: 1, rejected: [] });
    expect((await db.usageHourly.findFirst({ where: { projectId: a.projectId } }))!.requests).toBe(before[0].requests + 2);
  });

  it("answers 207 with the index and field of every rejected event and stores the valid ones", async () => {
    const res = await post({
      events: [
        openAIChatEvent({ id: "part-0" }),
        { ...openAIChatEvent({ id: "part-1" }), timestamp: "not a date" },
        openAIChatEvent({ id: "part-2" }),
        { ...openAIChatEvent({ id: "part-3" }), request: { messages: [] }, response: null },
        { ...openAIChatEvent({ id: "part-4" }), latency_ms: -5, tags: { feature: 42 } },
      ],
    });
    expect(res.status).toBe(207);
    expect(res.body.accepted).toBe(2);
    expect(res.body.rejected).toEqual([
      { index: 1, field: "events[1].timestamp", message: expect.any(String) },
      { index: 3, field: "events[3].request.model", message: expect.stringContaining("model") },
      { index: 4, field: "events[4].latency_ms", message: "must be >= 0" },
      { index: 4, field: "events[4].tags.feature", message: "must be a string" },
    ]);
    const ids = (await callsOf(a.projectId)).map((r) => r.eventId);
    expect(ids).toContain("part-0");
    expect(ids).toContain("part-2");
    expect(ids).not.toContain("part-1");
  });

  it("answers 400 for bad JSON, a wrong shape, an empty batch, and a batch with no valid event", async () => {
    expect((await post(null, { raw: "{not json" })).status).toBe(400);
    expect((await post({ calls: [] })).status).toBe(400);
    expect((await post({ events: [] })).status).toBe(400);
    const none = await post([{ id: "x" }]);
    expect(none.status).toBe(400);
    expect(none.body.rejected.map((r: { field: string }) => r.field)).toContain("events[0].timestamp");
  });

  it("refuses a missing, malformed or unknown key with 401 and a revoked one with 403", async () => {
    const ev = [openAIChatEvent({ id: "auth-1" })];
    expect((await post(ev, { key: null })).status).toBe(401);
    expect((await post(ev, { key: "sl_nothing" })).status).toBe(401);
    const forged = a.key.slice(0, -4) + (a.key.endsWith("AAAA") ? "BBBB" : "AAAA");
    expect((await post(ev, { key: forged })).status).toBe(401);
    const res = await fetch(`${server.url}/api/v1/ingest`, { method: "POST", headers: { authorization: `Basic ${a.key}` }, body: "[]" });
    expect(res.status).toBe(401);

    const c = await createProjectWithKey("revoked");
    expect((await post([openAIChatEvent({ id: "before-revoke" })], { key: c.key })).status).toBe(200);
    await revokeApiKey(c.keyId, c.projectId);
    clearApiKeyCache();
    const revoked = await post([openAIChatEvent({ id: "after-revoke" })], { key: c.key });
    expect(revoked.status).toBe(403);
    expect((await callsOf(c.projectId)).map((r) => r.eventId)).toEqual(["before-revoke"]);
    expect(await db.call.count({ where: { eventId: "auth-1" } })).toBe(0);
  });

  it("writes with another project's key only into that other project", async () => {
    const original = await db.call.findUnique({ where: { projectId_eventId: { projectId: a.projectId, eventId: "ok-1" } } });
    const countA = await db.call.count({ where: { projectId: a.projectId } });
    const res = await post([openAIChatEvent({ id: "ok-1", tags: { feature: "from-b" } })], { key: b.key });
    expect(res.body).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    expect(await db.call.count({ where: { projectId: a.projectId } })).toBe(countA);
    const again = await db.call.findUnique({ where: { projectId_eventId: { projectId: a.projectId, eventId: "ok-1" } } });
    expect(again!.feature).toBe(original!.feature);
    const inB = await callsOf(b.projectId);
    expect(inB.map((r) => [r.eventId, r.feature])).toEqual([["ok-1", "from-b"]]);
    expect(await db.usageHourly.count({ where: { projectId: b.projectId, feature: "from-b" } })).toBe(1);
    expect(await db.usageHourly.count({ where: { projectId: a.projectId, feature: "from-b" } })).toBe(0);
  });

  it("accepts gzip bodies and NDJSON bodies", async () => {
    const gz = gzipSync(JSON.stringify({ events: [openAIChatEvent({ id: "gz-1" }), openAIChatEvent({ id: "gz-2" })] }));
    const res = await post(null, { raw: gz, headers: { "content-encoding": "gzip" } });
    expect(res.status).toBe(200);
    expect(res.body.accepted).toBe(2);
    const nd = [openAIChatEvent({ id: "nd-1" }), openAIChatEvent({ id: "nd-2" })].map((e) => JSON.stringify(e)).join("\n") + "\n";
    const res2 = await post(null, { raw: nd, headers: { "content-type": "application/x-ndjson" } });
    expect(res2.body).toEqual({ accepted: 2, duplicates: 0, rejected: [] });
    const ids = (await callsOf(a.projectId)).map((r) => r.eventId);
    expect(ids).toEqual(expect.arrayContaining(["gz-1", "gz-2", "nd-1", "nd-2"]));
    expect((await post(null, { raw: Buffer.from("not gzip"), headers: { "content-encoding": "gzip" } })).status).toBe(400);
    expect((await post(null, { raw: "[]", headers: { "content-encoding": "br" } })).status).toBe(415);
  });

  it("answers 413 over 5 MB (sent, or once gunzipped: a gzip bomb) and over 1,000 events", async () => {
    const big = "x".repeat(5 * 1024 * 1024 + 10);
    const over = await post(null, { raw: JSON.stringify({ events: [openAIChatEvent({ id: "big", request: { model: "gpt-4o", prompt: big } })] }) });
    expect(over.status).toBe(413);
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 32)); // 64 MB of spaces, ~64 KB compressed
    expect(bomb.length).toBeLessThan(200_000);
    const bombed = await post(null, { raw: bomb, headers: { "content-encoding": "gzip" } });
    expect(bombed.status).toBe(413);
    expect(bombed.body.error).toMatch(/decompressed/);
    const many = Array.from({ length: INGEST_MAX_EVENTS + 1 }, (_, i) => ({ id: `m${i}` }));
    const tooMany = await post({ events: many });
    expect(tooMany.status).toBe(413);
    expect(await db.call.count({ where: { eventId: "big" } })).toBe(0);
  });

  it("redacts provider secrets before storing and records what was redacted", async () => {
    const key = "sk-proj-" + "Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe";
    const ev = openAIChatEvent({ id: "secret-1" });
    ev.request = { ...ev.request, api_key: key, messages: [{ role: "user", content: `my key is ${key}, why does it fail?` }] };
    const res = await post([ev]);
    expect(res.status).toBe(200);
    const { rows } = await getPool().query(`SELECT request::text AS req, redactions FROM "Call" WHERE "projectId" = $1 AND "eventId" = 'secret-1'`, [a.projectId]);
    expect(rows[0].req).not.toContain("Zx9Yw8Vu7");
    expect(rows[0].req).toContain("[REDACTED:openai_key]");
    expect(rows[0].redactions).toEqual(
      expect.arrayContaining([
        { path: "request.api_key", kind: "credential_field" },
        { path: "request.messages[0].content", kind: "openai_key" },
      ]),
    );
  });

  it("stores an unknown model with cost NULL, counted as unpriced in the rollup, never as $0", async () => {
    const ev = openAIChatEvent({ id: "unpriced-1", tags: { feature: "lab" } });
    ev.request = { ...ev.request, model: "acme-llm-9000" };
    ev.response = { ...(ev.response as Record<string, unknown>), model: "acme-llm-9000" };
    expect((await post([ev])).status).toBe(200);
    const row = await db.call.findUnique({ where: { projectId_eventId: { projectId: a.projectId, eventId: "unpriced-1" } } });
    expect(row!.costUsd).toBeNull();
    expect(row!.inputTokens).toBe(48);
    const roll = await db.usageHourly.findFirst({ where: { projectId: a.projectId, model: "acme-llm-9000" } });
    expect(roll).toMatchObject({ requests: 1, unpricedRequests: 1, costUsd: 0 });
  });

  it("answers 429 with Retry-After when a key exceeds its rate", async () => {
    process.env.INGEST_RATE_LIMIT_EVENTS_PER_SEC = "1";
    process.env.INGEST_RATE_LIMIT_BURST = "3";
    resetIngestRateLimits();
    try {
      const c = await createProjectWithKey("rate");
      const first = await post([openAIChatEvent({ id: "r1" }), openAIChatEvent({ id: "r2" }), openAIChatEvent({ id: "r3" })], { key: c.key });
      expect(first.status).toBe(200);
      const limited = await post([openAIChatEvent({ id: "r4" }), openAIChatEvent({ id: "r5" })], { key: c.key });
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(await db.call.count({ where: { projectId: c.projectId } })).toBe(3);
      // Another key is not affected.
      expect((await post([openAIChatEvent({ id: "r-other" })], { key: b.key })).status).toBe(200);
    } finally {
      delete process.env.INGEST_RATE_LIMIT_EVENTS_PER_SEC;
      delete process.env.INGEST_RATE_LIMIT_BURST;
      resetIngestRateLimits();
    }
  });

  it("answers 503 with Retry-After (not 500) when the database is unreachable", async () => {
    const url = database.url();
    // The key is cached from earlier requests; point the pool at a port where nothing listens.
    process.env.DATABASE_URL = "postgresql://postgres@127.0.0.1:1/nothing";
    try {
      const res = await post([openAIChatEvent({ id: "down-1" })]);
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("5");
      clearApiKeyCache();
      const uncached = await post([openAIChatEvent({ id: "down-2" })]);
      expect(uncached.status).toBe(503);
    } finally {
      process.env.DATABASE_URL = url;
    }
    expect((await post([openAIChatEvent({ id: "up-again" })])).status).toBe(200);
  });
});
