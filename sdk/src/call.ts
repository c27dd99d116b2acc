// One observed LLM call, from the moment the app makes it to the event put on the beacon's queue.
import type { IngestEvent, Provider, Tags } from "./event.js";

export type PendingCall = {
  id: string;
  /** Epoch ms when the call started (the event timestamp). */
  startedAt: number;
  /** performance.now() when the call started (for latency). */
  t0: number;
  provider: Provider;
  endpoint: string;
  /** The body sent to the provider. */
  request: Record<string, unknown>;
  /** The request already serialised, for streams: the app may reuse its objects while the stream runs. */
  requestJson?: string;
  tags: Tags | undefined;
  batch?: boolean;
  finished: boolean;
};

export type CallOutcome = {
  response: Record<string, unknown> | null;
  error?: { status: number; message: string };
  /** performance.now() of the first token, for streams. */
  firstTokenAt?: number;
  /** performance.now() when the call ended (default: now). */
  endedAt?: number;
};

const now: () => number =
  typeof performance !== "undefined" && typeof performance.now === "function" ? () => performance.now() : () => Date.now();

export function clock(): number {
  return now();
}

let counter = 0;

/** A new event id: a UUID where the runtime has one, else time + counter + randomness (still unique). */
export function newEventId(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (c?.randomUUID) return c.randomUUID();
  counter = (counter + 1) % 0x1000000;
  return `${Date.now().toString(36)}-${counter.toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}

export function buildEvent(call: PendingCall, outcome: CallOutcome): IngestEvent {
  const end = outcome.endedAt ?? now();
  const event: IngestEvent = {
    id: call.id,
    timestamp: new Date(call.startedAt).toISOString(),
    provider: call.provider,
    endpoint: call.endpoint,
    request: call.request,
    response: outcome.response,
    latency_ms: Math.max(0, Math.round(end - call.t0)),
  };
  if (outcome.error) event.error = outcome.error;
  if (outcome.firstTokenAt !== undefined) event.ttft_ms = Math.max(0, Math.round(outcome.firstTokenAt - call.t0));
  if (call.tags) event.tags = call.tags;
  if (call.batch) event.batch = true;
  const tier = outcome.response?.service_tier;
  if (typeof tier === "string") event.service_tier = tier;
  return event;
}

/** JSON of an event; splices in a request serialised earlier instead of serialising it again. */
export function serializeEvent(event: IngestEvent, requestJson?: string): string {
  if (requestJson === undefined) return JSON.stringify(event);
  const { request: _request, ...rest } = event;
  const tail = JSON.stringify(rest);
  return `{"request":${requestJson},${tail.slice(1)}`;
}

/** status + message of whatever the provider SDK threw (APIError has .status; network errors do not). */
export function describeError(err: unknown): { status: number; message: string } {
  const e = err as { status?: unknown; message?: unknown; name?: unknown } | null;
  const status = typeof e?.status === "number" ? e.status : isAbort(err) ? 499 : 0;
  const message = typeof e?.message === "string" && e.message ? e.message : String(err);
  return { status, message: message.slice(0, 2000) };
}

function isAbort(err: unknown): boolean {
  const name = (err as { name?: unknown } | null)?.name;
  return name === "AbortError" || name === "APIUserAbortError";
}
