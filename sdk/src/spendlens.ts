// A Spendlens instance: settings, one beacon, and the two steps every observed call goes through
// (begin: sample + tag; finish: build the event, redact, queue). Wrappers of provider clients call these.
import { Beacon, SpendlensError, type BeaconOptions, type BeaconStats, defaultBeaconOptions } from "./beacon.js";
import type { BackoffOptions } from "./backoff.js";
import { buildEvent, type CallOutcome, clock, newEventId, type PendingCall, serializeEvent } from "./call.js";
import { cleanTags, currentTags, mergeTags } from "./context.js";
import type { IngestEvent, Provider, Tags } from "./event.js";
import { flushOnExit, stopFlushOnExit } from "./exit.js";

export type RedactHook = (event: IngestEvent) => IngestEvent | null | undefined | void;

export type SpendlensOptions = Partial<Omit<BeaconOptions, "apiKey" | "baseUrl" | "backoff">> & {
  /** Project API key. Default: the SPENDLENS_API_KEY environment variable. Without one the SDK is off. */
  apiKey?: string;
  /** Spendlens server. Default: SPENDLENS_URL, else http://localhost:3000. */
  baseUrl?: string;
  backoff?: Partial<BackoffOptions>;
  /** Share of calls to log, 0..1 (default 1: all). Decided per call, before any work. */
  sampleRate?: number;
  /**
   * Change or drop an event before it is queued: return the event (edited in place or a new one), or
   * null to drop it. Runs off the caller's path; a throwing hook drops the event.
   */
  redact?: RedactHook;
  /** Tags on every event of this instance (e.g. `{ environment: "production" }`). */
  tags?: Tags;
  /** Flush on beforeExit and SIGTERM (Node; default true). */
  flushOnExit?: boolean;
  /** Longest wait for a flush on exit (ms, default 5000). */
  exitFlushTimeoutMs?: number;
  /** Turn logging off (calls go straight to the provider). Default: off when there is no apiKey. */
  disabled?: boolean;
};

export type SpendlensStats = BeaconStats & {
  /** Calls seen by a wrapper. */
  observed: number;
  /** Calls not logged because of sampleRate. */
  sampledOut: number;
  /** Events the redact hook dropped (returned null or threw). */
  redactedOut: number;
  /** Problems inside the SDK that were swallowed so the app never sees them. */
  internalErrors: number;
};

/** What a wrapper knows about the call it is about to make. */
export type CallStart = {
  provider: Provider;
  endpoint: string;
  request: Record<string, unknown>;
  /** Tags of this call (per-call option), merged over context and client tags. */
  callTags?: Tags;
  clientTags?: Tags;
  sampleRate?: number;
  batch?: boolean;
};

function env(name: string): string | undefined {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  const value = proc?.env?.[name];
  return value ? value : undefined;
}

export class Spendlens {
  readonly enabled: boolean;
  private readonly beacon: Beacon | null;
  private readonly sampleRate: number;
  private readonly redactHook: RedactHook | undefined;
  private readonly tags: Tags | undefined;
  private readonly counts = { observed: 0, sampledOut: 0, redactedOut: 0, internalErrors: 0 };
  private readonly onError: ((error: SpendlensError) => void) | undefined;

  constructor(options: SpendlensOptions = {}) {
    const apiKey = options.apiKey ?? env("SPENDLENS_API_KEY");
    const baseUrl = options.baseUrl ?? env("SPENDLENS_URL") ?? "http://localhost:3000";
    this.sampleRate = options.sampleRate ?? 1;
    if (!(this.sampleRate >= 0 && this.sampleRate <= 1)) throw new Error("Spendlens: sampleRate must be between 0 and 1");
    this.redactHook = options.redact;
    this.tags = cleanTags(options.tags);
    this.onError = options.onError;
    this.enabled = !options.disabled && !!apiKey;
    if (!this.enabled) {
      this.beacon = null;
      if (!options.disabled) console.warn("[spendlens] no apiKey (or SPENDLENS_API_KEY): calls are not logged");
      return;
    }
    const defaults = defaultBeaconOptions();
    const { backoff, sampleRate: _s, redact: _r, tags: _t, flushOnExit: _f, exitFlushTimeoutMs: _e, disabled: _d, ...beaconOverrides } = options;
    const definedOverrides = Object.fromEntries(Object.entries(beaconOverrides).filter(([, v]) => v !== undefined));
    this.beacon = new Beacon({
      ...defaults,
      ...definedOverrides,
      apiKey: apiKey!,
      baseUrl,
      backoff: { ...defaults.backoff, ...backoff },
    });
    if (options.flushOnExit !== false) flushOnExit(this.beacon, options.exitFlushTimeoutMs ?? 5000);
    registry.add(this);
  }

  /** Start observing a call. Returns null when the call is not to be logged (disabled or sampled out). */
  begin(start: CallStart): PendingCall | null {
    if (!this.beacon) return null;
    this.counts.observed++;
    const rate = start.sampleRate ?? this.sampleRate;
    if (rate < 1 && Math.random() >= rate) {
      this.counts.sampledOut++;
      return null;
    }
    const tags = mergeTags(mergeTags(mergeTags(this.tags, start.clientTags), currentTags()), start.callTags);
    return {
      id: newEventId(),
      startedAt: Date.now(),
      t0: clock(),
      provider: start.provider,
      endpoint: start.endpoint,
      request: start.request,
      tags: tags && Object.keys(tags).length > 0 ? tags : undefined,
      batch: start.batch,
      finished: false,
    };
  }

  /** Finish a call: build its event and queue it. Safe to call twice (the second is ignored). */
  finish(call: PendingCall, outcome: CallOutcome): void {
    if (call.finished || !this.beacon) return;
    call.finished = true;
    try {
      const event = buildEvent(call, outcome);
      this.queue(event, call.requestJson);
    } catch (err) {
      this.internalError(err);
    }
  }

  /** Queue a complete event (e.g. one built from a provider batch output file, or your own). */
  log(event: IngestEvent): void {
    if (!this.beacon) return;
    try {
      this.queue(event);
    } catch (err) {
      this.internalError(err);
    }
  }

  private queue(event: IngestEvent, requestJson?: string): void {
    let out: IngestEvent = event;
    if (this.redactHook) {
      try {
        if (requestJson !== undefined) {
          out = { ...event, request: JSON.parse(requestJson) as Record<string, unknown> };
          requestJson = undefined;
        }
        const edited = this.redactHook(out);
        if (edited === null) {
          this.counts.redactedOut++;
          return;
        }
        if (edited) out = edited;
      } catch {
        this.counts.redactedOut++;
        return;
      }
    }
    this.beacon!.enqueue(serializeEvent(out, requestJson));
  }

  /** Something went wrong inside the SDK: count it, tell onError, never throw. */
  internalError(err: unknown): void {
    this.counts.internalErrors++;
    try {
      this.onError?.(new SpendlensError("internal", `internal: ${err instanceof Error ? err.message : String(err)}`));
    } catch {
      // ignore
    }
  }

  stats(): SpendlensStats {
    const beacon: BeaconStats = this.beacon?.stats() ?? {
      enqueued: 0,
      accepted: 0,
      duplicates: 0,
      rejected: 0,
      dropped: 0,
      failed: 0,
      queued: 0,
      queuedBytes: 0,
      requests: 0,
      retries: 0,
      lastStatus: null,
      lastError: null,
    };
    return { ...beacon, ...this.counts };
  }

  /** Work that will still log events (e.g. reading a downloaded batch result file): flush waits for it. */
  private readonly inflight = new Set<Promise<unknown>>();

  /** Track background work that logs events, so flush() and shutdown() include what it logs. */
  track(work: Promise<unknown>): void {
    const settled = work.catch(() => {}).finally(() => this.inflight.delete(settled));
    this.inflight.add(settled);
  }

  /** Wait for tracked work, at most `timeoutMs`. */
  private async settleInflight(timeoutMs: number): Promise<void> {
    if (this.inflight.size === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
      (timer as { unref?: () => void }).unref?.();
    });
    await Promise.race([Promise.allSettled([...this.inflight]), timeout]);
    clearTimeout(timer);
  }

  /** Deliver what is queued (waiting out retries up to `timeoutMs`, default 10 s). Never rejects. */
  async flush(timeoutMs?: number): Promise<SpendlensStats> {
    await this.settleInflight(timeoutMs ?? 10_000);
    await this.beacon?.flush(timeoutMs);
    return this.stats();
  }

  /** Flush, then stop: later calls are still made but no longer logged. Never rejects. */
  async shutdown(timeoutMs?: number): Promise<SpendlensStats> {
    await this.settleInflight(timeoutMs ?? 10_000);
    if (this.beacon) {
      await this.beacon.shutdown(timeoutMs);
      stopFlushOnExit(this.beacon);
    }
    registry.delete(this);
    return this.stats();
  }
}

const registry = new Set<Spendlens>();
const shared = new Map<string, Spendlens>();

/**
 * The instance the module-level helpers use: one per (apiKey, baseUrl), created with the first options
 * seen for that pair. An explicit `new Spendlens(...)` is the way to run two differently tuned beacons.
 */
export function sharedSpendlens(options: SpendlensOptions = {}): Spendlens {
  const key = `${options.apiKey ?? env("SPENDLENS_API_KEY") ?? ""}|${options.baseUrl ?? env("SPENDLENS_URL") ?? ""}|${options.disabled ? "off" : "on"}`;
  let instance = shared.get(key);
  if (!instance) {
    instance = new Spendlens(options);
    shared.set(key, instance);
  }
  return instance;
}

/**
 * The instance a wrapper logs to: the given one, else the shared one for `options`. A bad configuration
 * (e.g. a malformed baseUrl) must not leave the client unwrapped — the per-call `spendlens` field would
 * then reach the provider — so it yields a disabled instance and a warning instead of an exception.
 */
export function instanceFor(given: Spendlens | undefined, options: SpendlensOptions): Spendlens {
  if (given) return given;
  try {
    return sharedSpendlens(options);
  } catch (err) {
    console.warn(`[spendlens] ${err instanceof Error ? err.message : String(err)}; calls are not logged`);
    return new Spendlens({ disabled: true });
  }
}

/** Every live instance at once: `await spendlens.flush()` in a serverless handler before it returns. */
export const spendlens = {
  /** Flush every instance; resolves when all are delivered or `timeoutMs` (default 10 s) passed. */
  async flush(timeoutMs?: number): Promise<void> {
    await Promise.all([...registry].map((s) => s.flush(timeoutMs)));
  },
  /** Flush and stop every instance. */
  async shutdown(timeoutMs?: number): Promise<void> {
    const all = [...registry];
    await Promise.all(all.map((s) => s.shutdown(timeoutMs)));
    for (const [key, s] of shared) if (all.includes(s)) shared.delete(key);
  },
  /** Stats summed over every instance. */
  stats(): SpendlensStats {
    const all = [...registry].map((s) => s.stats());
    const sum = (k: keyof SpendlensStats) => all.reduce((n, st) => n + (st[k] as number), 0);
    const last = all.filter((st) => st.lastStatus !== null).at(-1);
    return {
      enqueued: sum("enqueued"),
      accepted: sum("accepted"),
      duplicates: sum("duplicates"),
      rejected: sum("rejected"),
      dropped: sum("dropped"),
      failed: sum("failed"),
      queued: sum("queued"),
      queuedBytes: sum("queuedBytes"),
      requests: sum("requests"),
      retries: sum("retries"),
      observed: sum("observed"),
      sampledOut: sum("sampledOut"),
      redactedOut: sum("redactedOut"),
      internalErrors: sum("internalErrors"),
      lastStatus: last?.lastStatus ?? null,
      lastError: all.map((st) => st.lastError).filter((e) => e !== null).at(-1) ?? null,
    };
  },
};
