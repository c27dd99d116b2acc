// Property-based tests of the event validator and the JSONL reader (no database): whatever arrives —
// random JSON, one broken field in a real event, invalid UTF-8, deep nesting, arbitrary chunking — they
// never throw, and every rejection names the field (or the line) at fault.
// `npm run fuzz` runs 20,000 cases per property; CI runs FUZZ_RUNS or the small default below.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseJsonl, parseJsonlText, parseOpenAIBatch, type JsonlItem } from "../../lib/ingest/jsonl";
import { validateEvent } from "../../lib/ingest/validate";
import { baseEvents, deepJsonText, eventLikeArb, EVENT_FIELDS, fuzzRuns, fuzzTimeout, mutate, mutationArb, oddStringsArb } from "./support/arbitraries";

const RUNS = fuzzRuns(1000);
const TIMEOUT = fuzzTimeout(RUNS, 5);
const NOW = Date.UTC(2026, 11, 1);

async function collect(items: AsyncIterable<JsonlItem>): Promise<JsonlItem[]> {
  const out: JsonlItem[] = [];
  for await (const item of items) out.push(item);
  return out;
}

async function* chunked(bytes: Uint8Array, cuts: number[]): AsyncGenerator<Uint8Array> {
  let at = 0;
  for (const cut of [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)) {
    yield bytes.subarray(at, cut);
    at = cut;
  }
  yield bytes.subarray(at);
}

describe("validateEvent", () => {
  it("accepts every realistic base event", () => {
    for (const e of baseEvents()) expect(validateEvent(structuredClone(e), NOW), e.id).toMatchObject({ ok: true });
  });

  it("never throws on random input; a refused object names known fields", () => {
    fc.assert(
      fc.property(eventLikeArb, (raw) => {
        const r = validateEvent(raw, NOW);
        if (r.ok) {
          expect(typeof r.event.id).toBe("string");
          expect(typeof r.event.latency_ms).toBe("number");
          return;
        }
        expect(r.errors.length).toBeGreaterThan(0);
        const isObject = typeof raw === "object" && raw !== null && !Array.isArray(raw);
        for (const e of r.errors) {
          expect(typeof e.message).toBe("string");
          expect(e.message.length).toBeGreaterThan(0);
          if (isObject) expect(EVENT_FIELDS).toContain(e.field.split(".")[0]);
          else expect(e.field).toBe("");
        }
      }),
      { numRuns: RUNS },
    );
  }, TIMEOUT);

  it("refuses a real event with one broken field, naming that field", () => {
    const bases = baseEvents();
    fc.assert(
      fc.property(fc.nat(bases.length - 1), mutationArb, (i, m) => {
        const raw = mutate(bases[i], m);
        const r = validateEvent(raw, NOW);
        expect(r.ok, `${m.field} = ${JSON.stringify(m.wrong)?.slice(0, 60)} was accepted`).toBe(false);
        if (r.ok) return;
        const named = r.errors.map((e) => e.field);
        expect(named.some((f) => f === m.field || f.startsWith(`${m.field}.`)), `${m.field} not named in ${JSON.stringify(named)}`).toBe(true);
      }),
      { numRuns: RUNS },
    );
  }, TIMEOUT);

  it("decides on odd but well-typed text (escapes, NUL, surrogates, stray % in a model path) without throwing", () => {
    fc.assert(
      fc.property(oddStringsArb, (odd) => {
        const raw = {
          id: odd.id,
          timestamp: "2026-11-20T10:00:00Z",
          provider: odd.provider,
          endpoint: odd.endpoint,
          request: { ...(odd.model === undefined ? {} : { model: odd.model }), messages: [{ role: "user", content: odd.content }] },
          response: null,
          latency_ms: 10,
          tags: { feature: odd.feature },
        };
        const r = validateEvent(raw, NOW);
        if (!r.ok) for (const e of r.errors) expect(EVENT_FIELDS).toContain(e.field.split(".")[0]);
      }),
      { numRuns: RUNS },
    );
  }, TIMEOUT);

  it("copes with deep nesting and huge strings in the bodies", () => {
    const base = structuredClone(baseEvents()[0]);
    for (const depth of [1_000, 100_000]) {
      const deep = { ...base, request: { model: "gpt-4o-mini", x: JSON.parse(deepJsonText(depth)) } };
      const r = validateEvent(deep, NOW);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.errors).toEqual([{ field: "request", message: expect.stringMatching(/nested more than \d+ levels deep/) }]);
      const deepResponse = validateEvent({ ...base, response: { x: JSON.parse(deepJsonText(depth, "object")) } }, NOW);
      expect(!deepResponse.ok && deepResponse.errors[0].field).toBe("response");
    }
    // A deep but real body — a tool whose JSON schema nests 20 object levels — is far from the limit.
    let schema: Record<string, unknown> = { type: "string" };
    for (let i = 0; i < 20; i++) schema = { type: "object", properties: { [`level${i}`]: schema } };
    const tools = [{ type: "function", function: { name: "file_ticket", parameters: schema } }];
    expect(validateEvent({ ...base, request: { ...base.request, tools } }, NOW).ok).toBe(true);
    const big = { ...base, response: { ...base.response, choices: [{ message: { role: "assistant", content: "y".repeat(4_000_000) } }] } };
    expect(validateEvent(big, NOW).ok).toBe(true);
  });
});

describe("JSONL reader", () => {
  it("parseJsonlText never throws; a bad line is named by its number", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string({ unit: "binary", maxLength: 30 }), fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v))), { maxLength: 8 }), (lines) => {
        const r = parseJsonlText(lines.join("\n"));
        if ("error" in r) expect(r.error).toMatch(/^line \d+ is not valid JSON/);
        else expect(r.values.length).toBe(lines.filter((l) => l.trim()).length);
      }),
      { numRuns: RUNS },
    );
  }, TIMEOUT);

  it("gives the same items whatever the chunking, for any bytes (invalid UTF-8 included)", async () => {
    const realLine = JSON.stringify(baseEvents()[0]);
    const bytesArb = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.array(fc.oneof(fc.constant(realLine), fc.string({ unit: "binary", maxLength: 20 }), fc.constant("{\"id\":\"\u00e9\u20ac\ud83d\ude00\"}")), { maxLength: 5 }).map((ls) => new TextEncoder().encode(ls.join("\n"))),
      // Valid JSON lines with raw invalid UTF-8 bytes inside a string.
      fc.uint8Array({ minLength: 1, maxLength: 6 }).map((junk) => Buffer.concat([Buffer.from(`${realLine.slice(0, 20)}`), Buffer.from(junk), Buffer.from(`${realLine.slice(20)}\n`)])),
    );
    await fc.assert(
      fc.asyncProperty(bytesArb, fc.array(fc.nat(), { maxLength: 6 }), async (bytes, cuts) => {
        const whole = await collect(parseJsonl(Buffer.from(bytes), { now: NOW }));
        const streamed = await collect(parseJsonl(chunked(bytes, cuts), { now: NOW }));
        expect(streamed).toEqual(whole);
        const nonEmptyLines = Buffer.from(bytes).toString("utf8").split("\n").filter((l) => l.trim()).length;
        expect(whole.length).toBe(nonEmptyLines);
        for (const item of whole) {
          expect(item.line).toBeGreaterThan(0);
          if ("errors" in item) expect(item.errors.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: RUNS },
    );
  }, TIMEOUT);

  it("reports each line of a mixed file exactly as the validator does, with its line number", async () => {
    const bases = baseEvents();
    const lineArb = fc.oneof(
      fc.nat(bases.length - 1).map((i) => JSON.stringify(bases[i])),
      fc.tuple(fc.nat(bases.length - 1), mutationArb).map(([i, m]) => JSON.stringify(mutate(bases[i], m))),
      // Not JSON, or JSON that is no event (a bare "0", a string): never an OpenAI batch line here.
      fc.string({ maxLength: 20 }).filter((s) => !s.includes("custom_id")),
      fc.constant(""),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(lineArb, { maxLength: 10 }), async (lines) => {
        const items = await collect(parseJsonl(lines.join("\n"), { now: NOW }));
        let k = 0;
        lines.forEach((line, i) => {
          if (!line.trim()) return;
          const item = items[k++];
          expect(item.line).toBe(i + 1);
          let parsed: unknown;
          try {
            parsed = JSON.parse(line);
          } catch {
            expect("errors" in item && item.errors[0].message).toMatch(/^not valid JSON/);
            return;
          }
          const expected = validateEvent(parsed, NOW);
          if (expected.ok) expect(item).toEqual({ line: i + 1, event: expected.event });
          else expect(item).toEqual({ line: i + 1, errors: expected.errors });
        });
        expect(k).toBe(items.length);
      }),
      { numRuns: RUNS },
    );
  }, TIMEOUT);

  it("never throws on random OpenAI Batch API files", async () => {
    const lineArb = fc.record(
      {
        custom_id: fc.oneof(fc.string({ maxLength: 8 }), fc.integer()),
        id: fc.string({ maxLength: 8 }),
        response: fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.record({ status_code: fc.oneof(fc.integer(), fc.string()), body: fc.jsonValue({ maxDepth: 3 }) })),
        error: fc.jsonValue({ maxDepth: 1 }),
        body: fc.jsonValue({ maxDepth: 2 }),
        url: fc.string({ maxLength: 10 }),
      },
      { requiredKeys: ["custom_id"] },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(lineArb, { maxLength: 5 }), fc.array(lineArb, { maxLength: 5 }), async (input, output) => {
        const toText = (ls: unknown[]) => ls.map((l) => JSON.stringify(l)).join("\n");
        const items = await collect(parseOpenAIBatch(toText(input), toText(output), { now: NOW, fallbackTimestamp: new Date(NOW) }));
        expect(items.length).toBe(output.length);
        for (const item of items) if ("errors" in item) for (const e of item.errors) expect(e.message.length).toBeGreaterThan(0);
      }),
      { numRuns: RUNS },
    );
  }, TIMEOUT);
});
