// A small OpenAI- and Anthropic-compatible server on loopback, controlled by the test. It speaks the wire
// formats the official SDKs parse (JSON bodies, SSE streams incl. the include_usage chunk, Responses API
// events, base64 embeddings, multipart file upload, batches) and answers from real support data.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { supportPairs } from "./data";

type Json = Record<string, any>;

export type RecordedRequest = { method: string; path: string; headers: http.IncomingHttpHeaders; body: Json | null };

export type FakeProvider = {
  url: string;
  /** Every request, in arrival order (bodies of JSON requests parsed). */
  requests: RecordedRequest[];
  /** Answer the next `count` model requests with `status` (and Retry-After / an error body). */
  failNext(count: number, status: number, message?: string): void;
  /** Pause between stream chunks (ms). */
  chunkDelayMs: number;
  close(): Promise<void>;
};

const CREATED = 1_765_000_000;

export function countTokens(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

/** Splits text into pieces of up to 4 words, whitespace kept, so joined pieces equal the text. */
export function pieces(text: string): string[] {
  const words = text.match(/\S+\s*/g) ?? [text];
  const out: string[] = [];
  for (let i = 0; i < words.length; i += 4) out.push(words.slice(i, i + 4).join(""));
  if (/^\s/.test(text) && out.length) out[0] = text.match(/^\s+/)![0] + out[0];
  return out;
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return content.map((p: Json) => (typeof p === "string" ? p : (p.text ?? ""))).join("");
  return "";
}

function lastUserText(messages: Json[] | undefined): string {
  const users = (messages ?? []).filter((m) => m.role === "user");
  return textOf(users.at(-1)?.content);
}

function promptText(messages: Json[] | undefined): string {
  return (messages ?? []).map((m) => textOf(m.content)).join("\n");
}

function vector(text: string, dims = 8): Float32Array {
  const v = new Float32Array(dims);
  for (let i = 0; i < text.length; i++) v[i % dims] += (text.charCodeAt(i) % 31) / 31;
  return v;
}

export async function startFakeProvider(): Promise<FakeProvider> {
  const answers = new Map(supportPairs().map((p) => [p.instruction, p.response]));
  const answer = (question: string) => answers.get(question) ?? `Echo: ${question}`;
  const requests: RecordedRequest[] = [];
  const failures: { status: number; message: string }[] = [];
  const files = new Map<string, { id: string; purpose: string; filename: string; content: string }>();
  const batches = new Map<string, Json>();
  let seq = 0;
  const state = { chunkDelayMs: 0 };

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  async function sse(res: http.ServerResponse, events: { event?: string; data: unknown }[]): Promise<void> {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", "x-request-id": `req_${seq}` });
    for (const e of events) {
      if (state.chunkDelayMs) await sleep(state.chunkDelayMs);
      res.write(`${e.event ? `event: ${e.event}\n` : ""}data: ${typeof e.data === "string" ? e.data : JSON.stringify(e.data)}\n\n`);
    }
    res.end();
  }

  function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json", "x-request-id": `req_${seq}`, ...headers });
    res.end(text);
  }

  function chatCompletion(body: Json): Json {
    const id = `chatcmpl-${++seq}`;
    const question = lastUserText(body.messages);
    const prompt = countTokens(promptText(body.messages));
    if (Array.isArray(body.tools) && body.tools.length) {
      const args = JSON.stringify({ query: question });
      return {
        id,
        object: "chat.completion",
        created: CREATED,
        model: body.model,
        choices: [
          {
            index: 0,
            message: { role: "assistant", content: null, refusal: null, tool_calls: [{ id: `call_${seq}`, type: "function", function: { name: body.tools[0].function.name, arguments: args } }] },
            logprobs: null,
            finish_reason: "tool_calls",
          },
        ],
        usage: { prompt_tokens: prompt, completion_tokens: countTokens(args), total_tokens: prompt + countTokens(args) },
        system_fingerprint: "fp_fake",
        service_tier: body.service_tier ?? "default",
      };
    }
    const text = answer(question);
    const completion = countTokens(text);
    return {
      id,
      object: "chat.completion",
      created: CREATED,
      model: body.model,
      choices: [{ index: 0, message: { role: "assistant", content: text, refusal: null, annotations: [] }, logprobs: null, finish_reason: "stop" }],
      usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
      system_fingerprint: "fp_fake",
      service_tier: body.service_tier ?? "default",
    };
  }

  function chatChunks(body: Json): unknown[] {
    const full = chatCompletion(body);
    const withUsage = body.stream_options?.include_usage === true;
    const base = { id: full.id, object: "chat.completion.chunk", created: CREATED, model: body.model, service_tier: full.service_tier, system_fingerprint: "fp_fake" };
    const chunk = (choices: unknown[]) => ({ ...base, choices, ...(withUsage ? { usage: null } : {}) });
    const msg = full.choices[0].message;
    const out: unknown[] = [chunk([{ index: 0, delta: { role: "assistant", content: msg.content === null ? null : "", refusal: null }, logprobs: null, finish_reason: null }])];
    if (msg.tool_calls) {
      const tc = msg.tool_calls[0];
      out.push(chunk([{ index: 0, delta: { tool_calls: [{ index: 0, id: tc.id, type: "function", function: { name: tc.function.name, arguments: "" } }] }, logprobs: null, finish_reason: null }]));
      for (const p of pieces(tc.function.arguments)) {
        out.push(chunk([{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: p } }] }, logprobs: null, finish_reason: null }]));
      }
    } else {
      for (const p of pieces(msg.content)) out.push(chunk([{ index: 0, delta: { content: p }, logprobs: null, finish_reason: null }]));
    }
    out.push(chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: full.choices[0].finish_reason }]));
    if (withUsage) out.push({ ...base, choices: [], usage: full.usage });
    return out;
  }

  function responsesInputText(input: unknown): string {
    if (typeof input === "string") return input;
    if (Array.isArray(input)) return lastUserText(input as Json[]);
    return "";
  }

  function response(body: Json): Json {
    const id = `resp_${++seq}`;
    const question = responsesInputText(body.input);
    const text = answer(question);
    const input = countTokens(`${body.instructions ?? ""} ${question}`);
    const output = countTokens(text);
    return {
      id,
      object: "response",
      created_at: CREATED,
      status: "completed",
      model: body.model,
      output: [{ type: "message", id: `msg_${seq}`, status: "completed", role: "assistant", content: [{ type: "output_text", text, annotations: [] }] }],
      usage: { input_tokens: input, input_tokens_details: { cached_tokens: 0 }, output_tokens: output, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: input + output },
      service_tier: "default",
    };
  }

  function responseEvents(body: Json): { event: string; data: unknown }[] {
    const full = response(body);
    const text = full.output[0].content[0].text as string;
    const started = { ...full, status: "in_progress", output: [], usage: null };
    let n = 0;
    const ev = (type: string, rest: Json) => ({ event: type, data: { type, sequence_number: n++, ...rest } });
    const itemId = full.output[0].id;
    return [
      ev("response.created", { response: started }),
      ev("response.in_progress", { response: started }),
      ev("response.output_item.added", { output_index: 0, item: { ...full.output[0], status: "in_progress", content: [] } }),
      ev("response.content_part.added", { item_id: itemId, output_index: 0, content_index: 0, part: { type: "output_text", text: "", annotations: [] } }),
      ...pieces(text).map((p) => ev("response.output_text.delta", { item_id: itemId, output_index: 0, content_index: 0, delta: p, logprobs: [] })),
      ev("response.output_text.done", { item_id: itemId, output_index: 0, content_index: 0, text, logprobs: [] }),
      ev("response.content_part.done", { item_id: itemId, output_index: 0, content_index: 0, part: full.output[0].content[0] }),
      ev("response.output_item.done", { output_index: 0, item: full.output[0] }),
      ev("response.completed", { response: full }),
    ];
  }

  function embeddings(body: Json): Json {
    const inputs: string[] = Array.isArray(body.input) ? body.input : [body.input];
    const base64 = body.encoding_format === "base64";
    return {
      object: "list",
      model: body.model,
      data: inputs.map((text, index) => {
        const v = vector(String(text));
        return { object: "embedding", index, embedding: base64 ? Buffer.from(v.buffer).toString("base64") : Array.from(v) };
      }),
      usage: { prompt_tokens: inputs.reduce((n, t) => n + countTokens(String(t)), 0), total_tokens: inputs.reduce((n, t) => n + countTokens(String(t)), 0) },
    };
  }

  function anthropicMessage(body: Json): Json {
    const question = lastUserText(body.messages);
    const text = answer(question);
    const input = countTokens(`${textOf(body.system)} ${promptText(body.messages)}`);
    return {
      id: `msg_${++seq}`,
      type: "message",
      role: "assistant",
      model: body.model,
      content: [{ type: "text", text }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: { input_tokens: input, output_tokens: countTokens(text), cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    };
  }

  function anthropicEvents(body: Json): { event: string; data: unknown }[] {
    const full = anthropicMessage(body);
    const text = full.content[0].text as string;
    return [
      { event: "message_start", data: { type: "message_start", message: { ...full, content: [], stop_reason: null, usage: { ...full.usage, output_tokens: 1 } } } },
      { event: "content_block_start", data: { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } } },
      { event: "ping", data: { type: "ping" } },
      ...pieces(text).map((p) => ({ event: "content_block_delta", data: { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: p } } })),
      { event: "content_block_stop", data: { type: "content_block_stop", index: 0 } },
      { event: "message_delta", data: { type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: full.usage.output_tokens } } },
      { event: "message_stop", data: { type: "message_stop" } },
    ];
  }

  function fileObject(f: { id: string; purpose: string; filename: string; content: string }): Json {
    return { id: f.id, object: "file", bytes: Buffer.byteLength(f.content), created_at: CREATED, filename: f.filename, purpose: f.purpose, status: "processed" };
  }

  function runBatch(batch: Json): void {
    const input = files.get(batch.input_file_id)!;
    const lines = input.content.split("\n").filter((l) => l.trim());
    const out = lines.map((line) => {
      const row = JSON.parse(line);
      const body = row.url === "/v1/embeddings" ? embeddings(row.body) : row.url === "/v1/responses" ? response(row.body) : chatCompletion(row.body);
      return JSON.stringify({ id: `batch_req_${++seq}`, custom_id: row.custom_id, response: { status_code: 200, request_id: `req_${seq}`, body }, error: null });
    });
    const outFile = { id: `file-out-${++seq}`, purpose: "batch_output", filename: "batch_output.jsonl", content: out.join("\n") + "\n" };
    files.set(outFile.id, outFile);
    Object.assign(batch, { status: "completed", output_file_id: outFile.id, request_counts: { total: lines.length, completed: lines.length, failed: 0 } });
  }

  const server = http.createServer(async (req, res) => {
    try {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const raw = Buffer.concat(chunks);
      const url = new URL(req.url ?? "/", "http://x");
      // "/v1/chat/completions", or Azure's "/openai/deployments/<name>/chat/completions"
      const path = url.pathname.replace(/^\/v1/, "").replace(/^\/openai\/deployments\/[^/]+/, "");
      const isJson = (req.headers["content-type"] ?? "").includes("application/json");
      const body: Json | null = isJson && raw.length ? JSON.parse(raw.toString("utf8")) : null;
      requests.push({ method: req.method ?? "GET", path: url.pathname, headers: req.headers, body });

      const modelCall = req.method === "POST" && ["/chat/completions", "/responses", "/embeddings", "/messages", "/completions"].includes(path);
      if (modelCall && failures.length) {
        const f = failures.shift()!;
        return json(res, f.status, { error: { message: f.message, type: "test_failure", code: null } }, f.status === 429 ? { "retry-after": "0" } : {});
      }
      if (req.method === "POST" && path === "/chat/completions") {
        return body!.stream ? await sse(res, [...chatChunks(body!).map((data) => ({ data })), { data: "[DONE]" }]) : json(res, 200, chatCompletion(body!));
      }
      if (req.method === "POST" && path === "/responses") {
        return body!.stream ? await sse(res, responseEvents(body!)) : json(res, 200, response(body!));
      }
      if (req.method === "POST" && path === "/embeddings") return json(res, 200, embeddings(body!));
      if (req.method === "POST" && path === "/messages") {
        return body!.stream ? await sse(res, anthropicEvents(body!)) : json(res, 200, anthropicMessage(body!));
      }
      if (req.method === "POST" && path === "/files") {
        const form = await new Response(raw, { headers: { "content-type": req.headers["content-type"] ?? "" } }).formData();
        const file = form.get("file") as File;
        const f = { id: `file-${++seq}`, purpose: String(form.get("purpose")), filename: file.name, content: await file.text() };
        files.set(f.id, f);
        return json(res, 200, fileObject(f));
      }
      const fileMatch = /^\/files\/([^/]+)(\/content)?$/.exec(path);
      if (req.method === "GET" && fileMatch) {
        const f = files.get(fileMatch[1]!);
        if (!f) return json(res, 404, { error: { message: "no such file" } });
        if (!fileMatch[2]) return json(res, 200, fileObject(f));
        res.writeHead(200, { "content-type": "application/octet-stream" });
        return res.end(f.content);
      }
      if (req.method === "POST" && path === "/batches") {
        const batch: Json = {
          id: `batch_${++seq}`,
          object: "batch",
          endpoint: body!.endpoint,
          input_file_id: body!.input_file_id,
          completion_window: body!.completion_window,
          status: "validating",
          output_file_id: null,
          error_file_id: null,
          created_at: CREATED,
          request_counts: { total: 0, completed: 0, failed: 0 },
        };
        batches.set(batch.id, batch);
        return json(res, 200, { ...batch });
      }
      const batchMatch = /^\/batches\/([^/]+)$/.exec(path);
      if (req.method === "GET" && batchMatch) {
        const batch = batches.get(batchMatch[1]!);
        if (!batch) return json(res, 404, { error: { message: "no such batch" } });
        if (batch.status !== "completed") runBatch(batch);
        return json(res, 200, batch);
      }
      json(res, 404, { error: { message: `no route ${req.method} ${url.pathname}` } });
    } catch (err) {
      if (!res.headersSent) json(res, 500, { error: { message: String(err) } });
      else res.destroy();
    }
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    failNext(count, status, message = `fake failure ${status}`) {
      for (let i = 0; i < count; i++) failures.push({ status, message });
    },
    get chunkDelayMs() {
      return state.chunkDelayMs;
    },
    set chunkDelayMs(ms: number) {
      state.chunkDelayMs = ms;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
