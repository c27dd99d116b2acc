// Turns a logged request into the request a replay sends: another model, the same API (or a
// text-only conversion between OpenAI chat and Anthropic messages), no streaming, and an output cap
// so the cost of every request is bounded before it is sent.
import type { ReplayApi } from "./client";
import { apiOfEndpoint } from "./client";

export type PreparedRequest =
  | { ok: true; api: ReplayApi; body: Record<string, unknown>; maxOutputTokens: number; notes: string[] }
  | { ok: false; reason: string };

function obj(v: unknown): Record<string, unknown> | null {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

function textOnly(content: unknown): string | null {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return null;
  const parts: string[] = [];
  for (const p of content) {
    const part = obj(p);
    if (!part || typeof part.text !== "string") return null; // images, tool blocks: not convertible
    parts.push(part.text);
  }
  return parts.join("\n");
}

function existingCap(api: ReplayApi, body: Record<string, unknown>): number | null {
  const keys = api === "openai.chat" ? ["max_completion_tokens", "max_tokens"] : api === "openai.responses" ? ["max_output_tokens"] : ["max_tokens"];
  for (const k of keys) if (typeof body[k] === "number" && (body[k] as number) > 0) return body[k] as number;
  return null;
}

// Reasoning-model families on OpenAI refuse max_tokens and need max_completion_tokens.
const COMPLETION_TOKENS_MODEL_RE = /^(o\d|gpt-5)/i;

function setCap(api: ReplayApi, body: Record<string, unknown>, model: string, cap: number): void {
  if (api === "openai.chat") {
    if ("max_completion_tokens" in body || COMPLETION_TOKENS_MODEL_RE.test(model)) {
      delete body.max_tokens;
      body.max_completion_tokens = cap;
    } else body.max_tokens = cap;
  } else if (api === "openai.responses") body.max_output_tokens = cap;
  else body.max_tokens = cap;
}

function chatToAnthropic(body: Record<string, unknown>, notes: string[]): Record<string, unknown> | string {
  if (Array.isArray(body.tools) && body.tools.length) return "requests with tools cannot be converted from OpenAI chat to Anthropic messages";
  const system: string[] = [];
  const messages: { role: string; content: string }[] = [];
  for (const m of Array.isArray(body.messages) ? body.messages : []) {
    const mm = obj(m);
    const text = textOnly(mm?.content);
    if (!mm || text === null) return "a message has non-text content";
    if (mm.role === "system" || mm.role === "developer") system.push(text);
    else if (mm.role === "user" || mm.role === "assistant") messages.push({ role: mm.role, content: text });
    else return `message role "${String(mm.role)}" cannot be converted`;
  }
  if (body.response_format) notes.push("response_format dropped (Anthropic has no equivalent)");
  const out: Record<string, unknown> = { messages };
  if (system.length) out.system = system.join("\n\n");
  if (typeof body.temperature === "number") out.temperature = Math.min(1, body.temperature);
  if (typeof body.top_p === "number") out.top_p = body.top_p;
  if (body.stop !== undefined) out.stop_sequences = Array.isArray(body.stop) ? body.stop : [body.stop];
  if (typeof body.max_tokens === "number") out.max_tokens = body.max_tokens;
  if (typeof body.max_completion_tokens === "number") out.max_tokens = body.max_completion_tokens;
  return out;
}

function anthropicToChat(body: Record<string, unknown>): Record<string, unknown> | string {
  if (Array.isArray(body.tools) && body.tools.length) return "requests with tools cannot be converted from Anthropic messages to OpenAI chat";
  const messages: { role: string; content: string }[] = [];
  if (body.system !== undefined) {
    const sys = textOnly(body.system);
    if (sys === null) return "the system prompt has non-text content";
    messages.push({ role: "system", content: sys });
  }
  for (const m of Array.isArray(body.messages) ? body.messages : []) {
    const mm = obj(m);
    const text = textOnly(mm?.content);
    if (!mm || text === null) return "a message has non-text content";
    messages.push({ role: String(mm.role), content: text });
  }
  const out: Record<string, unknown> = { messages };
  for (const k of ["temperature", "top_p", "max_tokens"]) if (body[k] !== undefined) out[k] = body[k];
  if (Array.isArray(body.stop_sequences)) out.stop = body.stop_sequences;
  return out;
}

export type PrepareOptions = {
  /** The model to replay on. */
  model: string;
  /** The API of the endpoint that will answer (from the credential's provider). */
  targetApi: ReplayApi;
  /** Output cap for the replay; the request's own cap wins when lower. */
  maxOutputTokens: number;
};

/** The replay request for a logged call, or why it cannot be replayed. */
export function prepareReplayRequest(endpoint: string, logged: Record<string, unknown>, opts: PrepareOptions): PreparedRequest {
  const sourceApi = apiOfEndpoint(endpoint);
  if (!sourceApi) return { ok: false, reason: `endpoint ${endpoint} is not replayable (chat completions, responses and messages are)` };
  const notes: string[] = [];
  let body: Record<string, unknown>;
  if (sourceApi === opts.targetApi) body = structuredClone(logged);
  else if (sourceApi === "openai.chat" && opts.targetApi === "anthropic.messages") {
    const converted = chatToAnthropic(logged, notes);
    if (typeof converted === "string") return { ok: false, reason: converted };
    body = converted;
  } else if (sourceApi === "anthropic.messages" && opts.targetApi === "openai.chat") {
    const converted = anthropicToChat(logged);
    if (typeof converted === "string") return { ok: false, reason: converted };
    body = converted;
  } else return { ok: false, reason: `cannot convert ${sourceApi} requests to ${opts.targetApi}` };
  body.model = opts.model;
  delete body.stream;
  delete body.stream_options;
  // One answer per replay: n > 1 would multiply the cost the budget check assumed.
  delete body.n;
  const own = existingCap(opts.targetApi, body);
  const cap = Math.max(1, Math.min(own ?? Infinity, opts.maxOutputTokens));
  setCap(opts.targetApi, body, opts.model, cap);
  return { ok: true, api: opts.targetApi, body, maxOutputTokens: cap, notes };
}
