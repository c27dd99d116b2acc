// Which provider API an event is (decides how its usage and output are read), and which model it used.
import type { IngestEvent } from "./event";

export type ApiKind =
  | "openai.chat"
  | "openai.responses"
  | "openai.embeddings"
  | "openai.completions"
  | "anthropic.messages"
  | "google.generateContent"
  | "google.embedContent"
  | "bedrock.converse"
  | "unknown";

function obj(v: unknown): Record<string, unknown> | null {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

/** Decide by endpoint first (what the client called), then by provider and body shape. */
export function apiKindOf(event: Pick<IngestEvent, "provider" | "endpoint" | "request" | "response">): ApiKind {
  const ep = event.endpoint.toLowerCase();
  const provider = event.provider.toLowerCase();
  if (ep.includes(":generatecontent") || ep.includes(":streamgeneratecontent")) return "google.generateContent";
  if (ep.includes(":embedcontent") || ep.includes(":batchembedcontents")) return "google.embedContent";
  if (ep.includes("/converse")) return "bedrock.converse";
  if (ep.includes("/chat/completions")) return "openai.chat";
  if (ep.includes("/responses")) return "openai.responses";
  if (ep.includes("/embeddings")) return "openai.embeddings";
  if (ep.includes("/messages") && !ep.includes("/threads/")) return "anthropic.messages";
  if (ep.endsWith("/completions") || ep.endsWith("/completions/")) return "openai.completions";

  const req = event.request;
  const res = obj(event.response);
  const usage = obj(res?.usage);
  if (res?.usageMetadata || Array.isArray(req.contents)) return "google.generateContent";
  if (provider === "anthropic" || (usage && "cache_read_input_tokens" in usage) || res?.type === "message") return "anthropic.messages";
  if (res?.object === "response") return "openai.responses";
  if (res?.object === "list" || "encoding_format" in req || "dimensions" in req) return "openai.embeddings";
  if (req.input !== undefined && req.messages === undefined) return "openai.responses";
  if (Array.isArray(req.messages)) return provider === "anthropic" ? "anthropic.messages" : "openai.chat";
  if (typeof req.prompt === "string" || Array.isArray(req.prompt)) return "openai.completions";
  return "unknown";
}

const PATH_MODEL_RE = /\/models\/([^/:?]+)(?::|\/|$|\?)/i;
const AZURE_DEPLOYMENT_RE = /\/deployments\/([^/?]+)/i;
const BEDROCK_MODEL_RE = /\/model\/([^/?]+)\/(?:converse|invoke)/i;

function nonEmpty(v: unknown): string | null {
  return typeof v === "string" && v.trim().length > 0 ? v.trim() : null;
}

/**
 * The model of a call: what the provider reports it served (response.model / modelVersion, e.g. a dated
 * snapshot), else what was asked for (request.model), else the model or Azure deployment in the path.
 */
export function resolveModel(event: Pick<IngestEvent, "endpoint" | "request" | "response">): string | null {
  const res = obj(event.response);
  const fromResponse = nonEmpty(res?.model) ?? nonEmpty(res?.modelVersion);
  if (fromResponse) return fromResponse;
  const fromRequest = nonEmpty(event.request.model);
  if (fromRequest) return fromRequest;
  const ep = event.endpoint;
  const m = PATH_MODEL_RE.exec(ep) ?? BEDROCK_MODEL_RE.exec(ep) ?? AZURE_DEPLOYMENT_RE.exec(ep);
  return m ? decodePathSegment(m[1]) : null;
}

/** A path segment %-decoded; a malformed escape (a client's "%E0%A4%A") keeps the raw text instead of throwing. */
function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
