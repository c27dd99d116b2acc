// Hand-written validator for ingest events: it sits on the hot path (tens of thousands of events/s),
// where a schema library cost ~24% end to end. Errors name the field the way a client sees it
// ("timestamp", "tags.feature", "request.model"); the HTTP layer prefixes the batch position.
import type { IngestEvent } from "./event";
import { resolveModel } from "./api-kind";

export type ValidationError = { field: string; message: string };
export type ValidationResult = { ok: true; event: IngestEvent } | { ok: false; errors: ValidationError[] };

export const EVENT_LIMITS = {
  idMaxChars: 128,
  providerMaxChars: 64,
  endpointMaxChars: 512,
  tagsMaxKeys: 64,
  tagKeyMaxChars: 64,
  tagValueMaxChars: 1024,
  serviceTierMaxChars: 64,
  /** A latency above a day is a client bug (e.g. seconds since epoch sent as ms), not a slow call. */
  latencyMaxMs: 86_400_000,
  /** Oldest accepted timestamp; newest is now + maxFutureMs (clock skew). */
  minTimestamp: Date.UTC(2010, 0, 1),
  maxFutureMs: 24 * 3_600_000,
  /**
   * Deepest nesting of a request/response body. No provider body comes near it (deep tool schemas reach
   * ~30); deeper JSON would overflow the stack of the recursive redaction and serialisation that store it.
   */
  bodyMaxDepth: 100,
} as const;

// ISO 8601 date-time; a missing offset is read as UTC (common with naive `datetime.utcnow().isoformat()`).
const ISO_RE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** True when objects/arrays nest more than `levels` deep below `value` (recursion bounded by `levels`). */
function nestedDeeperThan(value: object, levels: number): boolean {
  if (levels <= 0) return true;
  if (Array.isArray(value)) {
    for (const v of value) if (typeof v === "object" && v !== null && nestedDeeperThan(v, levels - 1)) return true;
    return false;
  }
  for (const k in value) {
    const v = (value as Record<string, unknown>)[k];
    if (typeof v === "object" && v !== null && nestedDeeperThan(v, levels - 1)) return true;
  }
  return false;
}

/** Parse an event timestamp (ISO 8601, offset optional = UTC). NaN when unparseable. */
export function parseEventTimestamp(s: string): number {
  const m = ISO_RE.exec(s);
  if (!m) return NaN;
  let text = s.replace(" ", "T");
  // JS Date accepts at most millisecond precision reliably: cut extra fraction digits.
  text = text.replace(/(\.\d{3})\d+/, "$1");
  if (!m[1]) text += "Z";
  return Date.parse(text);
}

export function validateEvent(raw: unknown, now: number = Date.now()): ValidationResult {
  if (!isPlainObject(raw)) return { ok: false, errors: [{ field: "", message: "must be a JSON object" }] };
  const errors: ValidationError[] = [];
  const fail = (field: string, message: string) => errors.push({ field, message });

  const id = raw.id;
  if (typeof id !== "string") fail("id", "required string (the idempotency key)");
  else if (id.length < 1 || id.length > EVENT_LIMITS.idMaxChars) fail("id", `must be 1-${EVENT_LIMITS.idMaxChars} characters`);

  const timestamp = raw.timestamp;
  if (typeof timestamp !== "string") fail("timestamp", "required ISO 8601 string");
  else {
    const t = parseEventTimestamp(timestamp);
    if (Number.isNaN(t)) fail("timestamp", `not an ISO 8601 date-time: ${JSON.stringify(timestamp.slice(0, 40))}`);
    else if (t < EVENT_LIMITS.minTimestamp) fail("timestamp", "before 2010-01-01");
    else if (t > now + EVENT_LIMITS.maxFutureMs) fail("timestamp", "more than 24 h in the future");
  }

  const provider = raw.provider;
  if (typeof provider !== "string" || provider.length === 0) fail("provider", 'required non-empty string, e.g. "openai"');
  else if (provider.length > EVENT_LIMITS.providerMaxChars) fail("provider", `at most ${EVENT_LIMITS.providerMaxChars} characters`);

  const endpoint = raw.endpoint;
  if (typeof endpoint !== "string" || endpoint.length === 0) fail("endpoint", 'required non-empty string, e.g. "/v1/chat/completions"');
  else if (endpoint.length > EVENT_LIMITS.endpointMaxChars) fail("endpoint", `at most ${EVENT_LIMITS.endpointMaxChars} characters`);

  const request = raw.request;
  if (!isPlainObject(request)) fail("request", "required object (the provider request body)");
  else if (request.model !== undefined && typeof request.model !== "string") fail("request.model", "must be a string");
  else if (nestedDeeperThan(request, EVENT_LIMITS.bodyMaxDepth)) fail("request", `nested more than ${EVENT_LIMITS.bodyMaxDepth} levels deep`);

  const response = raw.response === undefined ? null : raw.response;
  if (response !== null && !isPlainObject(response)) fail("response", "must be an object (the provider response body) or null");
  else if (response !== null && nestedDeeperThan(response, EVENT_LIMITS.bodyMaxDepth)) fail("response", `nested more than ${EVENT_LIMITS.bodyMaxDepth} levels deep`);

  let error: IngestEvent["error"];
  if (raw.error !== undefined && raw.error !== null) {
    const e = raw.error;
    if (!isPlainObject(e)) fail("error", "must be an object {status, message}");
    else {
      if (typeof e.status !== "number" || !Number.isInteger(e.status) || e.status < 0 || e.status > 999)
        fail("error.status", "required integer 0-999 (HTTP status, 0 for a network error)");
      if (typeof e.message !== "string") fail("error.message", "required string");
      if (errors.length === 0) error = { status: e.status as number, message: e.message as string };
    }
  }

  const latency = raw.latency_ms;
  if (typeof latency !== "number" || !Number.isFinite(latency)) fail("latency_ms", "required number (milliseconds)");
  else if (latency < 0) fail("latency_ms", "must be >= 0");
  else if (latency > EVENT_LIMITS.latencyMaxMs) fail("latency_ms", "must be at most 86400000 (one day)");

  const ttft = raw.ttft_ms;
  if (ttft !== undefined && ttft !== null) {
    if (typeof ttft !== "number" || !Number.isFinite(ttft)) fail("ttft_ms", "must be a number (milliseconds)");
    else if (ttft < 0) fail("ttft_ms", "must be >= 0");
    else if (ttft > EVENT_LIMITS.latencyMaxMs) fail("ttft_ms", "must be at most 86400000 (one day)");
  }

  let tags: IngestEvent["tags"];
  if (raw.tags !== undefined && raw.tags !== null) {
    const t = raw.tags;
    if (!isPlainObject(t)) fail("tags", "must be an object of string values");
    else {
      const keys = Object.keys(t);
      if (keys.length > EVENT_LIMITS.tagsMaxKeys) fail("tags", `at most ${EVENT_LIMITS.tagsMaxKeys} tags`);
      tags = {};
      for (const k of keys) {
        const v = t[k];
        if (v === undefined || v === null) continue;
        if (k.length === 0 || k.length > EVENT_LIMITS.tagKeyMaxChars) fail(`tags.${k}`, `tag names are 1-${EVENT_LIMITS.tagKeyMaxChars} characters`);
        else if (typeof v !== "string") fail(`tags.${k}`, "must be a string");
        else if (v.length > EVENT_LIMITS.tagValueMaxChars) fail(`tags.${k}`, `at most ${EVENT_LIMITS.tagValueMaxChars} characters`);
        else tags[k] = v;
      }
    }
  }

  if (raw.batch !== undefined && raw.batch !== null && typeof raw.batch !== "boolean") fail("batch", "must be a boolean");
  const tier = raw.service_tier;
  if (tier !== undefined && tier !== null) {
    if (typeof tier !== "string") fail("service_tier", "must be a string");
    else if (tier.length > EVENT_LIMITS.serviceTierMaxChars) fail("service_tier", `at most ${EVENT_LIMITS.serviceTierMaxChars} characters`);
  }

  if (errors.length > 0) return { ok: false, errors };

  const event: IngestEvent = {
    id: id as string,
    timestamp: timestamp as string,
    provider: provider as string,
    endpoint: endpoint as string,
    request: request as Record<string, unknown>,
    response: response as Record<string, unknown> | null,
    latency_ms: latency as number,
  };
  if (error) event.error = error;
  if (typeof ttft === "number") event.ttft_ms = ttft;
  if (tags && Object.keys(tags).length > 0) event.tags = tags;
  if (raw.batch === true) event.batch = true;
  if (typeof tier === "string") event.service_tier = tier;

  // Pricing needs a model: without one anywhere the call could never be priced or grouped.
  if (resolveModel(event) === null) {
    return {
      ok: false,
      errors: [{ field: "request.model", message: "required: no model in request.model, response.model or the endpoint path" }],
    };
  }
  return { ok: true, event };
}
