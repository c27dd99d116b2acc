// POST /api/v1/ingest, framework-free (a Fetch Request in, a Response out) so the Next route, the SDK's
// and proxy's tests and the benchmark all mount the same code. See docs/ingest.md for the contract.
import { keyFromAuthorization, verifyApiKey, type VerifiedKey } from "../auth/api-keys";
import { BodyError, readLimitedBody } from "./body";
import { isDatabaseUnavailable } from "./db-unavailable";
import type { IngestEvent } from "./event";
import { parseJsonlText } from "./jsonl";
import { ingestTokensAvailable, takeIngestTokens } from "./rate-limit";
import { validateEvent } from "./validate";
import { writeEvents, type IngestSource } from "./writer";

export const INGEST_MAX_EVENTS = 1000;

/** Body limit in bytes, compressed and decompressed (INGEST_MAX_BODY_BYTES, default 5 MiB). */
export function ingestMaxBytes(): number {
  const v = Number(process.env.INGEST_MAX_BODY_BYTES);
  return Number.isFinite(v) && v > 0 ? v : 5 * 1024 * 1024;
}

/** Seconds a client should wait before retrying when the database is unreachable. */
const DB_RETRY_AFTER_SEC = 5;

/** Sources a client may claim with X-Spendlens-Source (others are set by server-side producers only). */
const CLIENT_SOURCES = new Set<IngestSource>(["api", "sdk", "import"]);

export type IngestRejection = { index: number; field: string; message: string };
export type IngestResponseBody = { accepted: number; duplicates: number; rejected: IngestRejection[] };

export function jsonError(status: number, message: string, headers: Record<string, string> = {}): Response {
  return Response.json({ error: message }, { status, headers });
}

/**
 * The project behind `Authorization: Bearer <project key>`, or the 401/403 Response to send.
 * Throws when the database is unreachable (callers map that to 503).
 */
export async function authenticateProjectKey(req: Request): Promise<VerifiedKey | Response> {
  const header = req.headers.get("authorization");
  const key = keyFromAuthorization(header);
  if (header && !key) return jsonError(401, "Authorization header must be `Bearer <project API key>`", { "WWW-Authenticate": "Bearer" });
  const verified = await verifyApiKey(key);
  if ("error" in verified) {
    const messages = {
      missing: "missing project API key: send `Authorization: Bearer sl_...`",
      malformed: "malformed project API key",
      invalid: "invalid project API key",
      revoked: "this project API key has been revoked",
    } as const;
    return jsonError(verified.error === "revoked" ? 403 : 401, messages[verified.error], { "WWW-Authenticate": "Bearer" });
  }
  return verified;
}

/** Map an unexpected failure to 503 (database unreachable, retry) or 500. */
export function failureResponse(err: unknown, where: string): Response {
  if (err instanceof BodyError) return jsonError(err.status, err.message);
  if (isDatabaseUnavailable(err)) {
    return jsonError(503, "the database is unreachable; retry later", { "Retry-After": String(DB_RETRY_AFTER_SEC) });
  }
  console.error(`[${where}] unexpected error`, err);
  return jsonError(500, "internal error");
}

function parseBatch(body: Buffer, contentType: string): { items: unknown[] } | { error: string } {
  const text = body.toString("utf8");
  if (/ndjson|jsonl|jsonlines/i.test(contentType)) {
    const lines = parseJsonlText(text);
    if ("error" in lines) return lines;
    return { items: lines.values };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { error: `body is not valid JSON: ${(err as Error).message}` };
  }
  if (Array.isArray(parsed)) return { items: parsed };
  if (parsed && typeof parsed === "object" && Array.isArray((parsed as { events?: unknown }).events)) {
    return { items: (parsed as { events: unknown[] }).events };
  }
  return { error: 'body must be {"events": [...]} or a JSON array of events' };
}

export async function handleIngestRequest(req: Request): Promise<Response> {
  if (req.method !== "POST") return jsonError(405, "use POST", { Allow: "POST" });
  try {
    const auth = await authenticateProjectKey(req);
    if (auth instanceof Response) return auth;

    const early = ingestTokensAvailable(auth.keyId);
    if (!early.ok) return jsonError(429, "rate limit exceeded for this key", { "Retry-After": String(early.retryAfterSec) });

    const maxBytes = ingestMaxBytes();
    const body = await readLimitedBody(req, maxBytes);
    const batch = parseBatch(body, req.headers.get("content-type") ?? "");
    if ("error" in batch) return jsonError(400, batch.error);
    if (batch.items.length === 0) return jsonError(400, "no events in the batch");
    if (batch.items.length > INGEST_MAX_EVENTS) {
      return jsonError(413, `${batch.items.length} events in one batch; the limit is ${INGEST_MAX_EVENTS}`);
    }

    const rate = takeIngestTokens(auth.keyId, batch.items.length);
    if (!rate.ok) return jsonError(429, "rate limit exceeded for this key", { "Retry-After": String(rate.retryAfterSec) });

    const valid: IngestEvent[] = [];
    const rejected: IngestRejection[] = [];
    const now = Date.now();
    for (let i = 0; i < batch.items.length; i++) {
      const r = validateEvent(batch.items[i], now);
      if (r.ok) valid.push(r.event);
      else for (const e of r.errors) rejected.push({ index: i, field: e.field ? `events[${i}].${e.field}` : `events[${i}]`, message: e.message });
    }
    if (valid.length === 0) {
      const out: IngestResponseBody = { accepted: 0, duplicates: 0, rejected };
      return Response.json({ error: "no valid event in the batch", ...out }, { status: 400 });
    }

    const claimed = (req.headers.get("x-spendlens-source") ?? "api").toLowerCase() as IngestSource;
    const source: IngestSource = CLIENT_SOURCES.has(claimed) ? claimed : "api";
    const result = await writeEvents({ projectId: auth.projectId, organizationId: auth.organizationId, source }, valid);
    const out: IngestResponseBody = { accepted: valid.length, duplicates: result.duplicates, rejected };
    return Response.json(out, { status: rejected.length > 0 ? 207 : 200 });
  } catch (err) {
    return failureResponse(err, "ingest");
  }
}
