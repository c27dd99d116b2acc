// Off-path call logging. The request path only appends a record of raw material (bodies as bytes,
// the assembled stream response, timings) to a bounded in-memory queue; turning it into an ingest
// event (JSON parsing, decompression) and writing it happens later, in batches, through the ingest
// writer. A failed write is retried a few times (writes are idempotent by event id); after that, or
// when the queue is full, the call is counted as dropped. Logging never fails or slows a call.
import zlib from "node:zlib";
import type { IngestEvent } from "../ingest/event";
import { validateEvent } from "../ingest/validate";
import type { WriteContext, WriteResult } from "../ingest/writer";
import type { CallTags } from "./headers";
import type { StreamAssembler } from "./sse";

type Json = Record<string, unknown>;

/** The ingest writer's signature (lib/ingest/writer.ts `writeEvents`). */
export type WriteEvents = (ctx: WriteContext, events: IngestEvent[]) => Promise<WriteResult>;

/** Everything needed to build the event later, captured cheaply while the call runs. */
export type CallRecord = {
  projectId: string;
  organizationId: string;
  eventId: string;
  /** Epoch ms when the proxy received the request. */
  startedAt: number;
  provider: string;
  endpoint: string;
  /** The request body as the client sent it (parsed if the proxy already parsed it, else bytes). */
  request: { json: Json | null; bytes: Buffer; contentType: string };
  /** Upstream status, or 0 when no response arrived. */
  status: number;
  /** Non-streaming responses: the body bytes as received (possibly compressed), bounded. */
  body?: CapturedBody;
  /** Streaming responses: the assembler that read the events (asked for the response only at write time). */
  stream?: StreamAssembler;
  /** Set when the call did not complete normally (client went away, upstream unreachable). */
  failure?: { status: number; message: string };
  latencyMs: number;
  ttftMs?: number;
  tags: CallTags;
};

const HEAD_KEPT_ON_OVERFLOW = 4096;

/**
 * A response body copy with a size cap: the whole body when small, else its head and tail (the usage
 * of an OpenAI JSON response, e.g. a large embeddings list, sits at the end).
 */
export class CapturedBody {
  private chunks: Buffer[] = [];
  private tailChunks: Buffer[] = [];
  private tailBytes = 0;
  private headBytes = 0;
  bytes = 0;
  overflowed = false;

  constructor(
    readonly contentType: string,
    readonly contentEncoding: string,
    private readonly maxBytes: number,
    private readonly tailMax = 64 * 1024,
  ) {}

  add(chunk: Buffer): void {
    this.bytes += chunk.length;
    if (!this.overflowed && this.bytes <= this.maxBytes) {
      this.chunks.push(chunk);
      this.headBytes += chunk.length;
      return;
    }
    if (!this.overflowed) {
      // Only the start of the head is read from now on (the object type).
      const start = Buffer.from(Buffer.concat(this.chunks).subarray(0, HEAD_KEPT_ON_OVERFLOW));
      this.chunks = [start];
      this.headBytes = start.length;
      this.overflowed = true;
    }
    this.tailChunks.push(chunk);
    this.tailBytes += chunk.length;
    while (this.tailChunks.length > 1 && this.tailBytes - this.tailChunks[0].length >= this.tailMax) {
      this.tailBytes -= this.tailChunks.shift()!.length;
    }
  }

  head(): Buffer {
    return Buffer.concat(this.chunks);
  }

  tail(): Buffer {
    return Buffer.concat(this.tailChunks);
  }

  /** Bytes held in memory (what the queue's byte budget counts). */
  held(): number {
    return this.headBytes + this.tailBytes;
  }
}

export type CallLogOptions = {
  write: WriteEvents;
  /** Records waiting at most; beyond, new calls are dropped from the log (and counted). */
  maxQueued: number;
  /** Bytes of bodies waiting at most. */
  maxQueuedBytes: number;
  /** Events per writeEvents call while the log keeps up. */
  batchSize: number;
  /**
   * Events per call when a backlog builds (a burst above what one-at-a-time writes absorb): larger
   * statements cost less per event, at the price of longer synchronous slices on the event loop.
   */
  maxBatchSize: number;
  /**
   * How long a call may wait for others before a write starts (unless a full batch is waiting).
   * Fewer, larger statements cost Postgres and Node far less per call than one per call.
   */
  lingerMs: number;
  /** Waits before each retry of a failed write; its length is the number of retries. */
  retryDelaysMs: number[];
  /** Told about calls that will not be stored (invalid event, writes failing after retries): counts and reasons only, never content. */
  onDrop?: (info: { events: number; reason: string }) => void;
};

export type CallLogStats = {
  queued: number;
  pending: number;
  written: number;
  duplicates: number;
  rejected: number;
  failedAttempts: number;
  droppedQueueFull: number;
  droppedAfterRetries: number;
};

export class CallLog {
  private pending: CallRecord[] = [];
  private pendingBytes = 0;
  private draining: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private timerIsImmediate = false;
  private closed = false;
  private readonly counters: Omit<CallLogStats, "pending"> = {
    queued: 0,
    written: 0,
    duplicates: 0,
    rejected: 0,
    failedAttempts: 0,
    droppedQueueFull: 0,
    droppedAfterRetries: 0,
  };

  constructor(private readonly options: CallLogOptions) {}

  /** Queue a finished call. Returns false (and counts it) when the queue is full. */
  enqueue(record: CallRecord): boolean {
    const size = record.request.bytes.length + (record.body?.held() ?? 0);
    if (this.closed || this.pending.length >= this.options.maxQueued || this.pendingBytes + size > this.options.maxQueuedBytes) {
      this.counters.droppedQueueFull++;
      return false;
    }
    this.pending.push(record);
    this.pendingBytes += size;
    this.counters.queued++;
    // A running drain picks new records up by itself; otherwise wait for company, never on the
    // request path (a timer, so the response bytes go out first).
    if (!this.draining) this.scheduleDrain();
    return true;
  }

  private scheduleDrain(): void {
    const full = this.pending.length >= this.options.batchSize;
    if (this.timer) {
      // A full batch does not wait out the linger.
      if (!full || this.timerIsImmediate) return;
      clearTimeout(this.timer);
    }
    this.timerIsImmediate = full;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.startDrain();
    }, full ? 0 : this.options.lingerMs);
    this.timer.unref();
  }

  /** Resolves when every call queued before now has been written or given up. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    while (this.pending.length > 0 || this.draining) {
      if (!this.draining) this.startDrain();
      await this.draining;
    }
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
  }

  stats(): CallLogStats {
    return { ...this.counters, pending: this.pending.length };
  }

  private startDrain(): void {
    if (this.draining || this.pending.length === 0) return;
    this.draining = this.drain().finally(() => {
      this.draining = null;
      // Anything queued while the last write was finishing must not wait for the next call.
      if (this.pending.length > 0) this.scheduleDrain();
    });
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const size = Math.min(this.options.maxBatchSize, Math.max(this.options.batchSize, Math.ceil(this.pending.length / 2)));
      const batch = this.pending.splice(0, size);
      for (const r of batch) this.pendingBytes -= r.request.bytes.length + (r.body?.held() ?? 0);
      const byProject = new Map<string, { ctx: WriteContext; events: IngestEvent[] }>();
      for (const record of batch) {
        // The writer stores validated events only; a call the validator refuses (e.g. no model
        // anywhere) is counted, not retried.
        let event: IngestEvent;
        try {
          const checked = validateEvent(buildEvent(record));
          if (!checked.ok) {
            this.counters.rejected++;
            const first = checked.errors[0];
            this.options.onDrop?.({ events: 1, reason: `invalid event: ${first.field} ${first.message}` });
            continue;
          }
          event = checked.event;
        } catch {
          this.counters.rejected++;
          continue;
        }
        let group = byProject.get(record.projectId);
        if (!group) {
          group = { ctx: { projectId: record.projectId, organizationId: record.organizationId, source: "proxy" }, events: [] };
          byProject.set(record.projectId, group);
        }
        group.events.push(event);
      }
      for (const { ctx, events } of byProject.values()) await this.writeWithRetries(ctx, events);
    }
  }

  private async writeWithRetries(ctx: WriteContext, events: IngestEvent[]): Promise<void> {
    const delays = this.options.retryDelaysMs;
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await this.options.write(ctx, events);
        this.counters.written += result.inserted;
        this.counters.duplicates += result.duplicates;
        this.counters.rejected += Math.max(0, events.length - result.inserted - result.duplicates);
        return;
      } catch (err) {
        this.counters.failedAttempts++;
        if (attempt >= delays.length) {
          this.counters.droppedAfterRetries += events.length;
          this.options.onDrop?.({ events: events.length, reason: `write failed after ${attempt + 1} attempts: ${errorSummary(err)}` });
          return;
        }
        await new Promise((r) => setTimeout(r, delays[attempt]));
      }
    }
  }
}

function errorSummary(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return (e?.code ? `${e.code}: ` : "") + String(e?.message ?? err).slice(0, 200);
}

// ---------------------------------------------------------------- record -> ingest event

export function buildEvent(record: CallRecord): IngestEvent {
  const request = record.request.json ?? requestFromBytes(record.request.bytes, record.request.contentType);
  let response: Json | null = null;
  let error: { status: number; message: string } | undefined;
  if (record.stream) {
    response = record.stream.response();
    error = record.stream.error() ?? undefined;
  } else if (record.body) {
    const decoded = decodeBody(record.body);
    if (record.status >= 400) error = { status: record.status, message: errorMessageFrom(decoded) };
    else response = responseFrom(record.body, decoded);
  } else if (record.status >= 400) {
    error = { status: record.status, message: `HTTP ${record.status}` };
  }
  if (record.failure) error = record.failure;

  const event: IngestEvent = {
    id: record.eventId,
    timestamp: new Date(record.startedAt).toISOString(),
    provider: record.provider,
    endpoint: record.endpoint,
    request,
    response,
    latency_ms: Math.max(0, Math.round(record.latencyMs)),
  };
  if (error) event.error = error;
  if (record.ttftMs !== undefined) event.ttft_ms = Math.max(0, Math.round(record.ttftMs));
  if (Object.keys(record.tags).length > 0) event.tags = { ...record.tags };
  const tier = (typeof response?.service_tier === "string" && response.service_tier) || (typeof request.service_tier === "string" && request.service_tier);
  if (tier) event.service_tier = tier;
  return event;
}

/** Parse a request body the proxy did not need to parse on the way (non-JSON, large). */
export function requestFromBytes(bytes: Buffer, contentType: string): Json {
  if (/json/i.test(contentType) || bytes[0] === 0x7b /* { */) {
    try {
      const value: unknown = JSON.parse(bytes.toString("utf8"));
      if (value && typeof value === "object" && !Array.isArray(value)) return value as Json;
    } catch {
      // fall through to the summary
    }
  }
  // Multipart uploads (audio transcription, image edits): keep the form's text fields, not the files.
  const summary: Json = { content_type: contentType.split(";")[0] || "application/octet-stream", bytes: bytes.length };
  if (/multipart\/form-data/i.test(contentType)) {
    const text = bytes.toString("latin1");
    for (const m of text.matchAll(/content-disposition:\s*form-data;\s*name="([^"]{1,64})"\r\n(?:[^\r\n]+\r\n)*\r\n([^\r]{0,1024})\r\n/gi)) {
      if (!/filename=/i.test(m[0])) summary[m[1]] = m[2];
    }
  }
  return summary;
}

function decodeBody(body: CapturedBody): string | null {
  if (body.overflowed) return null;
  const raw = body.head();
  try {
    switch (body.contentEncoding) {
      case "":
      case "identity":
        return raw.toString("utf8");
      case "gzip":
      case "x-gzip":
        return zlib.gunzipSync(raw).toString("utf8");
      case "deflate":
        try {
          return zlib.inflateSync(raw).toString("utf8");
        } catch {
          return zlib.inflateRawSync(raw).toString("utf8");
        }
      case "br":
        return zlib.brotliDecompressSync(raw).toString("utf8");
      default:
        return null;
    }
  } catch {
    return null;
  }
}

function parseObject(text: string): Json | null {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Json) : null;
  } catch {
    return null;
  }
}

function responseFrom(body: CapturedBody, decoded: string | null): Json | null {
  if (decoded !== null) return /json/i.test(body.contentType) || decoded.startsWith("{") ? parseObject(decoded) : null;
  if (!body.overflowed || (body.contentEncoding && body.contentEncoding !== "identity")) return null;
  // Too large to keep (e.g. thousands of embeddings): keep what pricing needs, from the ends.
  const head = body.head().toString("utf8");
  const tail = body.tail().toString("utf8");
  const out: Json = { spendlens_truncated: true, bytes: body.bytes };
  const object = /"object"\s*:\s*"([^"]{1,64})"/.exec(head);
  if (object) out.object = object[1];
  const model = /"model"\s*:\s*"([^"]{1,200})"/.exec(tail) ?? /"model"\s*:\s*"([^"]{1,200})"/.exec(head);
  if (model) out.model = model[1];
  const usage = lastJsonObjectAfter(tail, '"usage"');
  if (usage) out.usage = usage;
  return out;
}

/** The JSON object value following the last occurrence of `key` in `text`, if it parses. */
function lastJsonObjectAfter(text: string, key: string): Json | null {
  const at = text.lastIndexOf(key);
  if (at === -1) return null;
  const open = text.indexOf("{", at + key.length);
  if (open === -1 || !/^\s*:\s*$/.test(text.slice(at + key.length, open))) return null;
  let depth = 0;
  let inString = false;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{") depth++;
    else if (c === "}" && --depth === 0) return parseObject(text.slice(open, i + 1));
  }
  return null;
}

/** The provider's error message from an error body (OpenAI and Anthropic shapes), else its text. */
export function errorMessageFrom(text: string | null): string {
  if (!text) return "upstream error (body not readable)";
  const json = parseObject(text);
  const err = json?.error;
  if (err && typeof err === "object" && typeof (err as Json).message === "string") return ((err as Json).message as string).slice(0, 2000);
  if (typeof err === "string") return err.slice(0, 2000);
  if (typeof json?.message === "string") return json.message.slice(0, 2000);
  return text.slice(0, 2000);
}
