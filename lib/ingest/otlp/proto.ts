// Decode/encode OTLP/HTTP protobuf trace exports with protobufjs, from the committed trace.proto.
import { readFileSync } from "node:fs";
import path from "node:path";
import protobuf from "protobufjs";

let types: { request: protobuf.Type; response: protobuf.Type } | null = null;

function protoText(): string {
  try {
    return readFileSync(new URL("./trace.proto", import.meta.url), "utf8");
  } catch {
    // Bundled server code (Next.js) may not sit next to the file: fall back to the source tree.
    return readFileSync(path.resolve(process.cwd(), "lib/ingest/otlp/trace.proto"), "utf8");
  }
}

function load() {
  if (!types) {
    const root = protobuf.parse(protoText(), { keepCase: false }).root;
    types = {
      request: root.lookupType("opentelemetry.proto.ExportTraceServiceRequest"),
      response: root.lookupType("opentelemetry.proto.ExportTraceServiceResponse"),
    };
  }
  return types;
}

function hex(v: unknown): string {
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("hex");
  return typeof v === "string" ? v : "";
}

/** Rewrite bytes fields (trace/span ids) to hex strings, as in OTLP/JSON. */
function idsToHex(o: unknown): void {
  if (Array.isArray(o)) {
    for (const x of o) idsToHex(x);
    return;
  }
  if (!o || typeof o !== "object" || o instanceof Uint8Array) return;
  const rec = o as Record<string, unknown>;
  for (const [k, v] of Object.entries(rec)) {
    if (k === "traceId" || k === "spanId" || k === "parentSpanId") rec[k] = hex(v);
    else if (k === "bytesValue" && v instanceof Uint8Array) rec[k] = Buffer.from(v).toString("base64");
    else idsToHex(v);
  }
}

/** A protobuf ExportTraceServiceRequest as the same plain object shape OTLP/JSON uses (camelCase, hex ids, string int64s). */
export function decodeTraceRequest(buf: Uint8Array): unknown {
  const { request } = load();
  const message = request.decode(buf);
  const obj = request.toObject(message, { longs: String, enums: Number, defaults: false, arrays: true, oneofs: false });
  idsToHex(obj);
  return obj;
}

export function encodeTraceResponse(partial: { rejectedSpans: number; errorMessage: string } | null): Uint8Array {
  const { response } = load();
  const payload = partial ? { partialSuccess: { rejectedSpans: partial.rejectedSpans, errorMessage: partial.errorMessage } } : {};
  return response.encode(response.fromObject(payload)).finish();
}
