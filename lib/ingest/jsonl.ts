// The one JSONL reader: a file (or stream) of ingest events, one per line, as exported by the SDK or
// written by hand, and OpenAI Batch API files (input + output JSONL, paired by custom_id), turned into
// validated events. Used by file import and the offline analyser; `parseJsonlText` serves the HTTP
// endpoint's application/x-ndjson bodies.
import { StringDecoder } from "node:string_decoder";
import type { IngestEvent } from "./event";
import { validateEvent, type ValidationError } from "./validate";

export type JsonlItem = { line: number; event: IngestEvent } | { line: number; errors: ValidationError[] };
export type JsonlSource = string | Buffer | Uint8Array | AsyncIterable<string | Buffer | Uint8Array>;

/** One request line of an OpenAI Batch API input file. */
export type BatchRequestLine = { custom_id: string; method?: string; url?: string; body?: Record<string, unknown> };

export type JsonlOptions = {
  /** Requests of an OpenAI batch, by custom_id, to pair with output lines (see parseOpenAIBatch). */
  batchRequests?: Map<string, BatchRequestLine>;
  /** Timestamp for batch output lines whose body carries none (embeddings). Default: now. */
  fallbackTimestamp?: Date;
  /** Tags added to events built from batch lines (e.g. {feature: "nightly-summaries"}). */
  batchTags?: Record<string, string>;
  /** Validation clock (tests). */
  now?: number;
};

/** Non-empty lines of a JSONL text parsed as JSON; the first unparseable line is an error. */
export function parseJsonlText(text: string): { values: unknown[] } | { error: string } {
  const values: unknown[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    try {
      values.push(JSON.parse(line));
    } catch (err) {
      return { error: `line ${i + 1} is not valid JSON: ${(err as Error).message}` };
    }
  }
  return { values };
}

async function* linesOf(source: JsonlSource): AsyncGenerator<string> {
  if (typeof source === "string" || source instanceof Uint8Array) {
    const text = typeof source === "string" ? source : Buffer.from(source).toString("utf8");
    yield* text.split("\n");
    return;
  }
  const decoder = new StringDecoder("utf8");
  let pending = "";
  for await (const chunk of source) {
    pending += typeof chunk === "string" ? chunk : decoder.write(Buffer.from(chunk));
    let nl: number;
    while ((nl = pending.indexOf("\n")) >= 0) {
      yield pending.slice(0, nl);
      pending = pending.slice(nl + 1);
    }
  }
  pending += decoder.end();
  if (pending) yield pending;
}

function obj(v: unknown): Record<string, unknown> | null {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

function isBatchOutputLine(v: Record<string, unknown>): boolean {
  return typeof v.custom_id === "string" && ("response" in v || "error" in v) && !("request" in v);
}
function isBatchInputLine(v: Record<string, unknown>): boolean {
  return typeof v.custom_id === "string" && obj(v.body) !== null && !("response" in v);
}

const ENDPOINT_BY_OBJECT: Record<string, string> = {
  "chat.completion": "/v1/chat/completions",
  response: "/v1/responses",
  list: "/v1/embeddings",
  text_completion: "/v1/completions",
};

/** One OpenAI Batch API output line (with its request when known) as an ingest event (not yet validated). */
export function batchOutputToEvent(line: Record<string, unknown>, opts: JsonlOptions = {}): Record<string, unknown> {
  const customId = String(line.custom_id);
  const req = opts.batchRequests?.get(customId);
  const response = obj(line.response);
  const status = typeof response?.status_code === "number" ? response.status_code : line.error ? 500 : 200;
  const body = obj(response?.body);
  const created = typeof body?.created === "number" ? body.created : typeof body?.created_at === "number" ? body.created_at : null;
  const timestamp = created !== null ? new Date(created * 1000) : (opts.fallbackTimestamp ?? new Date());
  const request = req?.body ?? (typeof body?.model === "string" ? { model: body.model } : {});
  const endpoint = req?.url ?? ENDPOINT_BY_OBJECT[String(body?.object)] ?? "/v1/chat/completions";
  const event: Record<string, unknown> = {
    id: `openai-batch:${typeof line.id === "string" ? line.id : customId}`,
    timestamp: timestamp.toISOString(),
    provider: "openai",
    endpoint,
    request,
    response: status < 400 ? body : null,
    latency_ms: 0,
    batch: true,
    tags: { ...(opts.batchTags ?? {}), batch_custom_id: customId },
  };
  const lineError = obj(line.error);
  if (status >= 400 || lineError) {
    const message = obj(body?.error)?.message ?? lineError?.message ?? `HTTP ${status}`;
    event.error = { status: status >= 400 ? status : 500, message: String(message) };
  }
  return event;
}

/**
 * Events of a JSONL source, one item per non-empty line: `{line, event}` when valid, `{line, errors}`
 * otherwise (line numbers are 1-based). OpenAI Batch API output lines become batch events.
 */
export async function* parseJsonl(source: JsonlSource, opts: JsonlOptions = {}): AsyncGenerator<JsonlItem> {
  let lineNo = 0;
  for await (const raw of linesOf(source)) {
    lineNo++;
    const text = raw.trim();
    if (!text) continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      yield { line: lineNo, errors: [{ field: "", message: `not valid JSON: ${(err as Error).message}` }] };
      continue;
    }
    const o = obj(value);
    if (o && isBatchOutputLine(o)) value = batchOutputToEvent(o, opts);
    else if (o && isBatchInputLine(o)) {
      yield {
        line: lineNo,
        errors: [{ field: "", message: "an OpenAI Batch API input line: read it with its output file (parseOpenAIBatch)" }],
      };
      continue;
    }
    const r = validateEvent(value, opts.now);
    yield r.ok ? { line: lineNo, event: r.event } : { line: lineNo, errors: r.errors };
  }
}

/** Read the request lines of an OpenAI Batch API input file, by custom_id. */
export async function readBatchRequests(input: JsonlSource): Promise<Map<string, BatchRequestLine>> {
  const out = new Map<string, BatchRequestLine>();
  for await (const raw of linesOf(input)) {
    const text = raw.trim();
    if (!text) continue;
    try {
      const o = obj(JSON.parse(text));
      if (o && typeof o.custom_id === "string") out.set(o.custom_id, o as BatchRequestLine);
    } catch {
      // an unreadable input line only means its output line is paired with a minimal request
    }
  }
  return out;
}

/** Events of an OpenAI batch: its output file, each line paired with its request from the input file. */
export async function* parseOpenAIBatch(input: JsonlSource, output: JsonlSource, opts: JsonlOptions = {}): AsyncGenerator<JsonlItem> {
  const batchRequests = await readBatchRequests(input);
  yield* parseJsonl(output, { ...opts, batchRequests });
}
