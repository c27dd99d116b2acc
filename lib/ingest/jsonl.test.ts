import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { parseJsonl, parseJsonlText, parseOpenAIBatch, type JsonlItem } from "./jsonl";
import { normaliseEvent } from "./normalise";
import { openAIChatEvent } from "./test-fixtures";

async function collect(it: AsyncIterable<JsonlItem>): Promise<JsonlItem[]> {
  const out: JsonlItem[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe("parseJsonl", () => {
  it("yields valid events and per-line errors with 1-based line numbers, skipping blank lines", async () => {
    const text = [
      JSON.stringify(openAIChatEvent({ id: "a" })),
      "",
      "{broken",
      JSON.stringify({ ...openAIChatEvent({ id: "b" }), latency_ms: -1 }),
      JSON.stringify(openAIChatEvent({ id: "c" })),
    ].join("\n");
    const items = await collect(parseJsonl(text));
    expect(items.map((i) => [i.line, "event" in i ? i.event.id : i.errors[0].field])).toEqual([
      [1, "a"],
      [3, ""],
      [4, "latency_ms"],
      [5, "c"],
    ]);
  });

  it("reads a stream whose chunks split lines and multi-byte characters", async () => {
    const e = openAIChatEvent({ id: "utf8", tags: { feature: "café ☕" } });
    const bytes = Buffer.from(`${JSON.stringify(e)}\n${JSON.stringify(openAIChatEvent({ id: "two" }))}`);
    const chunks: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += 7) chunks.push(bytes.subarray(i, i + 7));
    const items = await collect(parseJsonl(Readable.from(chunks)));
    expect(items.map((i) => ("event" in i ? i.event.id : "error"))).toEqual(["utf8", "two"]);
    expect("event" in items[0] && items[0].event.tags?.feature).toBe("café ☕");
  });

  it("pairs OpenAI Batch API output lines with their requests into batch events", async () => {
    const input = [
      { custom_id: "req-1", method: "POST", url: "/v1/chat/completions", body: { model: "gpt-4o-mini", messages: [{ role: "user", content: "Classify: where is my card" }] } },
      { custom_id: "req-2", method: "POST", url: "/v1/chat/completions", body: { model: "gpt-4o-mini", messages: [{ role: "user", content: "Classify: top up failed" }] } },
    ]
      .map((l) => JSON.stringify(l))
      .join("\n");
    const output = [
      {
        id: "batch_req_1",
        custom_id: "req-1",
        response: {
          status_code: 200,
          request_id: "r1",
          body: {
            id: "chatcmpl-1",
            object: "chat.completion",
            created: 1764583200,
            model: "gpt-4o-mini-2024-07-18",
            choices: [{ index: 0, message: { role: "assistant", content: "card_arrival" }, finish_reason: "stop" }],
            usage: { prompt_tokens: 20, completion_tokens: 3, total_tokens: 23 },
          },
        },
        error: null,
      },
      {
        id: "batch_req_2",
        custom_id: "req-2",
        response: { status_code: 400, request_id: "r2", body: { error: { message: "Invalid 'messages'", type: "invalid_request_error" } } },
        error: null,
      },
    ]
      .map((l) => JSON.stringify(l))
      .join("\n");
    const items = await collect(parseOpenAIBatch(input, output, { batchTags: { feature: "nightly" }, fallbackTimestamp: new Date("2026-12-01T00:00:00Z") }));
    expect(items).toHaveLength(2);
    const [ok, failed] = items.map((i) => {
      if (!("event" in i)) throw new Error(JSON.stringify(i.errors));
      return i.event;
    });
    expect(ok).toMatchObject({ id: "openai-batch:batch_req_1", batch: true, endpoint: "/v1/chat/completions", timestamp: "2025-12-01T10:00:00.000Z", tags: { feature: "nightly", batch_custom_id: "req-1" } });
    expect((ok.request.messages as Array<{ content: string }>)[0].content).toBe("Classify: where is my card");
    const n = normaliseEvent(ok);
    expect(n).toMatchObject({ batch: true, inputTokens: 20, outputTokens: 3, outputText: "card_arrival", model: "gpt-4o-mini-2024-07-18" });
    expect(failed).toMatchObject({ error: { status: 400, message: "Invalid 'messages'" }, response: null, timestamp: "2026-12-01T00:00:00.000Z" });
  });

  it("says what to do with a batch input file read on its own", async () => {
    const items = await collect(parseJsonl(JSON.stringify({ custom_id: "x", method: "POST", url: "/v1/chat/completions", body: { model: "m" } })));
    expect("errors" in items[0] && items[0].errors[0].message).toMatch(/parseOpenAIBatch/);
  });
});

describe("parseJsonlText", () => {
  it("parses NDJSON bodies and names the first bad line", () => {
    expect(parseJsonlText('{"a":1}\n\n{"b":2}\n')).toEqual({ values: [{ a: 1 }, { b: 2 }] });
    expect(parseJsonlText('{"a":1}\nnope')).toMatchObject({ error: expect.stringContaining("line 2") });
  });
});
