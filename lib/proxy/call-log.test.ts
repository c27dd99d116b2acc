// The call log's queue mechanics and event building, with a recording writer in place of the ingest
// writer (the end-to-end tests use the real one against Postgres).
import zlib from "node:zlib";
import { describe, expect, it } from "vitest";
import type { IngestEvent } from "../ingest/event";
import { buildEvent, CallLog, CapturedBody, requestFromBytes, type CallRecord, type WriteEvents } from "./call-log";

function record(over: Partial<CallRecord> = {}): CallRecord {
  return {
    projectId: "p1",
    organizationId: "o1",
    eventId: `ev-${Math.random().toString(36).slice(2)}`,
    startedAt: Date.UTC(2026, 11, 4, 12, 0, 0),
    provider: "openai",
    endpoint: "/v1/chat/completions",
    request: { json: { model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] }, bytes: Buffer.alloc(0), contentType: "application/json" },
    status: 200,
    latencyMs: 12.4,
    tags: {},
    ...over,
  };
}

function recordingWriter() {
  const calls: { projectId: string; events: IngestEvent[] }[] = [];
  const write: WriteEvents = async (ctx, events) => {
    calls.push({ projectId: ctx.projectId, events });
    return { inserted: events.length, duplicates: 0, insertedIds: events.map((e) => e.id) };
  };
  return { calls, write };
}

describe("CallLog", () => {
  it("writes in batches per project, after the linger, and flush() waits for them", async () => {
    const { calls, write } = recordingWriter();
    const log = new CallLog({ write, maxQueued: 1000, maxQueuedBytes: 1e9, batchSize: 100, maxBatchSize: 100, lingerMs: 10_000, retryDelaysMs: [] });
    for (let i = 0; i < 150; i++) log.enqueue(record({ projectId: i % 3 === 0 ? "p2" : "p1" }));
    await new Promise((r) => setTimeout(r, 20));
    // A full batch was waiting, so writing started without the 10 s linger; 50 wait for company.
    const started = calls.length;
    expect(started).toBeGreaterThan(0);
    await log.flush();
    expect(calls.reduce((n, c) => n + c.events.length, 0)).toBe(150);
    expect(calls.every((c) => c.events.length <= 100)).toBe(true);
    expect(new Set(calls.map((c) => c.projectId))).toEqual(new Set(["p1", "p2"]));
    expect(log.stats()).toMatchObject({ queued: 150, written: 150, pending: 0 });
  });

  it("writes larger batches when a backlog builds", async () => {
    const { calls, write } = recordingWriter();
    const log = new CallLog({ write, maxQueued: 5000, maxQueuedBytes: 1e9, batchSize: 100, maxBatchSize: 500, lingerMs: 10_000, retryDelaysMs: [] });
    for (let i = 0; i < 1200; i++) log.enqueue(record());
    await log.flush();
    const sizes = calls.map((c) => c.events.length);
    expect(sizes[0]).toBe(500);
    expect(sizes.every((n) => n <= 500)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(1200);
    expect(sizes.length).toBeLessThan(12); // fewer statements than fixed batches of 100
  });

  it("drops, and counts, calls beyond its bounds", async () => {
    const { write } = recordingWriter();
    const log = new CallLog({ write, maxQueued: 2, maxQueuedBytes: 1e9, batchSize: 100, maxBatchSize: 100, lingerMs: 10_000, retryDelaysMs: [] });
    expect([log.enqueue(record()), log.enqueue(record()), log.enqueue(record())]).toEqual([true, true, false]);
    const bytes = new CallLog({ write, maxQueued: 100, maxQueuedBytes: 1000, batchSize: 100, maxBatchSize: 100, lingerMs: 10_000, retryDelaysMs: [] });
    const big = record({ request: { json: null, bytes: Buffer.alloc(800), contentType: "application/json" } });
    expect([bytes.enqueue(big), bytes.enqueue({ ...big, eventId: "other" })]).toEqual([true, false]);
    expect(log.stats().droppedQueueFull).toBe(1);
    expect(bytes.stats().droppedQueueFull).toBe(1);
    await log.flush();
  });

  it("counts calls the validator refuses instead of sending them", async () => {
    const { calls, write } = recordingWriter();
    const reasons: string[] = [];
    const log = new CallLog({ write, maxQueued: 10, maxQueuedBytes: 1e9, batchSize: 10, maxBatchSize: 10, lingerMs: 0, retryDelaysMs: [], onDrop: (i) => reasons.push(i.reason) });
    log.enqueue(record({ request: { json: { messages: [] }, bytes: Buffer.alloc(0), contentType: "application/json" } }));
    await log.flush();
    expect(calls).toHaveLength(0);
    expect(log.stats().rejected).toBe(1);
    expect(reasons[0]).toMatch(/request\.model/);
  });
});

describe("buildEvent", () => {
  it("decodes a gzip response copy and keeps tags, timing and service tier", () => {
    const body = new CapturedBody("application/json", "gzip", 1 << 20);
    const response = { id: "c", model: "gpt-4o-mini-2024-07-18", service_tier: "flex", usage: { prompt_tokens: 3, completion_tokens: 1 } };
    const gz = zlib.gzipSync(JSON.stringify(response));
    body.add(gz.subarray(0, 10));
    body.add(gz.subarray(10));
    const event = buildEvent(record({ body, ttftMs: 3.6, tags: { feature: "f" } }));
    expect(event).toMatchObject({ response, latency_ms: 12, ttft_ms: 4, tags: { feature: "f" }, service_tier: "flex", timestamp: "2026-12-04T12:00:00.000Z" });
    expect(event.error).toBeUndefined();
  });

  it("turns an error body into the error message, in OpenAI and Anthropic shapes", () => {
    for (const [payload, message] of [
      [{ error: { message: "Rate limit reached", type: "requests" } }, "Rate limit reached"],
      [{ type: "error", error: { type: "overloaded_error", message: "Overloaded" } }, "Overloaded"],
    ] as const) {
      const body = new CapturedBody("application/json", "", 1 << 20);
      body.add(Buffer.from(JSON.stringify(payload)));
      expect(buildEvent(record({ status: 429, body }))).toMatchObject({ response: null, error: { status: 429, message } });
    }
  });

  it("keeps model and usage of a response too large to keep", () => {
    const body = new CapturedBody("application/json", "", 4096);
    const vectors = Array.from({ length: 50 }, (_, i) => ({ object: "embedding", index: i, embedding: Array.from({ length: 64 }, () => 0.0123456) }));
    const text = JSON.stringify({ object: "list", data: vectors, model: "text-embedding-3-small", usage: { prompt_tokens: 420, total_tokens: 420 } });
    for (let i = 0; i < text.length; i += 1000) body.add(Buffer.from(text.slice(i, i + 1000)));
    expect(body.overflowed).toBe(true);
    expect(body.held()).toBeLessThan(80 * 1024);
    expect(buildEvent(record({ endpoint: "/v1/embeddings", body })).response).toEqual({
      spendlens_truncated: true,
      bytes: text.length,
      object: "list",
      model: "text-embedding-3-small",
      usage: { prompt_tokens: 420, total_tokens: 420 },
    });
  });

  it("keeps the text fields of a multipart request, not its files", () => {
    const boundary = "----b";
    const form = [
      `--${boundary}\r\ncontent-disposition: form-data; name="model"\r\n\r\nwhisper-1\r\n`,
      `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="a.mp3"\r\ncontent-type: audio/mpeg\r\n\r\nBINARYDATA\r\n`,
      `--${boundary}--\r\n`,
    ].join("");
    expect(requestFromBytes(Buffer.from(form, "latin1"), `multipart/form-data; boundary=${boundary}`)).toEqual({
      content_type: "multipart/form-data",
      bytes: form.length,
      model: "whisper-1",
    });
  });
});
