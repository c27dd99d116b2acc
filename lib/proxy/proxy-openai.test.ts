// The proxy end to end with the official `openai` client: base URL pointed at the proxy, a loopback
// fake upstream behind it (allow-listed per project), calls stored for real in Postgres.
import http from "node:http";
import type { AddressInfo } from "node:net";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { writeEvents } from "../ingest/writer";
import { openaiChatChunks, openaiChatCompletion, pieces, sendJson, sendSse } from "./fake-upstream";
import { createProxyHandler } from "./handler";
import { expectNoSecrets, loggedCalls, useProxyTestKit, type ProxyTestKit } from "./test-kit";

const PROVIDER_KEY = "sk-proj-TESTprovider0123456789abcdefABCDEF";
const MODEL = "gpt-4o-mini";
const SERVED = "gpt-4o-mini-2024-07-18";
const REPLY = "Your refund for order 1042 was issued today and should arrive in 3-5 business days.";
// gpt-4o-mini in lib/pricing/prices.snapshot.json: $0.15 per 1M input tokens, $0.60 per 1M output.
const USAGE = { prompt_tokens: 1200, completion_tokens: 300 };
const COST = (1200 * 0.15 + 300 * 0.6) / 1e6; // $0.00036

const kit = useProxyTestKit();

function client(k: ProxyTestKit, opts: { keyInPath?: boolean; key?: string } = {}) {
  const key = opts.key ?? k.key;
  return new OpenAI({
    apiKey: PROVIDER_KEY,
    baseURL: opts.keyInPath ? `${k.proxyUrl}/proxy/k/${key}/openai/v1` : `${k.proxyUrl}/proxy/openai/v1`,
    defaultHeaders: opts.keyInPath ? { "x-spendlens-feature": "support-bot" } : { "x-spendlens-key": key, "x-spendlens-feature": "support-bot", "x-spendlens-user": "user-7" },
    maxRetries: 0,
    timeout: 10_000,
  });
}

const session = (name: string) => ({ headers: { "x-spendlens-session": name } });
const messages = [
  { role: "system" as const, content: "You are a support agent for an online shop." },
  { role: "user" as const, content: "Where is my refund for order 1042?" },
];

/** Answers chat streams like OpenAI: the usage chunk only when the request asked for it. */
function streamReply(reply: string, usage = USAGE) {
  return (req: { body: Record<string, unknown> | null }, res: http.ServerResponse) => {
    const includeUsage = (req.body?.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
    return sendSse(res, [...openaiChatChunks(SERVED, pieces(reply, 7), includeUsage, usage), "[DONE]"]);
  };
}

describe("proxy with the official openai client", () => {
  it("passes a chat completion through and logs it once, priced, without any key", async () => {
    const k = kit();
    k.upstream.respond((_req, res) =>
      sendJson(res, 200, openaiChatCompletion(SERVED, REPLY, USAGE), { "x-request-id": "req_nonstream", "x-ratelimit-remaining-tokens": "149000" }),
    );
    const { data, response } = await client(k).chat.completions.create({ model: MODEL, messages }, session("nonstream")).withResponse();
    expect(data.choices[0].message.content).toBe(REPLY);
    expect(response.headers.get("x-request-id")).toBe("req_nonstream");
    expect(response.headers.get("x-ratelimit-remaining-tokens")).toBe("149000");

    const seen = k.upstream.requests.at(-1)!;
    expect(seen.path).toBe("/v1/chat/completions");
    expect(seen.headers.authorization).toBe(`Bearer ${PROVIDER_KEY}`);
    expect(Object.keys(seen.headers).filter((h) => h.startsWith("x-spendlens"))).toEqual([]);
    expect(seen.body).toEqual({ model: MODEL, messages });

    const rows = await loggedCalls(k, "nonstream");
    expect(rows).toHaveLength(1);
    const row = rows[0];
    expect(row).toMatchObject({
      provider: "openai",
      endpoint: "/v1/chat/completions",
      model: SERVED,
      source: "proxy",
      status: 200,
      inputTokens: 1200,
      outputTokens: 300,
      tokensEstimated: false,
      outputText: REPLY,
      finishReason: "stop",
      feature: "support-bot",
      endUser: "user-7",
      session: "nonstream",
    });
    expect(row.costUsd).toBeCloseTo(COST, 12);
    expect(row.latencyMs).toBeGreaterThanOrEqual(0);
    expect(row.ttftMs).toBeNull();
    expectNoSecrets(row, [PROVIDER_KEY, k.key]);
  });

  it("streams chunk by chunk, adds include_usage upstream and hides the extra usage chunk", async () => {
    const k = kit();
    k.upstream.respond(streamReply(REPLY));
    const stream = await client(k).chat.completions.create({ model: MODEL, messages, stream: true }, session("stream"));
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("")).toBe(REPLY);
    // What the client would have seen from OpenAI directly: no usage chunk, since it did not ask.
    expect(chunks.filter((c) => c.choices.length === 0)).toEqual([]);
    expect(chunks.some((c) => c.usage)).toBe(false);
    expect(chunks.at(-1)!.choices[0].finish_reason).toBe("stop");

    const sent = k.upstream.requests.at(-1)!.body!;
    expect(sent.stream_options).toEqual({ include_usage: true });

    const rows = await loggedCalls(k, "stream");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ model: SERVED, status: 200, inputTokens: 1200, outputTokens: 300, tokensEstimated: false, outputText: REPLY, finishReason: "stop" });
    expect(rows[0].costUsd).toBeCloseTo(COST, 12);
    expect(rows[0].ttftMs).not.toBeNull();
    // The request is logged as the client sent it, not with the proxy's addition.
    expect((rows[0].request as Record<string, unknown>).stream_options).toBeUndefined();
    expectNoSecrets(rows[0], [PROVIDER_KEY, k.key]);
  });

  it("sends a stream's status line before a slow first token", async () => {
    const k = kit();
    let firstTokenAt = 0;
    k.upstream.respond(async (req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.flushHeaders();
      await new Promise((r) => setTimeout(r, 400));
      firstTokenAt = Date.now();
      await streamReply("Slow answer.")(req, res);
    });
    const stream = await client(k).chat.completions.create({ model: MODEL, messages, stream: true }, session("slow-first-token"));
    const headersAt = Date.now();
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
    expect(text).toBe("Slow answer.");
    // The SDK returned the stream on the status line, well before the first token existed.
    expect(firstTokenAt - headersAt).toBeGreaterThan(200);
    expect(await loggedCalls(k, "slow-first-token")).toHaveLength(1);
  });

  it("leaves a stream that already asks for usage untouched, usage chunk included", async () => {
    const k = kit();
    k.upstream.respond(streamReply(REPLY, { prompt_tokens: 50, completion_tokens: 20 }));
    const stream = await client(k).chat.completions.create(
      { model: MODEL, messages, stream: true, stream_options: { include_usage: true } },
      session("stream-own-usage"),
    );
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.at(-1)!.usage).toMatchObject({ prompt_tokens: 50, completion_tokens: 20 });
    expect(k.upstream.requests.at(-1)!.body).toEqual({ model: MODEL, messages, stream: true, stream_options: { include_usage: true } });
    const rows = await loggedCalls(k, "stream-own-usage");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ inputTokens: 50, outputTokens: 20 });
    expect(rows[0].costUsd).toBeCloseTo((50 * 0.15 + 20 * 0.6) / 1e6, 12);
  });

  it("streams tool calls and logs the assembled calls", async () => {
    const k = kit();
    const base = { id: "chatcmpl-tools", object: "chat.completion.chunk", created: 1_760_000_000, model: SERVED };
    k.upstream.respond((req, res) => {
      const includeUsage = (req.body?.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
      return sendSse(res, [
        { ...base, choices: [{ index: 0, delta: { role: "assistant", content: null, tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "lookup_order", arguments: "" } }] }, finish_reason: null }] },
        { ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{"order_id"' } }] }, finish_reason: null }] },
        { ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: ': "1042"}' } }] }, finish_reason: null }] },
        { ...base, choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }] },
        ...(includeUsage ? [{ ...base, choices: [], usage: { prompt_tokens: 90, completion_tokens: 18, total_tokens: 108 } }] : []),
        "[DONE]",
      ]);
    });
    const tools = [{ type: "function" as const, function: { name: "lookup_order", parameters: { type: "object", properties: { order_id: { type: "string" } } } } }];
    const stream = await client(k).chat.completions.create({ model: MODEL, messages, tools, stream: true }, session("tools"));
    let args = "";
    for await (const chunk of stream) args += chunk.choices[0]?.delta?.tool_calls?.[0]?.function?.arguments ?? "";
    expect(JSON.parse(args)).toEqual({ order_id: "1042" });

    const rows = await loggedCalls(k, "tools");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ finishReason: "tool_calls", inputTokens: 90, outputTokens: 18 });
    expect(rows[0].costUsd).toBeCloseTo((90 * 0.15 + 18 * 0.6) / 1e6, 12);
    expect(rows[0].outputText).toContain("lookup_order");
    const choices = (rows[0].response as { choices: { message: { tool_calls: unknown[] } }[] }).choices;
    expect(choices[0].message.tool_calls).toEqual([{ id: "call_1", type: "function", function: { name: "lookup_order", arguments: '{"order_id": "1042"}' } }]);
  });

  it("streams a Responses API call and logs the final response with its usage", async () => {
    const k = kit();
    const base = { id: "resp_1", object: "response", created_at: 1_760_000_000, model: SERVED, output: [] as unknown[] };
    const final = {
      ...base,
      status: "completed",
      output: [{ id: "msg_1", type: "message", role: "assistant", status: "completed", content: [{ type: "output_text", text: REPLY, annotations: [] }] }],
      usage: { input_tokens: 800, input_tokens_details: { cached_tokens: 0 }, output_tokens: 40, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 840 },
    };
    k.upstream.respond((_req, res) =>
      sendSse(res, [
        ["response.created", { type: "response.created", sequence_number: 0, response: { ...base, status: "in_progress" } }],
        ...pieces(REPLY, 20).map((delta, i): [string, Record<string, unknown>] => [
          "response.output_text.delta",
          { type: "response.output_text.delta", sequence_number: i + 1, item_id: "msg_1", output_index: 0, content_index: 0, delta },
        ]),
        ["response.completed", { type: "response.completed", sequence_number: 99, response: final }],
      ]),
    );
    const stream = await client(k).responses.create({ model: MODEL, input: "Where is my refund for order 1042?", stream: true }, session("responses"));
    let text = "";
    for await (const event of stream) if (event.type === "response.output_text.delta") text += event.delta;
    expect(text).toBe(REPLY);
    // Nothing is injected outside chat/completions streams.
    expect(k.upstream.requests.at(-1)!.body).toEqual({ model: MODEL, input: "Where is my refund for order 1042?", stream: true });

    const rows = await loggedCalls(k, "responses");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ endpoint: "/v1/responses", model: SERVED, inputTokens: 800, outputTokens: 40, outputText: REPLY, finishReason: "completed", tokensEstimated: false });
    expect(rows[0].costUsd).toBeCloseTo((800 * 0.15 + 40 * 0.6) / 1e6, 12);
    expect(rows[0].ttftMs).not.toBeNull();
  });

  it("passes an upstream 429 through unchanged (status, rate-limit headers, request id, body) and logs it", async () => {
    const k = kit();
    const error = { message: "Rate limit reached for gpt-4o-mini in organization org-x on requests per min (RPM): Limit 3, Used 3.", type: "requests", param: null, code: "rate_limit_exceeded" };
    k.upstream.respond((_req, res) =>
      sendJson(res, 429, { error }, { "x-request-id": "req_429", "x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "20s", "retry-after": "20" }),
    );
    const err = (await client(k).chat.completions.create({ model: MODEL, messages }, session("429")).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.status).toBe(429);
    expect(err.requestID).toBe("req_429");
    expect(err.headers?.get("x-ratelimit-remaining-requests")).toBe("0");
    expect(err.headers?.get("retry-after")).toBe("20");
    expect(err.error).toEqual(error);

    const rows = await loggedCalls(k, "429");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 429, errorMessage: error.message, model: MODEL, outputTokens: 0 });
    expectNoSecrets(rows[0], [PROVIDER_KEY, k.key]);
  });

  it("passes an upstream 500 through unchanged and logs it", async () => {
    const k = kit();
    const error = { message: "The server had an error while processing your request. Sorry about that!", type: "server_error", param: null, code: null };
    k.upstream.respond((_req, res) => sendJson(res, 500, { error }, { "x-request-id": "req_500" }));
    const err = (await client(k).chat.completions.create({ model: MODEL, messages }, session("500")).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    expect(err.status).toBe(500);
    expect(err.requestID).toBe("req_500");
    expect(err.error).toEqual(error);
    const rows = await loggedCalls(k, "500");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 500, errorMessage: error.message });
  });

  it("aborts the upstream request when the client goes away mid-stream, and logs what was seen", async () => {
    const k = kit();
    const abortsBefore = k.upstream.aborted.length;
    k.upstream.respond(async (req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      const chunks = openaiChatChunks(SERVED, ["Let me ", "check that "], false);
      for (const c of chunks.slice(0, 3)) res.write(`data: ${JSON.stringify(c)}\n\n`);
      // Then the "model" stalls; only the caller going away ends this.
      await new Promise((resolve) => {
        res.on("close", resolve);
        setTimeout(resolve, 10_000);
      });
      res.end();
    });
    const controller = new AbortController();
    const stream = await client(k).chat.completions.create({ model: MODEL, messages, stream: true }, { ...session("abort"), signal: controller.signal });
    let text = "";
    const reading = (async () => {
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta?.content ?? "";
        if (text === "Let me check that ") controller.abort();
      }
    })();
    // The SDK ends the iteration (or throws an abort error, depending on timing): either is fine.
    await reading.catch((e: Error) => expect(e.name).toMatch(/Abort/));
    expect(controller.signal.aborted).toBe(true);
    await k.upstream.waitForAborts(abortsBefore + 1);
    expect(k.upstream.aborted.at(-1)!.body).toMatchObject({ model: MODEL, stream: true });

    const rows = await loggedCalls(k, "abort");
    expect(rows).toHaveLength(1);
    expect(rows[0].status).toBe(499);
    expect(rows[0].errorMessage).toMatch(/client closed the connection/);
    expect(rows[0].outputText).toBe("Let me check that ");
    // No usage arrived: the server counts the prompt and the partial output with the tokenizer.
    expect(rows[0].tokensEstimated).toBe(true);
    expect(rows[0].outputTokens).toBeGreaterThan(0);
    expect(rows[0].inputTokens).toBeGreaterThan(0);
    // The provider bills a stream the client cut short: priced on the counted tokens, not $0.
    expect(rows[0].costUsd).toBeGreaterThan(0);
    expect(k.proxy.handler.stats().clientAborts).toBeGreaterThanOrEqual(1);
  });

  it("takes the project key from the base URL path", async () => {
    const k = kit();
    k.upstream.respond(null);
    const res = await client(k, { keyInPath: true }).chat.completions.create({ model: MODEL, messages }, session("key-in-path"));
    expect(res.choices[0].message.content).toContain("fake upstream");
    expect(k.upstream.requests.at(-1)!.path).toBe("/v1/chat/completions");
    const rows = await loggedCalls(k, "key-in-path");
    expect(rows).toHaveLength(1);
    expect(rows[0].feature).toBe("support-bot");
    expectNoSecrets(rows[0], [PROVIDER_KEY, k.key]);
  });

  it("refuses a missing or wrong project key, or a mistyped Spendlens header, before anything reaches the upstream", async () => {
    const k = kit();
    const before = k.upstream.requests.length;
    const wrong = `sl_${"A".repeat(12)}_${"b".repeat(43)}`;
    const err = (await client(k, { key: wrong }).chat.completions.create({ model: MODEL, messages }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(err.message).toMatch(/Spendlens project key is invalid/);
    const bare = new OpenAI({ apiKey: PROVIDER_KEY, baseURL: `${k.proxyUrl}/proxy/openai/v1`, maxRetries: 0 });
    const missing = (await bare.chat.completions.create({ model: MODEL, messages }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(missing.status).toBe(401);
    expect(missing.message).toMatch(/x-spendlens-key/);
    const typo = (await client(k).chat.completions.create({ model: MODEL, messages }, { headers: { "x-spendlens-featur": "x" } }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(typo).toBeInstanceOf(OpenAI.BadRequestError);
    expect(typo.message).toMatch(/x-spendlens-featur/);
    expect(typo.headers?.get("x-spendlens-proxy-error")).toBe("spendlens_invalid_header");
    expect(k.upstream.requests.length).toBe(before);
  });

  it("refuses a project override that is not in the allow-list", async () => {
    const k = kit();
    const { db } = await import("../db/client");
    const { createApiKey } = await import("../auth/api-keys");
    const other = await db.project.create({ data: { organizationId: k.organizationId, name: "Other", slug: "other", openaiUpstream: "http://127.0.0.1:9" } });
    const { key } = await createApiKey({ projectId: other.id, name: "other" });
    const before = k.upstream.requests.length;
    const err = (await client(k, { key }).chat.completions.create({ model: MODEL, messages }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(err.message).toMatch(/not in the proxy's allow-list/);
    expect(k.upstream.requests.length).toBe(before);
  });

  it("answers 502 when the upstream is unreachable, and logs the failed call", async () => {
    const k = kit();
    const { db } = await import("../db/client");
    const { createApiKey } = await import("../auth/api-keys");
    // A port with nothing listening, allow-listed for this proxy instance only.
    const dead = http.createServer();
    await new Promise<void>((r) => dead.listen(0, "127.0.0.1", r));
    const deadUrl = `http://127.0.0.1:${(dead.address() as AddressInfo).port}`;
    await new Promise((r) => dead.close(r));
    const project = await db.project.create({ data: { organizationId: k.organizationId, name: "Dead", slug: "dead", openaiUpstream: deadUrl } });
    const { key } = await createApiKey({ projectId: project.id, name: "dead" });
    const handler = createProxyHandler({ allowlist: deadUrl });
    const server = http.createServer(handler);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const c = new OpenAI({ apiKey: PROVIDER_KEY, baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/proxy/openai/v1`, defaultHeaders: { "x-spendlens-key": key }, maxRetries: 0 });
      const err = (await c.chat.completions.create({ model: MODEL, messages }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
      expect(err.status).toBe(502);
      expect(err.message).toMatch(/unreachable.*ECONNREFUSED/);
      await handler.flushLogs();
      const rows = await db.call.findMany({ where: { projectId: project.id } });
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ status: 502, model: MODEL });
    } finally {
      await new Promise((r) => server.close(r));
      await handler.close();
    }
  });

  it("never fails a call because logging fails; retries, then counts the loss", async () => {
    const k = kit();
    k.upstream.respond(null);
    let attempts = 0;
    const failing = createProxyHandler({
      allowlist: k.upstream.url,
      logRetryDelaysMs: [5, 5],
      onLogDrop: () => {},
      writeEvents: async () => {
        attempts++;
        throw new Error("database is down");
      },
    });
    // Fails twice, then the real writer: the retry stores the call once.
    let flaky = 0;
    const recovering = createProxyHandler({
      allowlist: k.upstream.url,
      logRetryDelaysMs: [5, 5],
      writeEvents: async (ctx, events) => {
        if (++flaky <= 2) throw new Error("connection reset");
        return writeEvents(ctx, events);
      },
    });
    for (const [handler, name] of [[failing, "log-down"], [recovering, "log-flaky"]] as const) {
      const server = http.createServer(handler);
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      try {
        const c = new OpenAI({ apiKey: PROVIDER_KEY, baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/proxy/openai/v1`, defaultHeaders: { "x-spendlens-key": k.key, "x-spendlens-session": name }, maxRetries: 0 });
        const res = await c.chat.completions.create({ model: MODEL, messages });
        expect(res.choices[0].message.content).toContain("fake upstream");
        await handler.flushLogs();
      } finally {
        await new Promise((r) => server.close(r));
        await handler.close();
      }
    }
    expect(attempts).toBe(3);
    expect(failing.stats().log).toMatchObject({ queued: 1, written: 0, failedAttempts: 3, droppedAfterRetries: 1 });
    expect(recovering.stats().log).toMatchObject({ queued: 1, written: 1, failedAttempts: 2, droppedAfterRetries: 0 });
    expect(await loggedCalls(k, "log-down", 0)).toHaveLength(0);
    expect(await loggedCalls(k, "log-flaky")).toHaveLength(1);
  });
});
