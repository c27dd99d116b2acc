// The beacon: a bounded in-memory queue of serialised events and one sender that posts them in batches to
// `POST /api/v1/ingest`. Rules it keeps, because it runs inside someone else's app:
// - enqueue is synchronous and cheap, and never throws; sending happens later, off the caller's path;
// - memory is bounded (events and bytes): when full, the oldest events are dropped and counted;
// - a failed batch keeps its event ids, so a retry can never create a second row on the server;
// - timers are unref'd: the beacon alone never keeps a process alive.
import { type BackoffOptions, parseRetryAfter, retryDelay } from "./backoff.js";
import { gzip } from "./compress.js";

export type BeaconOptions = {
  /** Project API key ("sl_..."), sent as `Authorization: Bearer`. */
  apiKey: string;
  /** Spendlens server, e.g. "https://spendlens.example.com"; events go to `<baseUrl>/api/v1/ingest`. */
  baseUrl: string;
  /** Send as soon as this many events wait (default 100). */
  flushAt: number;
  /** Send waiting events at most this long after the first one arrived (ms, default 1000). */
  flushIntervalMs: number;
  /** Queue bound in events, including a batch being sent (default 10,000). */
  maxQueueEvents: number;
  /** Queue bound in bytes of serialised JSON (counted as UTF-16 code units; default 16 MiB). */
  maxQueueBytes: number;
  /** Events per request (default 500; the server takes at most 1,000). */
  maxBatchEvents: number;
  /** Bytes per request before compression (default 4 MiB; the server takes at most 5 MB). */
  maxBatchBytes: number;
  /** gzip request bodies over 1 KiB (default true). */
  compress: boolean;
  /** Abort one ingest request after this long (ms, default 10,000). */
  requestTimeoutMs: number;
  backoff: BackoffOptions;
  /**
   * Attempts for a batch the server answers with a 500-class error other than 502/503/504 (which, like
   * network errors and 429, mean "down or busy" and are retried as long as the process lives). Default 5.
   */
  maxServerErrorAttempts: number;
  /** The fetch to use (default: globalThis.fetch). */
  fetch?: typeof fetch;
  /** Told about delivery problems (never thrown). Default: one console.warn per kind of problem. */
  onError?: (error: SpendlensError) => void;
};

/** network: ingest unreachable; server: 5xx/429; rejected/auth: refused for good; dropped/oversized: lost
 * to the bounds; internal: a bug inside the SDK that was swallowed. */
export type SpendlensErrorKind = "network" | "rejected" | "auth" | "server" | "dropped" | "oversized" | "internal";

export class SpendlensError extends Error {
  constructor(
    readonly kind: SpendlensErrorKind,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = "SpendlensSpendlensError";
  }
}

export type BeaconStats = {
  /** Events handed to the beacon. enqueued = accepted + duplicates + rejected + dropped + failed + queued. */
  enqueued: number;
  /** Events the server stored (new rows). */
  accepted: number;
  /** Events the server already had (a retry of a batch that had in fact arrived). */
  duplicates: number;
  /** Events the server refused (invalid, wrong key, too large); not retried. */
  rejected: number;
  /** Events dropped because the queue was full (oldest first) or the beacon was shut down. */
  dropped: number;
  /** Events given up on after repeated server errors. */
  failed: number;
  /** Events waiting, and their bytes (including a batch being sent). */
  queued: number;
  queuedBytes: number;
  /** Ingest requests made, and how many of them were retries. */
  requests: number;
  retries: number;
  /** HTTP status of the last ingest answer (0: network error), and the last problem seen. */
  lastStatus: number | null;
  lastError: string | null;
};

/** One event, serialised once when it is queued: the bytes sent are the bytes counted. */
type QueuedEvent = { json: string; size: number };

type SendOutcome =
  | { kind: "done" }
  | { kind: "retry"; retryAfterMs: number | null; countsAsServerError: boolean }
  | { kind: "split" };

const INGEST_PATH = "/api/v1/ingest";
const COMPRESS_FROM_BYTES = 1024;

export function defaultBeaconOptions(): Omit<BeaconOptions, "apiKey" | "baseUrl"> {
  return {
    flushAt: 100,
    flushIntervalMs: 1000,
    maxQueueEvents: 10_000,
    maxQueueBytes: 16 * 1024 * 1024,
    maxBatchEvents: 500,
    maxBatchBytes: 4 * 1024 * 1024,
    compress: true,
    requestTimeoutMs: 10_000,
    backoff: { initialDelayMs: 500, maxDelayMs: 30_000, maxRetryAfterMs: 5 * 60_000 },
    maxServerErrorAttempts: 5,
  };
}

function unref(timer: unknown): void {
  // Node returns a Timeout object with unref(); browsers and edge runtimes return a number.
  (timer as { unref?: () => void } | null)?.unref?.();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => unref(setTimeout(resolve, ms)));
}

export class Beacon {
  readonly options: BeaconOptions;
  private readonly url: string;
  // Queue as an array with a moving head: dropping the oldest and taking a batch are O(1) amortised.
  private items: (QueuedEvent | undefined)[] = [];
  private head = 0;
  private pendingBytes = 0;
  private inflight: QueuedEvent[] = [];
  private inflightBytes = 0;
  private sending: Promise<void> | null = null;
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  private flushTimerIsImmediate = false;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  /** While set, the server asked us to wait (or is down): no sends before this time. */
  private retryAt = 0;
  private attempt = 0;
  private serverErrorAttempts = 0;
  /** Lowered after a 413 so the next batches fit; restored after a success. */
  private batchEventLimit: number;
  private closed = false;
  private readonly warned = new Set<SpendlensErrorKind>();
  private readonly counters = {
    enqueued: 0,
    accepted: 0,
    duplicates: 0,
    rejected: 0,
    dropped: 0,
    failed: 0,
    requests: 0,
    retries: 0,
    lastStatus: null as number | null,
    lastError: null as string | null,
  };

  constructor(options: BeaconOptions) {
    if (!options.apiKey) throw new Error("Spendlens: apiKey is required");
    if (!/^https?:\/\//.test(options.baseUrl)) throw new Error(`Spendlens: baseUrl must be an http(s) URL, got "${options.baseUrl}"`);
    for (const field of ["flushAt", "maxQueueEvents", "maxQueueBytes", "maxBatchEvents", "maxBatchBytes"] as const) {
      if (!(options[field] >= 1)) throw new Error(`Spendlens: ${field} must be at least 1`);
    }
    this.options = { ...options, maxBatchEvents: Math.min(options.maxBatchEvents, 1000) };
    this.url = options.baseUrl.replace(/\/+$/, "") + INGEST_PATH;
    this.batchEventLimit = this.options.maxBatchEvents;
  }

  get pendingCount(): number {
    return this.items.length - this.head;
  }

  stats(): BeaconStats {
    return {
      ...this.counters,
      queued: this.pendingCount + this.inflight.length,
      queuedBytes: this.pendingBytes + this.inflightBytes,
    };
  }

  /** Queue one serialised event. Synchronous, never throws, never waits for the network. */
  enqueue(json: string): void {
    try {
      const size = json.length;
      this.counters.enqueued++;
      if (this.closed) {
        this.counters.dropped++;
        return;
      }
      if (size > this.options.maxBatchBytes || size > this.options.maxQueueBytes) {
        this.counters.dropped++;
        this.report(new SpendlensError("oversized", `an event of ${size} bytes exceeds maxBatchBytes/maxQueueBytes and was dropped`));
        return;
      }
      let dropped = 0;
      while (
        this.pendingCount > 0 &&
        (this.pendingCount + this.inflight.length + 1 > this.options.maxQueueEvents ||
          this.pendingBytes + this.inflightBytes + size > this.options.maxQueueBytes)
      ) {
        this.dropOldest();
        dropped++;
      }
      if (
        this.inflight.length + 1 > this.options.maxQueueEvents ||
        this.inflightBytes + size > this.options.maxQueueBytes
      ) {
        // Only a batch in flight is left and the new event does not fit beside it.
        dropped++;
        this.counters.dropped++;
      } else {
        this.items.push({ json, size });
        this.pendingBytes += size;
      }
      if (dropped > 0) this.report(new SpendlensError("dropped", `queue full: dropped ${dropped} oldest event(s)`));
      this.schedule();
    } catch {
      // Never into the caller.
    }
  }

  /**
   * Try to deliver everything queued now, waiting out a server's Retry-After or backoff while there is
   * time left. Resolves (never rejects) when the queue is empty or `timeoutMs` has passed; returns the
   * number of events still queued.
   */
  async flush(timeoutMs = 10_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    try {
      while (this.pendingCount + this.inflight.length > 0 && Date.now() < deadline) {
        if (this.sending) {
          await Promise.race([this.sending, sleep(Math.max(0, deadline - Date.now()))]);
          continue;
        }
        const wait = this.retryAt - Date.now();
        if (wait > 0) {
          if (Date.now() + wait >= deadline) break;
          await sleep(wait);
        }
        this.retryAt = 0;
        this.startSending();
      }
    } catch {
      // flush never rejects
    }
    return this.pendingCount + this.inflight.length;
  }

  /** Flush, then stop: later events are dropped (counted) and no timer stays behind. */
  async shutdown(timeoutMs = 10_000): Promise<number> {
    const left = await this.flush(timeoutMs);
    this.closed = true;
    this.clearTimers();
    return left;
  }

  /** Drop everything and stop at once (tests, hard exits). */
  close(): void {
    this.closed = true;
    this.clearTimers();
  }

  /** One immediate send attempt without waiting for a Retry-After (for a process about to exit). */
  async flushOnce(timeoutMs: number): Promise<void> {
    if (this.pendingCount === 0 && !this.sending) return;
    this.retryAt = 0;
    if (!this.sending) this.startSending(true);
    await Promise.race([this.sending, sleep(timeoutMs)]);
  }

  // ---------------------------------------------------------------- internals

  private clearTimers(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.flushTimer = null;
    this.flushTimerIsImmediate = false;
    this.retryTimer = null;
  }

  private dropOldest(): void {
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head++;
    if (item) this.pendingBytes -= item.size;
    this.counters.dropped++;
    this.compact();
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    } else if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    }
  }

  /** Arrange the next send: soon when a batch is full, after flushIntervalMs otherwise. */
  private schedule(): void {
    if (this.closed || this.sending || this.retryTimer) return;
    if (this.pendingCount >= this.options.flushAt) {
      if (this.flushTimerIsImmediate) return;
      if (this.flushTimer) clearTimeout(this.flushTimer);
      // A macrotask, not a microtask: building and compressing a batch must not run on the caller's turn.
      this.flushTimer = setTimeout(() => this.onTimer(), 0);
      this.flushTimerIsImmediate = true;
      unref(this.flushTimer);
    } else if (!this.flushTimer && this.pendingCount > 0) {
      this.flushTimer = setTimeout(() => this.onTimer(), this.options.flushIntervalMs);
      this.flushTimerIsImmediate = false;
      unref(this.flushTimer);
    }
  }

  private onTimer(): void {
    this.flushTimer = null;
    this.flushTimerIsImmediate = false;
    this.retryTimer = null;
    if (this.closed || this.sending) return;
    if (Date.now() < this.retryAt) {
      this.armRetryTimer();
      return;
    }
    this.startSending();
  }

  private armRetryTimer(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.onTimer(), Math.max(0, this.retryAt - Date.now()));
    unref(this.retryTimer);
  }

  /** Start the send loop unless one runs. `once`: stop after the first failure instead of backing off. */
  private startSending(once = false): void {
    if (this.sending) return;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.flushTimer = null;
    this.retryTimer = null;
    this.flushTimerIsImmediate = false;
    this.sending = this.sendLoop(once)
      .catch(() => {})
      .finally(() => {
        this.sending = null;
        if (!this.closed && Date.now() >= this.retryAt) this.schedule();
      });
  }

  private async sendLoop(once: boolean): Promise<void> {
    // Send what was waiting when the loop started, then only full batches: events that trickle in while a
    // request is out wait for their own flushAt or interval instead of going one or two per request.
    let owed = this.pendingCount;
    while (this.pendingCount > 0 && Date.now() >= this.retryAt && (owed > 0 || this.pendingCount >= this.options.flushAt)) {
      this.takeBatch();
      const outcome = await this.sendBatch(this.inflight);
      if (outcome.kind === "done") {
        owed -= this.inflight.length;
        this.finishInflight();
        this.attempt = 0;
        this.serverErrorAttempts = 0;
        this.batchEventLimit = this.options.maxBatchEvents;
        continue;
      }
      if (outcome.kind === "split") {
        this.requeueInflight();
        continue;
      }
      // Retry later with the same events (same ids).
      this.attempt++;
      if (outcome.countsAsServerError) this.serverErrorAttempts++;
      if (outcome.countsAsServerError && this.serverErrorAttempts >= this.options.maxServerErrorAttempts) {
        this.counters.failed += this.inflight.length;
        this.report(new SpendlensError("server", `gave up on ${this.inflight.length} event(s) after ${this.serverErrorAttempts} server errors`));
        owed -= this.inflight.length;
        this.finishInflight();
        this.serverErrorAttempts = 0;
        this.attempt = 0;
        continue;
      }
      this.requeueInflight();
      this.retryAt = Date.now() + retryDelay(this.attempt, outcome.retryAfterMs, this.options.backoff);
      if (!once && !this.closed) this.armRetryTimer();
      return;
    }
  }

  private takeBatch(): void {
    let bytes = 0;
    const batch: QueuedEvent[] = [];
    while (this.pendingCount > 0 && batch.length < this.batchEventLimit) {
      const next = this.items[this.head]!;
      if (batch.length > 0 && bytes + next.size + 1 > this.options.maxBatchBytes) break;
      this.items[this.head] = undefined;
      this.head++;
      this.pendingBytes -= next.size;
      bytes += next.size + 1;
      batch.push(next);
    }
    this.compact();
    this.inflight = batch;
    this.inflightBytes = batch.reduce((n, e) => n + e.size, 0);
  }

  private finishInflight(): void {
    this.inflight = [];
    this.inflightBytes = 0;
  }

  /** Put the in-flight batch back at the head of the queue, then re-apply the bounds (oldest go first). */
  private requeueInflight(): void {
    const batch = this.inflight;
    this.finishInflight();
    this.compact();
    if (this.head >= batch.length) {
      for (let i = 0; i < batch.length; i++) this.items[this.head - batch.length + i] = batch[i];
      this.head -= batch.length;
    } else {
      this.items = [...batch, ...this.items.slice(this.head)];
      this.head = 0;
    }
    for (const e of batch) this.pendingBytes += e.size;
    let dropped = 0;
    while (this.pendingCount > this.options.maxQueueEvents || this.pendingBytes > this.options.maxQueueBytes) {
      this.dropOldest();
      dropped++;
    }
    if (dropped > 0) this.report(new SpendlensError("dropped", `queue full: dropped ${dropped} oldest event(s)`));
  }

  private async sendBatch(batch: QueuedEvent[]): Promise<SendOutcome> {
    const fetchFn = this.options.fetch ?? globalThis.fetch;
    const text = `{"events":[${batch.map((e) => e.json).join(",")}]}`;
    let body: Uint8Array<ArrayBuffer> = new TextEncoder().encode(text);
    if (body.byteLength > this.options.maxBatchBytes && batch.length > 1) {
      // Multi-byte text made the batch larger than counted: halve it before the server has to say 413.
      this.batchEventLimit = Math.max(1, Math.floor(batch.length / 2));
      return { kind: "split" };
    }
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.options.apiKey}`,
      "content-type": "application/json",
      "user-agent": "spendlens-sdk-js/0.1.0",
      // Stored as the call's source, so SDK traffic can be told apart from the proxy's and imports.
      "x-spendlens-source": "sdk",
    };
    if (this.options.compress && body.byteLength >= COMPRESS_FROM_BYTES) {
      const zipped = await gzip(body).catch(() => null);
      if (zipped) {
        body = zipped;
        headers["content-encoding"] = "gzip";
      }
    }
    if (this.attempt > 0) this.counters.retries++;
    this.counters.requests++;
    let res: Response;
    try {
      res = await fetchFn(this.url, {
        method: "POST",
        headers,
        body,
        signal: timeoutSignal(this.options.requestTimeoutMs),
      });
    } catch (err) {
      this.counters.lastStatus = 0;
      this.report(new SpendlensError("network", `ingest unreachable: ${errorMessage(err)}`));
      return { kind: "retry", retryAfterMs: null, countsAsServerError: false };
    }
    this.counters.lastStatus = res.status;
    const answer = await res.text().catch(() => "");
    const status = res.status;
    if (status === 200 || status === 201 || status === 202 || status === 204) {
      const parsed = parseAnswer(answer);
      this.counters.duplicates += Math.min(batch.length, parsed?.duplicates ?? 0);
      this.counters.accepted += batch.length - Math.min(batch.length, parsed?.duplicates ?? 0);
      return { kind: "done" };
    }
    if (status === 207) {
      const parsed = parseAnswer(answer);
      const rejected = Math.min(batch.length, parsed?.rejected?.length ?? 0);
      const duplicates = Math.min(batch.length - rejected, parsed?.duplicates ?? 0);
      this.counters.rejected += rejected;
      this.counters.duplicates += duplicates;
      this.counters.accepted += batch.length - rejected - duplicates;
      if (rejected > 0) {
        const first = parsed?.rejected?.[0];
        this.report(
          new SpendlensError("rejected", `server rejected ${rejected} event(s)${first ? `, e.g. ${first.field}: ${first.message}` : ""}`, status),
        );
      }
      return { kind: "done" };
    }
    if (status === 413 && batch.length > 1) {
      this.batchEventLimit = Math.max(1, Math.floor(batch.length / 2));
      return { kind: "split" };
    }
    if (status === 429 || status === 502 || status === 503 || status === 504 || status === 408) {
      this.report(new SpendlensError("server", `ingest answered ${status}; retrying`, status));
      return { kind: "retry", retryAfterMs: parseRetryAfter(res.headers.get("retry-after")), countsAsServerError: false };
    }
    if (status >= 500) {
      this.report(new SpendlensError("server", `ingest answered ${status}: ${answer.slice(0, 200)}`, status));
      return { kind: "retry", retryAfterMs: parseRetryAfter(res.headers.get("retry-after")), countsAsServerError: true };
    }
    // 400, 401, 403, 413 for a single event, other 4xx: resending the same bytes cannot succeed.
    this.counters.rejected += batch.length;
    const kind: SpendlensErrorKind = status === 401 || status === 403 ? "auth" : "rejected";
    this.report(new SpendlensError(kind, `ingest refused ${batch.length} event(s) with ${status}: ${answer.slice(0, 200)}`, status));
    return { kind: "done" };
  }

  private report(error: SpendlensError): void {
    this.counters.lastError = error.message;
    try {
      if (this.options.onError) {
        this.options.onError(error);
      } else if (!this.warned.has(error.kind)) {
        // Once per kind: a down server must not flood the app's logs.
        this.warned.add(error.kind);
        console.warn(`[spendlens] ${error.message}`);
      }
    } catch {
      // A throwing onError must not break delivery.
    }
  }
}

type IngestAnswer = { accepted?: number; duplicates?: number; rejected?: { index: number; field: string; message: string }[] };

function parseAnswer(text: string): IngestAnswer | null {
  if (!text) return null;
  try {
    const value = JSON.parse(text) as unknown;
    return value && typeof value === "object" ? (value as IngestAnswer) : null;
  } catch {
    return null;
  }
}

function timeoutSignal(ms: number): AbortSignal | undefined {
  if (typeof AbortSignal !== "undefined" && typeof AbortSignal.timeout === "function") return AbortSignal.timeout(ms);
  if (typeof AbortController === "undefined") return undefined;
  const controller = new AbortController();
  unref(setTimeout(() => controller.abort(), ms));
  return controller.signal;
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message} (${cause.message})` : err.message;
  }
  return String(err);
}
