// Calls a cache must not answer, with the reason. A cache that serves these would be wrong in ways the
// logs cannot calibrate (a repeated side effect, a deliberately varied answer, a reply to a different
// conversation), so they are left out of the replay and counted by reason instead.
import type { AnalysisCall } from "../types";

export const EXCLUSION_REASONS = {
  failed: "the call failed (status >= 400): there is no answer to reuse",
  no_response: "no response text was logged, so nothing could be served or checked",
  non_text_input: "the request carries images, audio or files that the text comparison cannot see",
  tool_side_effects: "the answer is a tool call that may act on the world (send, create, pay, ...); replaying it would repeat or skip the action",
  agent_step: "the request continues a tool loop: its answer depends on live tool output",
  high_temperature: "high temperature asks for varied, creative answers; a cached one defeats the purpose",
  history_dependent: "a follow-up turn that refers back to the conversation; the same words mean different things in another conversation",
  empty_prompt: "the request has no user text to compare",
  not_generation: "not a text-generation call (embeddings, moderation, audio, images)",
} as const;

export type ExclusionReason = keyof typeof EXCLUSION_REASONS;

export type ExclusionOptions = {
  /** Calls with temperature above this are creative generation. Default 0.7. */
  maxTemperature?: number;
};

// Tool names that only read; any other tool name is assumed to have side effects.
const READ_ONLY_TOOL = /^(get|search|lookup|look_up|find|list|read|fetch|query|retrieve|check|describe|show|count|calculate|compute|classify|extract|lookup_|parse|validate|view)(_|[A-Z]|$|-)/;

/** Names of the tools a response asks to call (OpenAI chat + responses, Anthropic, Google). */
export function responseToolCalls(response: Record<string, unknown> | null): string[] {
  if (!response) return [];
  const names: string[] = [];
  const choices = response.choices as Array<{ message?: { tool_calls?: Array<{ function?: { name?: string } }>; function_call?: { name?: string } } }> | undefined;
  for (const c of Array.isArray(choices) ? choices : []) {
    for (const t of c.message?.tool_calls ?? []) names.push(t.function?.name ?? "");
    if (c.message?.function_call) names.push(c.message.function_call.name ?? "");
  }
  for (const item of Array.isArray(response.output) ? (response.output as Array<Record<string, unknown>>) : []) {
    if (item && (item.type === "function_call" || item.type === "custom_tool_call")) names.push(String(item.name ?? ""));
  }
  for (const part of Array.isArray(response.content) ? (response.content as Array<Record<string, unknown>>) : []) {
    if (part && part.type === "tool_use") names.push(String(part.name ?? ""));
  }
  const candidates = response.candidates as Array<{ content?: { parts?: Array<{ functionCall?: { name?: string } }> } }> | undefined;
  for (const c of Array.isArray(candidates) ? candidates : []) for (const p of c.content?.parts ?? []) if (p.functionCall) names.push(p.functionCall.name ?? "");
  return names;
}

function hasNonTextInput(request: Record<string, unknown>): boolean {
  const NON_TEXT = new Set(["image_url", "input_image", "image", "input_audio", "audio", "file", "input_file", "document"]);
  const scan = (content: unknown): boolean =>
    Array.isArray(content) &&
    content.some((p) => {
      if (!p || typeof p !== "object") return false;
      const part = p as Record<string, unknown>;
      return (typeof part.type === "string" && NON_TEXT.has(part.type)) || "inlineData" in part || "fileData" in part;
    });
  for (const list of [request.messages, request.input]) {
    if (Array.isArray(list)) for (const m of list as Array<Record<string, unknown>>) if (m && typeof m === "object" && scan(m.content)) return true;
  }
  for (const c of Array.isArray(request.contents) ? (request.contents as Array<{ parts?: unknown }>) : []) if (scan(c.parts)) return true;
  return false;
}

function temperatureOf(request: Record<string, unknown>): number | null {
  if (typeof request.temperature === "number") return request.temperature;
  const gc = request.generationConfig as { temperature?: unknown } | undefined;
  if (gc && typeof gc.temperature === "number") return gc.temperature;
  return null;
}

/** Whether the last message of the request is a tool result (the model is inside an agent loop). */
function endsWithToolResult(request: Record<string, unknown>): boolean {
  const list = (Array.isArray(request.messages) ? request.messages : Array.isArray(request.input) ? request.input : []) as Array<Record<string, unknown>>;
  const last = list[list.length - 1];
  if (!last || typeof last !== "object") return false;
  if (last.role === "tool" || last.role === "function" || last.type === "function_call_output") return true;
  return Array.isArray(last.content) && (last.content as Array<{ type?: string }>).some((p) => p?.type === "tool_result");
}

// Follow-ups that lean on earlier turns: pronouns and discourse words pointing back (English only).
const REFERS_BACK =
  /\b(it|its|that|this|these|those|them|they|he|she|him|her|above|previous|earlier|again|more|also|instead|same|another|else|continue|shorter|longer|why|elaborate|rewrite|redo|expand|translate it)\b|^(and|but|so|ok|okay|yes|no|what about|how about)\b/i;

/** Assistant or tool turns before the last message (OpenAI chat/responses, Anthropic, Google). */
function earlierTurns(request: Record<string, unknown>): number {
  let turns = 0;
  for (const list of [request.messages, request.input]) {
    if (!Array.isArray(list)) continue;
    for (const m of list as Array<Record<string, unknown>>) {
      if (!m || typeof m !== "object") continue;
      if (m.role === "assistant" || m.role === "tool" || m.role === "function" || m.type === "function_call_output" || m.type === "function_call") turns++;
    }
  }
  if (Array.isArray(request.contents)) for (const c of request.contents as Array<{ role?: string }>) if (c?.role === "model" || c?.role === "function") turns++;
  return turns;
}

/** A multi-turn request whose last user turn cannot stand on its own. */
export function dependsOnHistory(request: Record<string, unknown>, lastUser: string): boolean {
  const serverSideHistory = typeof request.previous_response_id === "string" || request.conversation !== undefined;
  if (earlierTurns(request) === 0 && !serverSideHistory) return false;
  const words = lastUser.trim().split(/\s+/).filter(Boolean).length;
  return words < 4 || REFERS_BACK.test(lastUser);
}

const NOT_GENERATION = /\/(embeddings|moderations|audio|images|files|batches|fine_tuning|models)(\/|$)|:embedContent|:batchEmbedContents/;

/** Why a cache must not serve this call, or null when it may. `lastUser` is the last user turn as sent. */
export function exclusionReason(call: AnalysisCall, lastUser: string, opts: ExclusionOptions = {}): ExclusionReason | null {
  const maxTemperature = opts.maxTemperature ?? 0.7;
  if (NOT_GENERATION.test(call.endpoint)) return "not_generation";
  if (call.status >= 400) return "failed";
  const tools = responseToolCalls(call.response);
  if (!call.outputText && tools.length === 0) return "no_response";
  if (hasNonTextInput(call.request)) return "non_text_input";
  if (tools.some((name) => !READ_ONLY_TOOL.test(name))) return "tool_side_effects";
  if (endsWithToolResult(call.request)) return "agent_step";
  const temperature = temperatureOf(call.request);
  if (temperature !== null && temperature > maxTemperature) return "high_temperature";
  if (dependsOnHistory(call.request, lastUser)) return "history_dependent";
  if (lastUser.trim() === "") return "empty_prompt";
  return null;
}
