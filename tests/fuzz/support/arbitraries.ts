// Shared material for the property-based tests of the ingest path: a bounded run count (FUZZ_RUNS, more
// with `npm run fuzz`), realistic valid events (the demo generator's, built from the shared public data
// sets, plus one per provider API), and mutations that each break exactly one field of an event.
import fc from "fast-check";
import { generateDemoEvents } from "../../../lib/demo/generate";
import type { IngestEvent } from "../../../lib/ingest/event";
import { openAIChatEvent } from "../../../lib/ingest/test-fixtures";

/** Runs per property: FUZZ_RUNS, else `ciDefault` (kept small so CI stays fast). */
export function fuzzRuns(ciDefault: number): number {
  const n = Number(process.env.FUZZ_RUNS);
  return Number.isInteger(n) && n > 0 ? n : ciDefault;
}

/** A test timeout that grows with the run count (`npm run fuzz` runs 20,000 cases per property). */
export function fuzzTimeout(runs: number, msPerRun: number): number {
  return Math.max(60_000, runs * msPerRun * 3);
}

/** A JSON object nested `depth` levels deep: {"a":{"a":...}} or [[[...]]], built as text (no recursion). */
export function deepJsonText(depth: number, kind: "object" | "array" = "array"): string {
  return kind === "array" ? `${"[".repeat(depth)}1${"]".repeat(depth)}` : `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
}

let cachedBase: IngestEvent[] | null = null;

/** Valid events of every API shape the server reads, plus demo traffic (deterministic). */
export function baseEvents(): IngestEvent[] {
  if (cachedBase) return cachedBase;
  const at = new Date(Date.UTC(2026, 10, 20, 9, 30)).toISOString();
  const demo = [...generateDemoEvents({ count: 40, seed: 7, end: new Date("2026-11-25T00:00:00Z") })];
  cachedBase = [
    openAIChatEvent({ id: "base-chat" }),
    {
      id: "base-anthropic",
      timestamp: at,
      provider: "anthropic",
      endpoint: "/v1/messages",
      request: { model: "claude-3-5-haiku-20241022", max_tokens: 256, system: "Be brief.", messages: [{ role: "user", content: "Summarise: the card was declined twice." }] },
      response: {
        id: "msg_1",
        type: "message",
        role: "assistant",
        model: "claude-3-5-haiku-20241022",
        content: [{ type: "text", text: "Two declines." }],
        stop_reason: "end_turn",
        usage: { input_tokens: 20, output_tokens: 4, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 },
      },
      latency_ms: 300,
      tags: { feature: "summary" },
    },
    {
      id: "base-responses",
      timestamp: at,
      provider: "openai",
      endpoint: "/v1/responses",
      request: { model: "gpt-4.1-mini", input: "Which plan suits a team of 5?" },
      response: { id: "resp_1", object: "response", status: "completed", model: "gpt-4.1-mini", output_text: "Team.", usage: { input_tokens: 9, output_tokens: 1 } },
      latency_ms: 420,
      ttft_ms: 90,
    },
    {
      id: "base-embeddings",
      timestamp: at,
      provider: "openai",
      endpoint: "/v1/embeddings",
      request: { model: "text-embedding-3-small", input: ["refund status", "card limit"] },
      response: { object: "list", model: "text-embedding-3-small", data: [], usage: { prompt_tokens: 5, total_tokens: 5 } },
      latency_ms: 50,
    },
    {
      id: "base-google",
      timestamp: at,
      provider: "google",
      endpoint: "/v1beta/models/gemini-2.0-flash:generateContent",
      request: { contents: [{ role: "user", parts: [{ text: "Hello" }] }] },
      response: { candidates: [{ content: { parts: [{ text: "Hi" }] }, finishReason: "STOP" }], usageMetadata: { promptTokenCount: 2, candidatesTokenCount: 1 } },
      latency_ms: 200,
    },
    {
      id: "base-error",
      timestamp: at,
      provider: "openai",
      endpoint: "/v1/chat/completions",
      request: { model: "gpt-4o", messages: [{ role: "user", content: "hi" }] },
      response: null,
      error: { status: 429, message: "Rate limit reached for gpt-4o" },
      latency_ms: 12,
      batch: false,
      service_tier: "default",
    },
    ...demo,
  ];
  return cachedBase;
}

/** Strings that stress storage: control characters, NUL, lone surrogates, emoji, RTL, escapes. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom("\u0000", "a\u0000b", "\ud800", "x\udfffy", "\\u0000", "\\", '"', "\u202e", "😀".repeat(3), "%E0%A4%A", "%", "%%", "\r\n", ""),
);

/** A wrong value for one field of an event, and the field the server must name when it refuses it. */
export type Mutation = { field: string; apply: (e: Record<string, unknown>) => void; wrong: unknown };

const set = (path: string[], value: unknown) => (e: Record<string, unknown>) => {
  let cur = e;
  for (const k of path.slice(0, -1)) {
    const next = cur[k];
    cur[k] = next && typeof next === "object" && !Array.isArray(next) ? { ...(next as object) } : {};
    cur = cur[k] as Record<string, unknown>;
  }
  if (value === undefined) delete cur[path[path.length - 1]];
  else cur[path[path.length - 1]] = value;
};

function mutation(field: string, values: fc.Arbitrary<unknown>, path = field.split(".")): fc.Arbitrary<Mutation> {
  return values.map((wrong) => ({ field, wrong, apply: set(path, wrong) }));
}

const notString = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 }), fc.object({ maxDepth: 1 }));
const notNumber = fc.oneof(fc.string({ maxLength: 8 }), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 2 }), fc.object({ maxDepth: 1 }));
const notObject = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean(), fc.array(fc.integer(), { maxLength: 3 }));
const huge = (n: number) => fc.integer({ min: n + 1, max: n + 5000 }).map((len) => "x".repeat(len));

/** One broken field per mutation; `field` is what the rejection must name (the HTTP layer adds events[i].). */
export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  mutation("id", fc.oneof(notString, fc.constant(""), huge(128), fc.constant(undefined))),
  mutation(
    "timestamp",
    fc.oneof(
      notString,
      fc.constant(undefined),
      fc.constantFrom("yesterday", "2026-13-45T99:99:99Z", "1999-12-31T23:59:59Z", "3026-01-01T00:00:00Z", "", "2026-11-20", "2026-11-20T10:00:00+25:00"),
      nastyString.filter((s) => !/^\d{4}-/.test(s)),
    ),
  ),
  mutation("provider", fc.oneof(notString, fc.constant(""), huge(64), fc.constant(undefined))),
  mutation("endpoint", fc.oneof(notString, fc.constant(""), huge(512), fc.constant(undefined))),
  mutation("request", fc.oneof(notObject, fc.constant(null), fc.constant(undefined))),
  mutation("request.model", fc.oneof(fc.integer(), fc.boolean(), fc.array(fc.string(), { maxLength: 2 }), fc.object({ maxDepth: 1 }))),
  mutation("response", fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean(), fc.array(fc.integer(), { maxLength: 3 }))),
  mutation("error", fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.array(fc.integer(), { maxLength: 2 }))),
  mutation("error.status", fc.oneof(notNumber, fc.integer({ min: 1000 }), fc.integer({ max: -1 }), fc.double({ min: 0.1, max: 998, noInteger: true })), ["error", "status"]),
  mutation("error.message", notString.filter((v) => typeof v !== "string"), ["error", "message"]),
  mutation("latency_ms", fc.oneof(notNumber, fc.constant(undefined), fc.double({ max: -0.001, noNaN: true }), fc.double({ min: 86_400_001, noNaN: true }))),
  mutation("ttft_ms", fc.oneof(fc.string({ maxLength: 4 }), fc.boolean(), fc.double({ max: -0.001, noNaN: true }), fc.double({ min: 86_400_001, noNaN: true }))),
  mutation("tags", notObject),
  fc.tuple(fc.constantFrom("feature", "user", "session", "environment", "team"), fc.oneof(fc.integer(), fc.boolean(), fc.array(fc.string(), { maxLength: 2 }), huge(1024))).map(
    ([k, v]): Mutation => ({ field: `tags.${k}`, wrong: v, apply: set(["tags", k], v) }),
  ),
  huge(64).map((k): Mutation => ({ field: `tags.${k}`, wrong: k, apply: set(["tags", k], "v") })),
  fc.constant<Mutation>({
    field: "tags",
    wrong: "65 tags",
    apply: (e) => {
      e.tags = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`t${i}`, "v"]));
    },
  }),
  mutation("batch", fc.oneof(fc.string({ maxLength: 4 }), fc.integer(), fc.object({ maxDepth: 1 }))),
  mutation("service_tier", fc.oneof(fc.integer(), fc.boolean(), fc.object({ maxDepth: 1 }), huge(64))),
);

/** A deep copy of a valid base event with one mutation applied. */
export function mutate(base: IngestEvent, m: Mutation): Record<string, unknown> {
  const copy = structuredClone(base) as unknown as Record<string, unknown>;
  // A mutation of error.* needs an error object to live in.
  if (m.field.startsWith("error.") && (copy.error === undefined || copy.error === null)) copy.error = { status: 500, message: "boom" };
  m.apply(copy);
  return copy;
}

/** Any JSON value, occasionally with event-like keys so the validator goes past its first checks. */
export const eventLikeArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.record(
    {
      id: fc.oneof(fc.string({ maxLength: 20 }), fc.jsonValue({ maxDepth: 1 })),
      timestamp: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.string({ maxLength: 30 }), fc.integer()),
      provider: fc.oneof(fc.constantFrom("openai", "anthropic", "google", "azure"), nastyString),
      endpoint: fc.oneof(fc.constantFrom("/v1/chat/completions", "/v1/messages", "/v1/responses", "/v1/models/%E0%A4%A/x", "/v1/models/gpt-4o:generateContent"), nastyString),
      request: fc.oneof(fc.record({ model: fc.oneof(fc.string({ maxLength: 20 }), fc.jsonValue({ maxDepth: 1 })) }, { requiredKeys: [] }), fc.jsonValue({ maxDepth: 3 })),
      response: fc.oneof(fc.constant(null), fc.jsonValue({ maxDepth: 3 }), fc.record({ model: fc.string({ maxLength: 10 }), usage: fc.dictionary(fc.constantFrom("prompt_tokens", "completion_tokens", "input_tokens", "output_tokens"), fc.oneof(fc.integer(), fc.double(), fc.string())) })),
      error: fc.oneof(fc.constant(null), fc.record({ status: fc.oneof(fc.integer(), fc.string()), message: fc.oneof(fc.string(), fc.integer()) }, { requiredKeys: [] }), fc.jsonValue({ maxDepth: 1 })),
      latency_ms: fc.oneof(fc.double(), fc.integer(), fc.string({ maxLength: 5 })),
      ttft_ms: fc.oneof(fc.double(), fc.jsonValue({ maxDepth: 1 })),
      tags: fc.oneof(fc.dictionary(fc.string({ maxLength: 70 }), fc.oneof(nastyString, fc.jsonValue({ maxDepth: 1 })), { maxKeys: 6 }), fc.jsonValue({ maxDepth: 2 })),
      batch: fc.jsonValue({ maxDepth: 1 }),
      service_tier: fc.jsonValue({ maxDepth: 1 }),
    },
    { requiredKeys: [] },
  ),
);

/**
 * A real event whose string fields hold odd but well-typed text (escapes, NUL, lone surrogates, stray
 * "%" in a path that carries the model): the validator must decide without throwing.
 */
export const oddStringsArb = fc.record({
  id: nastyString.filter((s) => s.length > 0),
  provider: nastyString,
  endpoint: fc.oneof(nastyString, nastyString.map((s) => `/v1beta/models/${s}:generateContent`), nastyString.map((s) => `/openai/deployments/${s}/chat/completions`)),
  model: fc.option(nastyString, { nil: undefined }),
  feature: nastyString,
  content: nastyString,
});

/** Top-level fields an error may name (a rejection of a whole non-object event names "" here). */
export const EVENT_FIELDS = ["id", "timestamp", "provider", "endpoint", "request", "response", "error", "latency_ms", "ttft_ms", "tags", "batch", "service_tier"];
