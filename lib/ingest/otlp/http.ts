// POST /api/v1/otel/v1/traces: OTLP/HTTP trace exports (protobuf or JSON, optionally gzip) from apps
// instrumented with OpenTelemetry / OpenLLMetry. gen_ai spans become ingest events and go through the
// same validation and writer as /api/v1/ingest; other spans are ignored. Auth: the project key as
// `Authorization: Bearer sl_...` (OTEL_EXPORTER_OTLP_HEADERS).
import { readLimitedBody } from "../body";
import type { IngestEvent } from "../event";
import { authenticateProjectKey, failureResponse, INGEST_MAX_EVENTS, ingestMaxBytes, jsonError } from "../http";
import { ingestTokensAvailable, takeIngestTokens } from "../rate-limit";
import { validateEvent } from "../validate";
import { writeEvents } from "../writer";
import { decodeTraceRequest, encodeTraceResponse } from "./proto";
import { spansOf, spanToEvent } from "./spans";

export type OtlpResult = { events: IngestEvent[]; rejected: Array<{ spanId: string; field: string; message: string }>; skipped: number };

/** The LLM calls of an export request (decoded to the OTLP/JSON shape), validated. */
export function otlpRequestToEvents(request: unknown, now: number = Date.now()): OtlpResult {
  const out: OtlpResult = { events: [], rejected: [], skipped: 0 };
  for (const { span, resource } of spansOf(request)) {
    const converted = spanToEvent(span, resource);
    if (converted.kind === "skip") {
      out.skipped++;
      continue;
    }
    const r = validateEvent(converted.event, now);
    if (r.ok) out.events.push(r.event);
    else for (const e of r.errors) out.rejected.push({ spanId: String(span.spanId ?? ""), field: e.field, message: e.message });
  }
  return out;
}

function reply(protobuf: boolean, rejectedSpans: number, errorMessage: string): Response {
  const partial = rejectedSpans > 0 ? { rejectedSpans, errorMessage } : null;
  if (protobuf) {
    return new Response(Buffer.from(encodeTraceResponse(partial)), { status: 200, headers: { "content-type": "application/x-protobuf" } });
  }
  return Response.json(partial ? { partialSuccess: { rejectedSpans: String(rejectedSpans), errorMessage } } : {}, { status: 200 });
}

export async function handleOtlpRequest(req: Request): Promise<Response> {
  if (req.method !== "POST") return jsonError(405, "use POST", { Allow: "POST" });
  try {
    const auth = await authenticateProjectKey(req);
    if (auth instanceof Response) return auth;
    const early = ingestTokensAvailable(auth.keyId);
    if (!early.ok) return jsonError(429, "rate limit exceeded for this key", { "Retry-After": String(early.retryAfterSec) });

    const contentType = (req.headers.get("content-type") ?? "").toLowerCase();
    const protobuf = contentType.includes("protobuf");
    if (!protobuf && !contentType.includes("json")) {
      return jsonError(415, "Content-Type must be application/x-protobuf or application/json");
    }
    const body = await readLimitedBody(req, ingestMaxBytes());
    let decoded: unknown;
    try {
      decoded = protobuf ? decodeTraceRequest(body) : JSON.parse(body.toString("utf8"));
    } catch (err) {
      return jsonError(400, `not a valid OTLP ExportTraceServiceRequest: ${(err as Error).message}`);
    }
    const { events, rejected } = otlpRequestToEvents(decoded);
    if (events.length > 0) {
      const rate = takeIngestTokens(auth.keyId, events.length);
      if (!rate.ok) return jsonError(429, "rate limit exceeded for this key", { "Retry-After": String(rate.retryAfterSec) });
    }
    for (let i = 0; i < events.length; i += INGEST_MAX_EVENTS) {
      await writeEvents(
        { projectId: auth.projectId, organizationId: auth.organizationId, source: "otlp" },
        events.slice(i, i + INGEST_MAX_EVENTS),
      );
    }
    const rejectedSpans = new Set(rejected.map((r) => r.spanId)).size;
    const message = rejected
      .slice(0, 5)
      .map((r) => `span ${r.spanId}: ${r.field} ${r.message}`)
      .join("; ");
    return reply(protobuf, rejectedSpans, message);
  } catch (err) {
    return failureResponse(err, "otlp");
  }
}
