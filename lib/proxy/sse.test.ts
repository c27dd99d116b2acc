import { describe, expect, it } from "vitest";
import { AnthropicMessageStreamAssembler } from "./anthropic-stream";
import { anthropicTextEvents, openaiChatChunks } from "./fake-upstream";
import { ChatCompletionStreamAssembler, ResponsesStreamAssembler } from "./openai-stream";
import { SseSplitter, type SseEvent } from "./sse";

function splitAll(text: string, cuts: number[]): SseEvent[] {
  const splitter = new SseSplitter();
  const bytes = Buffer.from(text, "utf8");
  const out: SseEvent[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    out.push(...splitter.push(bytes.subarray(from, cut)));
    from = cut;
  }
  out.push(...splitter.end());
  return out;
}

describe("SseSplitter", () => {
  const stream = 'data: {"a":1}\n\nevent: ping\ndata: {"b":"é"}\n\n: keep-alive comment\n\ndata: line1\ndata: line2\n\ndata: [DONE]\n\n';

  it("gives each event with its exact raw text, whatever the chunk boundaries", () => {
    const whole = splitAll(stream, []);
    expect(whole.map((e) => e.data)).toEqual(['{"a":1}', '{"b":"é"}', null, "line1\nline2", "[DONE]"]);
    expect(whole[1].event).toBe("ping");
    expect(whole.map((e) => e.raw).join("")).toBe(stream);
    const bytes = Buffer.byteLength(stream);
    // Every single cut position, including inside the two-byte "é".
    for (let cut = 1; cut < bytes; cut++) {
      const parts = splitAll(stream, [cut]);
      expect(parts.map((e) => e.raw).join("")).toBe(stream);
      expect(parts.map((e) => e.data)).toEqual(whole.map((e) => e.data));
    }
    // One byte at a time.
    const bytewise = splitAll(stream, Array.from({ length: bytes - 1 }, (_, i) => i + 1));
    expect(bytewise.map((e) => e.data)).toEqual(whole.map((e) => e.data));
  });

  it("accepts \\r\\n and \\r line endings, also split between \\r and \\n", () => {
    const crlf = 'data: {"x":1}\r\n\r\nevent: e\r\ndata: 2\r\n\r\n';
    for (let cut = 1; cut < crlf.length; cut++) {
      const events = splitAll(crlf, [cut]);
      expect(events.map((e) => e.data)).toEqual(['{"x":1}', "2"]);
      expect(events.map((e) => e.raw).join("")).toBe(crlf);
    }
    expect(splitAll("data: a\r\rdata: b\r\r", []).map((e) => e.data)).toEqual(["a", "b"]);
  });

  it("keeps an unterminated last event until the stream ends", () => {
    const splitter = new SseSplitter();
    expect(splitter.push(Buffer.from("data: tail"))).toEqual([]);
    expect(splitter.end()).toEqual([{ raw: "data: tail", event: null, data: "tail" }]);
  });
});

function feed(assembler: { accept(e: SseEvent): { output: boolean; hide: boolean } }, events: (object | string | [string, object])[]) {
  const text = events
    .map((e) => (typeof e === "string" ? `data: ${e}\n\n` : Array.isArray(e) ? `event: ${e[0]}\ndata: ${JSON.stringify(e[1])}\n\n` : `data: ${JSON.stringify(e)}\n\n`))
    .join("");
  return splitAll(text, []).map((e) => ({ event: e, ...assembler.accept(e) }));
}

describe("ChatCompletionStreamAssembler", () => {
  it("rebuilds the chat completion with usage and hides only the usage chunk the proxy asked for", () => {
    const pieces = ["Hel", "lo ", "world"];
    const usage = { prompt_tokens: 9, completion_tokens: 3 };
    const a = new ChatCompletionStreamAssembler(true);
    const seen = feed(a, [...openaiChatChunks("gpt-4o-mini-2024-07-18", pieces, true, usage), "[DONE]"]);
    expect(seen.filter((s) => s.hide)).toHaveLength(1);
    expect(JSON.parse(seen.find((s) => s.hide)!.event.data!).choices).toEqual([]);
    // The role-only first chunk is not output; the first content piece is.
    expect(seen.map((s) => s.output)).toEqual([false, true, true, true, false, false, false]);
    const res = a.response()!;
    expect(res.object).toBe("chat.completion");
    expect(res.model).toBe("gpt-4o-mini-2024-07-18");
    expect(res.usage).toEqual({ ...usage, total_tokens: 12 });
    expect(res.choices).toEqual([{ index: 0, message: { role: "assistant", content: "Hello world" }, finish_reason: "stop" }]);

    const own = new ChatCompletionStreamAssembler(false);
    expect(feed(own, openaiChatChunks("m", pieces, true)).some((s) => s.hide)).toBe(false);
  });

  it("joins streamed tool call arguments per call index", () => {
    const base = { id: "c1", object: "chat.completion.chunk", created: 1, model: "gpt-4o" };
    const a = new ChatCompletionStreamAssembler(false);
    feed(a, [
      { ...base, choices: [{ index: 0, delta: { role: "assistant", tool_calls: [{ index: 0, id: "call_a", type: "function", function: { name: "get_weather", arguments: "" } }] } }] },
      { ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] } }] },
      { ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 1, id: "call_b", type: "function", function: { name: "get_time", arguments: "{}" } }] } }] },
      { ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] } }] },
      { ...base, choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }] },
    ]);
    const choice = (a.response()!.choices as { message: { tool_calls: unknown[] }; finish_reason: string }[])[0];
    expect(choice.finish_reason).toBe("tool_calls");
    expect(choice.message.tool_calls).toEqual([
      { id: "call_a", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
      { id: "call_b", type: "function", function: { name: "get_time", arguments: "{}" } },
    ]);
  });

  it("records an error sent inside the stream", () => {
    const a = new ChatCompletionStreamAssembler(false);
    feed(a, [{ error: { message: "Rate limit reached", type: "requests", code: "rate_limit_exceeded" } }]);
    expect(a.error()).toEqual({ status: 429, message: "Rate limit reached" });
  });
});

describe("ResponsesStreamAssembler", () => {
  it("takes the terminal response, or the text seen when the stream stops early", () => {
    const done = new ResponsesStreamAssembler();
    const final = { id: "resp_1", object: "response", model: "gpt-4.1", status: "completed", usage: { input_tokens: 5, output_tokens: 2 } };
    const seen = feed(done, [
      { type: "response.created", response: { id: "resp_1", object: "response", model: "gpt-4.1", status: "in_progress" } },
      { type: "response.output_text.delta", delta: "Hi" },
      { type: "response.completed", response: final },
    ]);
    expect(seen.map((s) => s.output)).toEqual([false, true, false]);
    expect(done.response()).toEqual(final);

    const cut = new ResponsesStreamAssembler();
    feed(cut, [
      { type: "response.created", response: { id: "resp_2", object: "response", model: "gpt-4.1", status: "in_progress" } },
      { type: "response.output_text.delta", delta: "Par" },
      { type: "response.output_text.delta", delta: "tial" },
    ]);
    expect(cut.response()).toMatchObject({ id: "resp_2", status: "incomplete", output: [{ content: [{ type: "output_text", text: "Partial" }] }] });
  });
});

describe("AnthropicMessageStreamAssembler", () => {
  it("rebuilds the message with cache usage from message_start and output usage from message_delta", () => {
    const a = new AnthropicMessageStreamAssembler();
    const usage = { input_tokens: 40, cache_read_input_tokens: 1000, cache_creation_input_tokens: 200, output_tokens: 17 };
    const seen = feed(a, anthropicTextEvents("claude-3-5-haiku-20241022", ["Bon", "jour"], usage));
    expect(seen.filter((s) => s.output)).toHaveLength(2);
    expect(a.response()).toMatchObject({
      id: "msg_fake123",
      model: "claude-3-5-haiku-20241022",
      content: [{ type: "text", text: "Bonjour" }],
      stop_reason: "end_turn",
      usage,
    });
  });

  it("parses tool input from input_json_delta pieces and maps in-stream errors to their status", () => {
    const a = new AnthropicMessageStreamAssembler();
    feed(a, [
      ["message_start", { type: "message_start", message: { id: "m", type: "message", role: "assistant", model: "claude-sonnet-4-5", content: [], usage: { input_tokens: 3, output_tokens: 1 } } }],
      ["content_block_start", { type: "content_block_start", index: 0, content_block: { type: "tool_use", id: "toolu_1", name: "lookup", input: {} } }],
      ["content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: '{"q": "ord' } }],
      ["content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: 'er 42"}' } }],
      ["error", { type: "error", error: { type: "overloaded_error", message: "Overloaded" } }],
    ]);
    expect(a.response()!.content).toEqual([{ type: "tool_use", id: "toolu_1", name: "lookup", input: { q: "order 42" } }]);
    expect(a.error()).toEqual({ status: 529, message: "Overloaded" });
  });
});
