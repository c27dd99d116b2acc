// The proxy end to end with the official `@anthropic-ai/sdk` client against a loopback fake upstream,
// calls stored for real in Postgres.
import Anthropic from "@anthropic-ai/sdk";
import { describe, expect, it } from "vitest";
import { anthropicMessage, anthropicTextEvents, pieces, sendJson, sendSse } from "./fake-upstream";
import { expectNoSecrets, loggedCalls, useProxyTestKit, type ProxyTestKit } from "./test-kit";

const PROVIDER_KEY = "sk-ant-api03-TESTprovider0123456789abcdefABCDEF";
const MODEL = "claude-3-5-haiku-20241022";
const REPLY = "I found order 1042: the refund was issued today and arrives within 3-5 business days.";
// Input tokens excluding cache, cache reads, cache writes (5 min), output.
const USAGE = { input_tokens: 100, cache_read_input_tokens: 2000, cache_creation_input_tokens: 500, output_tokens: 50 };
// claude-3-5-haiku-20241022 in lib/pricing/prices.snapshot.json, per 1M tokens: input $0.80,
// cache read $0.08, cache write $1.00, output $4.00.
const COST = (100 * 0.8 + 2000 * 0.08 + 500 * 1.0 + 50 * 4.0) / 1e6; // $0.00094

const kit = useProxyTestKit();

function client(k: ProxyTestKit) {
  return new Anthropic({
    apiKey: PROVIDER_KEY,
    baseURL: `${k.proxyUrl}/proxy/anthropic`,
    defaultHeaders: { "x-spendlens-key": k.key, "x-spendlens-feature": "order-help", "x-spendlens-environment": "staging" },
    maxRetries: 0,
    timeout: 10_000,
  });
}

const session = (name: string) => ({ headers: { "x-spendlens-session": name } });
const params = {
  model: MODEL,
  max_tokens: 256,
  system: "You are a support agent for an online shop.",
  messages: [{ role: "user" as const, content: "Where is my refund for order 1042?" }],
};

describe("proxy with the official @anthropic-ai/sdk client", () => {
  it("passes a message through and logs it once with cache usage priced, without any key", async () => {
    const k = kit();
    k.upstream.respond((_req, res) =>
      sendJson(res, 200, anthropicMessage(MODEL, REPLY, USAGE), { "request-id": "req_ant_1", "anthropic-ratelimit-requests-remaining": "49" }),
    );
    const { data, response } = await client(k).messages.create(params, session("nonstream")).withResponse();
    expect(data.content).toEqual([{ type: "text", text: REPLY }]);
    expect(response.headers.get("request-id")).toBe("req_ant_1");
    expect(response.headers.get("anthropic-ratelimit-requests-remaining")).toBe("49");

    const seen = k.upstream.requests.at(-1)!;
    expect(seen.path).toBe("/v1/messages");
    // The SDK sends the key as x-api-key or as a bearer token depending on its version: forwarded either way.
    expect(seen.headers["x-api-key"] ?? seen.headers.authorization).toMatch(new RegExp(`^(Bearer )?${PROVIDER_KEY}$`));
    expect(seen.headers["anthropic-version"]).toBeTruthy();
    expect(Object.keys(seen.headers).filter((h) => h.startsWith("x-spendlens"))).toEqual([]);
    expect(seen.body).toEqual(params);

    const rows = await loggedCalls(k, "nonstream");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      provider: "anthropic",
      endpoint: "/v1/messages",
      model: MODEL,
      source: "proxy",
      status: 200,
      inputTokens: 2600,
      cachedInputTokens: 2000,
      cacheWriteTokens: 500,
      outputTokens: 50,
      tokensEstimated: false,
      outputText: REPLY,
      finishReason: "end_turn",
      feature: "order-help",
      environment: "staging",
    });
    expect(rows[0].costUsd).toBeCloseTo(COST, 12);
    expectNoSecrets(rows[0], [PROVIDER_KEY, k.key]);
  });

  it("streams events as they come and logs usage from message_start and message_delta", async () => {
    const k = kit();
    k.upstream.respond((_req, res) => sendSse(res, anthropicTextEvents(MODEL, pieces(REPLY, 9), USAGE)));
    const stream = await client(k).messages.create({ ...params, stream: true }, session("stream"));
    let text = "";
    const types: string[] = [];
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === "content_block_delta" && event.delta.type === "text_delta") text += event.delta.text;
    }
    expect(text).toBe(REPLY);
    expect(types[0]).toBe("message_start");
    expect(types.at(-1)).toBe("message_stop");
    // Nothing added for Anthropic: the upstream got the client's body byte for byte.
    expect(k.upstream.requests.at(-1)!.body).toEqual({ ...params, stream: true });

    const rows = await loggedCalls(k, "stream");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ model: MODEL, inputTokens: 2600, cachedInputTokens: 2000, cacheWriteTokens: 500, outputTokens: 50, tokensEstimated: false, outputText: REPLY, finishReason: "end_turn" });
    expect(rows[0].costUsd).toBeCloseTo(COST, 12);
    expect(rows[0].ttftMs).not.toBeNull();
    expectNoSecrets(rows[0], [PROVIDER_KEY, k.key]);
  });

  it("streams a tool use and logs the parsed tool input", async () => {
    const k = kit();
    k.upstream.respond((_req, res) =>
      sendSse(res, [
        ["message_start", { type: "message_start", message: { id: "msg_t", type: "message", role: "assistant", model: MODEL, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 300, output_tokens: 1 } } }],
        ["content_block_start", { type: "content_block_start", index: 0, content_block: { type: "tool_use", id: "toolu_01", name: "lookup_order", input: {} } }],
        ["content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: '{"order_' } }],
        ["content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: 'id": "1042"}' } }],
        ["content_block_stop", { type: "content_block_stop", index: 0 }],
        ["message_delta", { type: "message_delta", delta: { stop_reason: "tool_use", stop_sequence: null }, usage: { output_tokens: 40 } }],
        ["message_stop", { type: "message_stop" }],
      ]),
    );
    const tools = [{ name: "lookup_order", input_schema: { type: "object" as const, properties: { order_id: { type: "string" } } } }];
    const stream = client(k).messages.stream({ ...params, tools }, session("tools"));
    const final = await stream.finalMessage();
    expect(final.content).toEqual([{ type: "tool_use", id: "toolu_01", name: "lookup_order", input: { order_id: "1042" } }]);

    const rows = await loggedCalls(k, "tools");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ finishReason: "tool_use", inputTokens: 300, outputTokens: 40 });
    expect(rows[0].costUsd).toBeCloseTo((300 * 0.8 + 40 * 4.0) / 1e6, 12);
    const content = (rows[0].response as { content: unknown[] }).content;
    expect(content).toEqual([{ type: "tool_use", id: "toolu_01", name: "lookup_order", input: { order_id: "1042" } }]);
  });

  it("passes an upstream 429 through unchanged and logs it", async () => {
    const k = kit();
    const body = { type: "error", error: { type: "rate_limit_error", message: "Number of request tokens has exceeded your per-minute rate limit" } };
    k.upstream.respond((_req, res) =>
      sendJson(res, 429, body, { "request-id": "req_ant_429", "retry-after": "7", "anthropic-ratelimit-input-tokens-remaining": "0" }),
    );
    const err = (await client(k).messages.create(params, session("429")).catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;
    expect(err).toBeInstanceOf(Anthropic.RateLimitError);
    expect(err.status).toBe(429);
    expect(err.requestID).toBe("req_ant_429");
    expect(err.headers?.get("retry-after")).toBe("7");
    expect(err.headers?.get("anthropic-ratelimit-input-tokens-remaining")).toBe("0");
    expect(err.error).toEqual(body);
    const rows = await loggedCalls(k, "429");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 429, errorMessage: body.error.message, model: MODEL, costUsd: 0 });
  });

  it("passes an upstream 500 through unchanged and logs it", async () => {
    const k = kit();
    const body = { type: "error", error: { type: "api_error", message: "Internal server error" } };
    k.upstream.respond((_req, res) => sendJson(res, 500, body, { "request-id": "req_ant_500" }));
    const err = (await client(k).messages.create(params, session("500")).catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;
    expect(err).toBeInstanceOf(Anthropic.InternalServerError);
    expect(err.status).toBe(500);
    expect(err.requestID).toBe("req_ant_500");
    expect(err.error).toEqual(body);
    const rows = await loggedCalls(k, "500");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 500, errorMessage: "Internal server error" });
  });

  it("logs an error the upstream sends inside a stream with its status", async () => {
    const k = kit();
    const events = anthropicTextEvents(MODEL, ["Partial "], USAGE).slice(0, 4);
    k.upstream.respond((_req, res) => sendSse(res, [...events, ["error", { type: "error", error: { type: "overloaded_error", message: "Overloaded" } }]]));
    const stream = await client(k).messages.create({ ...params, stream: true }, session("stream-error"));
    const err = await (async () => {
      for await (const _event of stream) {
        // drain
      }
    })().catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/Overloaded/);
    const rows = await loggedCalls(k, "stream-error");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 529, errorMessage: "Overloaded", outputText: "Partial " });
  });

  it("aborts the upstream request when the client goes away mid-stream, and logs what was seen", async () => {
    const k = kit();
    const abortsBefore = k.upstream.aborted.length;
    k.upstream.respond(async (_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      for (const [name, data] of anthropicTextEvents(MODEL, ["One moment, ", "checking"], USAGE).slice(0, 5)) {
        res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
      }
      await new Promise((resolve) => {
        res.on("close", resolve);
        setTimeout(resolve, 10_000);
      });
      res.end();
    });
    const controller = new AbortController();
    const stream = await client(k).messages.create({ ...params, stream: true }, { ...session("abort"), signal: controller.signal });
    let text = "";
    await (async () => {
      for await (const event of stream) {
        if (event.type === "content_block_delta" && event.delta.type === "text_delta") text += event.delta.text;
        if (text === "One moment, checking") controller.abort();
      }
    })().catch((e: Error) => expect(e.name).toMatch(/Abort/));
    expect(controller.signal.aborted).toBe(true);
    await k.upstream.waitForAborts(abortsBefore + 1);

    const rows = await loggedCalls(k, "abort");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 499, outputText: "One moment, checking", model: MODEL });
    expect(rows[0].errorMessage).toMatch(/client closed the connection/);
    // message_start had arrived: the input usage is the provider's, not an estimate.
    expect(rows[0].inputTokens).toBe(2600);
  });
});
