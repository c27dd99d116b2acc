// A small OpenAI- and Anthropic-compatible server on loopback for the proxy's tests and benchmark
// (real providers are unreachable here). It records what it received, notices when a caller goes away
// mid-response, and answers either with its defaults (a fixed chat reply, streamed like the real APIs)
// or with whatever a test installs via `respond`.
import http, { type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

type Json = Record<string, unknown>;

export type UpstreamRequest = {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  rawBody: Buffer;
  body: Json | null;
};

export type Responder = (req: UpstreamRequest, res: ServerResponse) => void | Promise<void>;

export type FakeUpstream = {
  /** http://127.0.0.1:<port> */
  url: string;
  requests: UpstreamRequest[];
  /** Requests whose caller closed the connection before the response ended. */
  aborted: UpstreamRequest[];
  /** Answer the next requests with `responder` (null: the defaults). */
  respond(responder: Responder | null): void;
  /** Resolves when `aborted` has at least `n` entries (or rejects after `timeoutMs`). */
  waitForAborts(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
};

export type FakeUpstreamOptions = {
  /** Delay before answering (the "model time"). */
  delayMs?: number;
  /** Delay between stream chunks. */
  chunkDelayMs?: number;
  /** Keep request records (off in the benchmark). */
  record?: boolean;
};

export const FAKE_REPLY = "Hello from the fake upstream, streamed in a few pieces.";
export const FAKE_USAGE = { prompt_tokens: 21, completion_tokens: 12 };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startFakeUpstream(options: FakeUpstreamOptions = {}): Promise<FakeUpstream> {
  const record = options.record ?? true;
  const requests: UpstreamRequest[] = [];
  const aborted: UpstreamRequest[] = [];
  const abortWaiters: { n: number; resolve: () => void }[] = [];
  let responder: Responder | null = null;

  const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const rawBody = Buffer.concat(chunks);
      let body: Json | null = null;
      if (rawBody.length && rawBody[0] === 0x7b) {
        try {
          body = JSON.parse(rawBody.toString("utf8")) as Json;
        } catch {
          body = null;
        }
      }
      const call: UpstreamRequest = { method: req.method ?? "GET", path: req.url ?? "/", headers: req.headers, rawBody, body };
      if (record) requests.push(call);
      res.on("close", () => {
        if (res.writableFinished) return;
        aborted.push(call);
        for (const w of abortWaiters.filter((w) => aborted.length >= w.n)) w.resolve();
      });
      const answer = responder ?? defaultResponder(options);
      void Promise.resolve(answer(call, res)).catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    aborted,
    respond(next) {
      responder = next;
    },
    waitForAborts(n, timeoutMs = 5_000) {
      if (aborted.length >= n) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`upstream saw ${aborted.length} aborted request(s), expected ${n}`)), timeoutMs);
        abortWaiters.push({ n, resolve: () => (clearTimeout(timer), resolve()) });
      });
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

// ---------------------------------------------------------------- answers shaped like the real APIs

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Write SSE events (objects are JSON-encoded as `data:`; `[name, obj]` pairs get an `event:` line). */
export async function sendSse(res: ServerResponse, events: (Json | string | [string, Json])[], chunkDelayMs = 0, headers: Record<string, string> = {}): Promise<void> {
  if (!res.headersSent) res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", ...headers });
  for (const e of events) {
    if (res.destroyed) return;
    const text = typeof e === "string" ? `data: ${e}\n\n` : Array.isArray(e) ? `event: ${e[0]}\ndata: ${JSON.stringify(e[1])}\n\n` : `data: ${JSON.stringify(e)}\n\n`;
    res.write(text);
    if (chunkDelayMs > 0) await sleep(chunkDelayMs);
  }
  res.end();
}

export function openaiChatCompletion(model: string, content: string, usage = FAKE_USAGE, extra: Json = {}): Json {
  return {
    id: "chatcmpl-fake123",
    object: "chat.completion",
    created: 1_760_000_000,
    model,
    choices: [{ index: 0, message: { role: "assistant", content, refusal: null }, logprobs: null, finish_reason: "stop" }],
    usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
    service_tier: "default",
    system_fingerprint: "fp_fake",
    ...extra,
  };
}

/** The chunks OpenAI streams for a chat reply; the usage chunk only when `includeUsage`, as the API does. */
export function openaiChatChunks(model: string, pieces: string[], includeUsage: boolean, usage = FAKE_USAGE): Json[] {
  const base = { id: "chatcmpl-fake123", object: "chat.completion.chunk", created: 1_760_000_000, model, system_fingerprint: "fp_fake", service_tier: "default" };
  const withUsageField = (c: Json) => (includeUsage ? { ...c, usage: null } : c);
  const chunks: Json[] = [withUsageField({ ...base, choices: [{ index: 0, delta: { role: "assistant", content: "", refusal: null }, logprobs: null, finish_reason: null }] })];
  for (const p of pieces) chunks.push(withUsageField({ ...base, choices: [{ index: 0, delta: { content: p }, logprobs: null, finish_reason: null }] }));
  chunks.push(withUsageField({ ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }] }));
  if (includeUsage) chunks.push({ ...base, choices: [], usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } });
  return chunks;
}

export function anthropicMessage(model: string, text: string, usage = { input_tokens: 25, output_tokens: 14 }, extra: Json = {}): Json {
  return {
    id: "msg_fake123",
    type: "message",
    role: "assistant",
    model,
    content: [{ type: "text", text }],
    stop_reason: "end_turn",
    stop_sequence: null,
    usage,
    ...extra,
  };
}

/** The events Anthropic streams for a text reply. */
export function anthropicTextEvents(model: string, pieces: string[], usage: Json = { input_tokens: 25, output_tokens: 14 }): [string, Json][] {
  const { output_tokens: outputTokens, ...inputUsage } = usage;
  return [
    ["message_start", { type: "message_start", message: { id: "msg_fake123", type: "message", role: "assistant", model, content: [], stop_reason: null, stop_sequence: null, usage: { ...inputUsage, output_tokens: 1 } } }],
    ["content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }],
    ["ping", { type: "ping" }],
    ...pieces.map((p): [string, Json] => ["content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: p } }]),
    ["content_block_stop", { type: "content_block_stop", index: 0 }],
    ["message_delta", { type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: outputTokens } }],
    ["message_stop", { type: "message_stop" }],
  ];
}

/** Split a reply into stream pieces of about `size` characters. */
export function pieces(text: string, size = 8): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

function defaultResponder(options: FakeUpstreamOptions): Responder {
  return async (req, res) => {
    if (options.delayMs) await sleep(options.delayMs);
    const body = req.body ?? {};
    const model = typeof body.model === "string" ? body.model : "gpt-4o-mini";
    if (req.path.startsWith("/v1/chat/completions")) {
      if (body.stream === true) {
        const includeUsage = (body.stream_options as Json | undefined)?.include_usage === true;
        return sendSse(res, [...openaiChatChunks(model, pieces(FAKE_REPLY), includeUsage), "[DONE]"], options.chunkDelayMs ?? 0);
      }
      return sendJson(res, 200, openaiChatCompletion(model, FAKE_REPLY), { "x-request-id": "req_fake" });
    }
    if (req.path.startsWith("/v1/messages")) {
      if (body.stream === true) return sendSse(res, anthropicTextEvents(model, pieces(FAKE_REPLY)), options.chunkDelayMs ?? 0);
      return sendJson(res, 200, anthropicMessage(model, FAKE_REPLY), { "request-id": "req_fake" });
    }
    sendJson(res, 404, { error: { message: `fake upstream has no ${req.method} ${req.path}`, type: "invalid_request_error" } });
  };
}
