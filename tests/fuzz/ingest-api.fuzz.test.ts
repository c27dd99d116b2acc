// Property-based tests of POST /api/v1/ingest (and the OTLP receiver) through the real handler and a
// real database: random and mutated batches, odd text, raw garbage, invalid UTF-8, deep JSON, huge
// strings, absurd numbers, gzip bombs. Never a 500, never a partial row: each valid event is stored
// whole exactly once, each refused one not at all, and every rejection names `events[i].<field>`.
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { db } from "../../lib/db/client";
import { useTestDatabase } from "../../lib/db/testing";
import { handleIngestRequest, ingestMaxBytes } from "../../lib/ingest/http";
import { handleOtlpRequest } from "../../lib/ingest/otlp/http";
import { resetIngestRateLimits } from "../../lib/ingest/rate-limit";
import { createProjectWithKey, type ProjectFixture } from "../../lib/ingest/test-fixtures";
import { validateEvent } from "../../lib/ingest/validate";
import { baseEvents, deepJsonText, fuzzRuns, fuzzTimeout, mutate, mutationArb, nastyString } from "./support/arbitraries";

useTestDatabase();

// Each case writes to the database: fewer runs than the pure properties.
const RUNS = fuzzRuns(300);
const TIMEOUT = fuzzTimeout(RUNS, 60);
const STATUSES_OK = [200, 207, 400, 413, 415];
let project: ProjectFixture;
let caseNo = 0;

beforeAll(async () => {
  process.env.INGEST_RATE_LIMIT_EVENTS_PER_SEC = "10000000";
  resetIngestRateLimits();
  project = await createProjectWithKey("fuzz");
});

type Answer = { status: number; body: Record<string, unknown> };

async function post(body: BodyInit, headers: Record<string, string> = {}, handler = handleIngestRequest): Promise<Answer> {
  const res = await handler(
    new Request("http://localhost/api/v1/ingest", {
      method: "POST",
      headers: { authorization: `Bearer ${project.key}`, "content-type": "application/json", ...headers },
      body,
    }),
  );
  const text = await res.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = res.headers.get("content-type")?.includes("json") ? JSON.parse(text) : { raw: text };
  } catch {
    throw new Error(`answer ${res.status} is not JSON: ${text.slice(0, 200)}`);
  }
  return { status: res.status, body: parsed };
}

/** Not a 500, and a refusal says why. */
function expectHandled(a: Answer): void {
  expect(a.status, JSON.stringify(a.body).slice(0, 300)).not.toBe(500);
  expect(STATUSES_OK, `unexpected status ${a.status}: ${JSON.stringify(a.body).slice(0, 300)}`).toContain(a.status);
  if (a.status >= 400) expect(typeof a.body.error === "string" && (a.body.error as string).length > 0).toBe(true);
}

async function storedIds(prefix: string): Promise<string[]> {
  const rows = await db.call.findMany({ where: { projectId: project.projectId, eventId: { startsWith: prefix } }, select: { eventId: true } });
  return rows.map((r) => r.eventId).sort();
}

describe("POST /api/v1/ingest under random input", () => {
  it("stores exactly the valid events of a random batch, whole, and names each refused field", async () => {
    const bases = baseEvents();
    const itemArb = fc.oneof(
      { weight: 2, arbitrary: fc.nat(bases.length - 1).map((i) => structuredClone(bases[i]) as unknown as Record<string, unknown>) },
      { weight: 3, arbitrary: fc.tuple(fc.nat(bases.length - 1), mutationArb).map(([i, m]) => mutate(bases[i], m)) },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<unknown> as fc.Arbitrary<Record<string, unknown>> },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(itemArb, { minLength: 1, maxLength: 12 }), fc.boolean(), async (items, gzip) => {
        const prefix = `c${++caseNo}-`;
        // Unique ids per case (a broken id stays broken: it is the mutation under test).
        const batch = items.map((item, i) =>
          item && typeof item === "object" && !Array.isArray(item) && typeof item.id === "string" && item.id.length > 0 && item.id.length <= 128 ? { ...item, id: `${prefix}${i}` } : item,
        );
        const json = JSON.stringify({ events: batch });
        // Judge each event as the server receives it (JSON turns Infinity/NaN into null, drops undefined).
        const received = (JSON.parse(json) as { events: unknown[] }).events;
        const expectedValid = received.flatMap((item, i) => (validateEvent(item).ok ? [`${prefix}${i}`] : []));
        const answer = gzip ? await post(gzipSync(json), { "content-encoding": "gzip" }) : await post(json);
        expectHandled(answer);
        expect(answer.status).toBe(expectedValid.length === 0 ? 400 : expectedValid.length === batch.length ? 200 : 207);
        const rejected = (answer.body.rejected ?? []) as Array<{ index: number; field: string; message: string }>;
        for (const r of rejected) {
          expect(r.field).toMatch(new RegExp(`^events\\[${r.index}\\](\\.|$)`));
          expect(r.index).toBeGreaterThanOrEqual(0);
          expect(r.index).toBeLessThan(batch.length);
          expect(r.message.length).toBeGreaterThan(0);
        }
        expect(new Set(rejected.map((r) => r.index)).size).toBe(batch.length - expectedValid.length);
        // Exactly the valid ones are stored, each a complete row.
        expect(await storedIds(prefix)).toEqual([...expectedValid].sort());
        if (expectedValid.length > 0) {
          const rows = await db.call.findMany({ where: { projectId: project.projectId, eventId: { in: expectedValid } } });
          for (const row of rows) {
            expect(row.model, row.eventId).toBeTruthy();
            expect(row.request, row.eventId).not.toBeNull();
            expect(row.timestamp.getTime()).not.toBeNaN();
            expect(row.inputTokens).toBeGreaterThanOrEqual(0);
          }
        }
      }),
      { numRuns: RUNS },
    );
  }, TIMEOUT);

  it("stores odd but well-typed text (NUL, lone surrogates, escapes, RTL, %-escapes in paths) or refuses it by field", async () => {
    await fc.assert(
      fc.asyncProperty(nastyString, nastyString, nastyString, nastyString, async (model, content, feature, endpointPart) => {
        const prefix = `odd${++caseNo}-`;
        const event = {
          ...structuredClone(baseEvents()[0]),
          id: `${prefix}0`,
          endpoint: `/v1/chat/completions${endpointPart}`,
          request: { model, messages: [{ role: "user", content }] },
          response: { model, choices: [{ message: { role: "assistant", content } }], usage: { prompt_tokens: 3, completion_tokens: 2 } },
          tags: { feature, [`k${feature}`.slice(0, 60)]: content.slice(0, 1000) },
        };
        const answer = await post(JSON.stringify({ events: [event] }));
        expectHandled(answer);
        const stored = await db.call.findMany({ where: { projectId: project.projectId, eventId: { startsWith: prefix } } });
        if (answer.status === 200) {
          expect(stored).toHaveLength(1);
          // NUL and lone surrogates cannot live in Postgres text/jsonb: each becomes U+FFFD, the rest of
          // the text is kept exactly and the row is stored, not dropped.
          const pgSafe = (s: string) => s.replace(/\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");
          const req = stored[0].request as { messages: Array<{ content: string }> };
          if (!stored[0].redactions) expect(req.messages[0].content).toBe(pgSafe(content));
          expect(stored[0].outputText).toBe(pgSafe(content));
        } else {
          expect(stored).toHaveLength(0);
          for (const r of answer.body.rejected as Array<{ field: string }>) expect(r.field).toMatch(/^events\[0\]/);
        }
      }),
      { numRuns: RUNS },
    );
  }, TIMEOUT);

  it("answers any raw body (garbage, truncated JSON, invalid UTF-8, NDJSON) with 2xx/4xx, never 500", async () => {
    const real = JSON.stringify({ events: baseEvents().slice(0, 3) });
    const bodyArb = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc.nat(real.length).map((n) => Buffer.from(real.slice(0, n))),
      fc.tuple(fc.nat(real.length), fc.uint8Array({ minLength: 1, maxLength: 8 })).map(([n, junk]) => Buffer.concat([Buffer.from(real.slice(0, n)), Buffer.from(junk), Buffer.from(real.slice(n))])),
      fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v))),
    );
    const typeArb = fc.constantFrom("application/json", "application/x-ndjson", "text/plain", "", "application/jsonl; charset=latin1");
    await fc.assert(
      fc.asyncProperty(bodyArb, typeArb, fc.boolean(), async (bytes, contentType, gzip) => {
        const answer = await post(gzip ? gzipSync(bytes) : bytes, { "content-type": contentType, ...(gzip ? { "content-encoding": "gzip" } : {}) });
        expectHandled(answer);
      }),
      { numRuns: RUNS },
    );
  }, TIMEOUT);

  it("never 500s on absurd usage numbers; stored token counts stay within what the columns hold", async () => {
    const numberArb = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(2 ** 31, 2 ** 53, 1e12, 1e300, -1, -(2 ** 31) - 1, 0.5), fc.string({ maxLength: 4 }));
    await fc.assert(
      fc.asyncProperty(fc.array(numberArb, { minLength: 4, maxLength: 4 }), fc.double({ min: 0, max: 86_400_000, noNaN: true }), async ([p, c, cached, reasoning], latency) => {
        const id = `num${++caseNo}`;
        const base = structuredClone(baseEvents()[0]);
        const event = {
          ...base,
          id,
          latency_ms: latency,
          ttft_ms: latency / 2,
          response: { ...base.response, usage: { prompt_tokens: p, completion_tokens: c, prompt_tokens_details: { cached_tokens: cached }, completion_tokens_details: { reasoning_tokens: reasoning } } },
        };
        const answer = await post(JSON.stringify({ events: [event] }));
        expectHandled(answer);
        expect(answer.status, JSON.stringify(answer.body)).toBe(200);
        const row = await db.call.findUniqueOrThrow({ where: { projectId_eventId: { projectId: project.projectId, eventId: id } } });
        for (const n of [row.inputTokens, row.outputTokens, row.cachedInputTokens, row.reasoningTokens]) {
          expect(n).toBeGreaterThanOrEqual(0);
          expect(n).toBeLessThanOrEqual(2 ** 31 - 1);
        }
      }),
      { numRuns: RUNS },
    );
  }, TIMEOUT);
});

describe("POST /api/v1/ingest with hostile bodies", () => {
  it("refuses a gzip bomb with 413 without inflating it, and bad gzip with 400", async () => {
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 }); // ~64 KB on the wire
    expect(bomb.length).toBeLessThan(ingestMaxBytes());
    const before = process.memoryUsage().rss;
    const answer = await post(bomb, { "content-encoding": "gzip" });
    expect(answer.status).toBe(413);
    expect(answer.body.error).toMatch(/once decompressed/);
    expect(process.memoryUsage().rss - before).toBeLessThan(40 * 1024 * 1024);

    const truncated = await post(gzipSync(JSON.stringify({ events: baseEvents().slice(0, 2) })).subarray(0, 40), { "content-encoding": "gzip" });
    expect(truncated.status).toBe(400);
    expect(truncated.body.error).toMatch(/not valid gzip/);
    const notGzip = await post("{}", { "content-encoding": "gzip" });
    expect(notGzip.status).toBe(400);
    expect((await post("{}", { "content-encoding": "br" })).status).toBe(415);
    // A gzip inside the gzip is decoded once: the inner bytes are not JSON.
    const nested = await post(gzipSync(gzipSync(JSON.stringify({ events: baseEvents().slice(0, 1) }))), { "content-encoding": "gzip" });
    expect(nested.status).toBe(400);
    expect(nested.body.error).toMatch(/not valid JSON/);
  });

  it("refuses a body over the limit by its declared length and by its bytes", async () => {
    const max = ingestMaxBytes();
    const declared = await post("{}", { "content-length": String(max + 1) });
    expect(declared.status).toBe(413);
    const streamed = new ReadableStream<Uint8Array>({
      start(controller) {
        const chunk = new Uint8Array(1024 * 1024).fill(0x20);
        for (let i = 0; i <= max / chunk.length; i++) controller.enqueue(chunk);
        controller.close();
      },
    });
    const res = await handleIngestRequest(
      new Request("http://localhost/api/v1/ingest", { method: "POST", headers: { authorization: `Bearer ${project.key}` }, body: streamed, duplex: "half" } as RequestInit),
    );
    expect(res.status).toBe(413);
  });

  it("answers deep JSON (arrays and objects 1,000 to 200,000 levels) without a 500, and stores it whole or not at all", async () => {
    for (const [depth, kind] of [
      [1_000, "array"],
      [10_000, "object"],
      [200_000, "array"],
    ] as const) {
      const id = `deep-${kind}-${depth}`;
      const event = JSON.stringify({ ...baseEvents()[0], id }).replace('"temperature":0.2', `"temperature":0.2,"deep":${deepJsonText(depth, kind)}`);
      expect(event).toContain('"deep"');
      const answer = await post(`{"events":[${event}]}`);
      expectHandled(answer);
      const stored = await db.call.findMany({ where: { projectId: project.projectId, eventId: id } });
      if (answer.status === 200) {
        expect(stored).toHaveLength(1);
        expect(stored[0].model).toBeTruthy();
      } else {
        expect(stored).toHaveLength(0);
        expect((answer.body.rejected as Array<{ field: string }>)[0].field).toBe("events[0].request");
      }
    }
  });

  it("keeps a huge prompt as a capped, marked row", async () => {
    const base = structuredClone(baseEvents()[0]);
    const huge = "Please classify this ticket. ".repeat(150_000); // ~4.3 MB
    const event = { ...base, id: "huge-1", request: { ...base.request, messages: [{ role: "user", content: huge }] } };
    const answer = await post(JSON.stringify({ events: [event] }));
    expect(answer.status).toBe(200);
    const row = await db.call.findUniqueOrThrow({ where: { projectId_eventId: { projectId: project.projectId, eventId: "huge-1" } } });
    expect(row.truncated).toBe(true);
    expect(JSON.stringify(row.request).length).toBeLessThan(300_000);
    expect(JSON.stringify(row.request)).toMatch(/truncated \d+ chars/);
  });
});

describe("POST /api/v1/otel/v1/traces under random input", () => {
  it("answers random protobuf bytes and random OTLP/JSON without a 500", async () => {
    const spanArb = fc.record(
      {
        traceId: fc.string({ maxLength: 32 }),
        spanId: fc.string({ maxLength: 16 }),
        name: fc.oneof(fc.constantFrom("chat gpt-4o", "openai.chat", "anthropic.messages"), fc.string({ maxLength: 10 })),
        startTimeUnixNano: fc.oneof(fc.string({ maxLength: 22 }), fc.integer(), fc.constant("1764584100000000000")),
        endTimeUnixNano: fc.oneof(fc.string({ maxLength: 22 }), fc.integer(), fc.constant("1764584101000000000")),
        attributes: fc.array(
          fc.record({
            key: fc.constantFrom("gen_ai.system", "gen_ai.request.model", "gen_ai.response.model", "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "gen_ai.prompt.0.content", "llm.request.type", "x"),
            value: fc.oneof(
              fc.record({ stringValue: nastyString }),
              fc.record({ intValue: fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.constant("99999999999999999999")) }),
              fc.record({ doubleValue: fc.double() }),
              fc.jsonValue({ maxDepth: 2 }),
            ),
          }),
          { maxLength: 8 },
        ),
      },
      { requiredKeys: [] },
    );
    const jsonArb = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.array(spanArb, { maxLength: 4 }).map((spans) => ({ resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans }] }] })),
    );
    await fc.assert(
      fc.asyncProperty(jsonArb, fc.uint8Array({ maxLength: 200 }), async (json, bytes) => {
        const a = await post(JSON.stringify(json), {}, handleOtlpRequest);
        expectHandled(a);
        const b = await post(bytes, { "content-type": "application/x-protobuf" }, handleOtlpRequest);
        expectHandled(b);
      }),
      { numRuns: RUNS },
    );
  }, TIMEOUT);
});
