// Derive the normalised columns of a call (model, tokens, output, finish reason) from the provider's own
// request/response bodies, per API. Token convention (shared with lib/pricing): inputTokens is the TOTAL
// prompt (for Anthropic: input + cache read + cache write), cached/cache-write are subsets of it, and
// outputTokens includes reasoning. When the response carries no usage (streams without usage, errors)
// tokens are counted with lib/tokens and the call is marked tokensEstimated.
import { requestMessages } from "../analysis/messages";
import { countChatTokens, countTokens, type ChatMessageInput, type ChatToolInput } from "../tokens/count";
import { apiKindOf, resolveModel, type ApiKind } from "./api-kind";
import type { IngestEvent, NormalisedCall } from "./event";
import { parseEventTimestamp } from "./validate";

type Json = Record<string, unknown>;

function obj(v: unknown): Json | null {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : null;
}
function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
/** Token columns are Postgres int4: a larger reported count (a client bug) is clamped, never a failed batch. */
const TOKEN_COUNT_MAX = 2_147_483_647;

function num(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? Math.min(TOKEN_COUNT_MAX, Math.max(0, Math.round(v))) : null;
}
function str(v: unknown): string | null {
  return typeof v === "string" && v.length > 0 ? v : null;
}

type Usage = { input: number; output: number; cached: number; cacheWrite: number; cacheWrite1h: number; reasoning: number };
type Read = { usage: Usage | null; outputText: string | null; finishReason: string | null };

/** Text of OpenAI/Anthropic content: a string, or parts with `text` (tool calls rendered as name(args)). */
function contentText(content: unknown): string | null {
  if (typeof content === "string") return content;
  const parts: string[] = [];
  for (const p of arr(content)) {
    const part = obj(p);
    if (!part) continue;
    if (typeof part.text === "string" && part.type !== "thinking") parts.push(part.text);
    else if (part.type === "tool_use") parts.push(`${String(part.name ?? "tool")}(${JSON.stringify(part.input ?? {})})`);
  }
  return parts.length ? parts.join("\n") : null;
}

function toolCallsText(toolCalls: unknown): string | null {
  const out: string[] = [];
  for (const t of arr(toolCalls)) {
    const fn = obj(obj(t)?.function);
    if (fn) out.push(`${String(fn.name ?? "function")}(${typeof fn.arguments === "string" ? fn.arguments : JSON.stringify(fn.arguments ?? {})})`);
  }
  return out.length ? out.join("\n") : null;
}

function readOpenAIChat(res: Json | null): Read {
  const choice = obj(arr(res?.choices)[0]);
  const message = obj(choice?.message);
  const outputText = contentText(message?.content) ?? str(message?.refusal) ?? toolCallsText(message?.tool_calls) ?? str(choice?.text);
  const u = obj(res?.usage);
  const usage: Usage | null =
    u && num(u.prompt_tokens) !== null
      ? {
          input: num(u.prompt_tokens) ?? 0,
          output: num(u.completion_tokens) ?? 0,
          cached: num(obj(u.prompt_tokens_details)?.cached_tokens) ?? 0,
          cacheWrite: 0,
          cacheWrite1h: 0,
          reasoning: num(obj(u.completion_tokens_details)?.reasoning_tokens) ?? 0,
        }
      : null;
  return { usage, outputText, finishReason: str(choice?.finish_reason) };
}

function readOpenAIResponses(res: Json | null): Read {
  let outputText = str(res?.output_text);
  if (outputText === null) {
    const parts: string[] = [];
    for (const item of arr(res?.output)) {
      const it = obj(item);
      if (!it) continue;
      if (it.type === "message") {
        for (const c of arr(it.content)) {
          const part = obj(c);
          if (part && typeof part.text === "string") parts.push(part.text);
        }
      } else if (it.type === "function_call") parts.push(`${String(it.name ?? "function")}(${String(it.arguments ?? "")})`);
    }
    outputText = parts.length ? parts.join("\n") : null;
  }
  const u = obj(res?.usage);
  const usage: Usage | null =
    u && num(u.input_tokens) !== null
      ? {
          input: num(u.input_tokens) ?? 0,
          output: num(u.output_tokens) ?? 0,
          cached: num(obj(u.input_tokens_details)?.cached_tokens) ?? 0,
          cacheWrite: 0,
          cacheWrite1h: 0,
          reasoning: num(obj(u.output_tokens_details)?.reasoning_tokens) ?? 0,
        }
      : null;
  const status = str(res?.status);
  const finishReason = status === "incomplete" ? (str(obj(res?.incomplete_details)?.reason) ?? status) : status;
  return { usage, outputText, finishReason };
}

function readOpenAIEmbeddings(res: Json | null): Read {
  const u = obj(res?.usage);
  const input = num(u?.prompt_tokens) ?? num(u?.total_tokens);
  return {
    usage: input === null ? null : { input, output: 0, cached: 0, cacheWrite: 0, cacheWrite1h: 0, reasoning: 0 },
    outputText: null,
    finishReason: null,
  };
}

function readAnthropic(res: Json | null): Read {
  const u = obj(res?.usage);
  let usage: Usage | null = null;
  if (u && num(u.input_tokens) !== null) {
    const cacheRead = num(u.cache_read_input_tokens) ?? 0;
    const split = obj(u.cache_creation);
    const write5m = num(split?.ephemeral_5m_input_tokens);
    const write1h = num(split?.ephemeral_1h_input_tokens) ?? 0;
    // cache_creation_input_tokens is the total of both TTLs; the split object may be absent (older API).
    const cacheWrite = num(u.cache_creation_input_tokens) ?? (write5m ?? 0) + write1h;
    usage = {
      input: (num(u.input_tokens) ?? 0) + cacheRead + cacheWrite,
      output: num(u.output_tokens) ?? 0,
      cached: cacheRead,
      cacheWrite,
      cacheWrite1h: Math.min(write1h, cacheWrite),
      reasoning: 0, // thinking tokens are billed as output and not reported separately
    };
  }
  return { usage, outputText: contentText(res?.content), finishReason: str(res?.stop_reason) };
}

function readGoogle(res: Json | null): Read {
  const candidate = obj(arr(res?.candidates)[0]);
  const parts: string[] = [];
  for (const p of arr(obj(candidate?.content)?.parts)) {
    const part = obj(p);
    if (!part || part.thought === true) continue;
    if (typeof part.text === "string") parts.push(part.text);
    else if (obj(part.functionCall)) {
      const fc = obj(part.functionCall)!;
      parts.push(`${String(fc.name ?? "function")}(${JSON.stringify(fc.args ?? {})})`);
    }
  }
  const u = obj(res?.usageMetadata);
  let usage: Usage | null = null;
  if (u && (num(u.promptTokenCount) !== null || num(u.totalTokenCount) !== null)) {
    const thoughts = num(u.thoughtsTokenCount) ?? 0;
    usage = {
      input: (num(u.promptTokenCount) ?? 0) + (num(u.toolUsePromptTokenCount) ?? 0),
      // candidatesTokenCount excludes thinking; our convention folds reasoning into output.
      output: (num(u.candidatesTokenCount) ?? 0) + thoughts,
      cached: num(u.cachedContentTokenCount) ?? 0,
      cacheWrite: 0,
      cacheWrite1h: 0,
      reasoning: thoughts,
    };
  }
  return { usage, outputText: parts.length ? parts.join("\n") : null, finishReason: str(candidate?.finishReason) };
}

function readGoogleEmbed(): Read {
  return { usage: null, outputText: null, finishReason: null };
}

function readBedrockConverse(res: Json | null): Read {
  const u = obj(res?.usage);
  let usage: Usage | null = null;
  if (u && num(u.inputTokens) !== null) {
    const cacheRead = num(u.cacheReadInputTokens) ?? 0;
    const cacheWrite = num(u.cacheWriteInputTokens) ?? 0;
    usage = {
      input: (num(u.inputTokens) ?? 0) + cacheRead + cacheWrite,
      output: num(u.outputTokens) ?? 0,
      cached: cacheRead,
      cacheWrite,
      cacheWrite1h: 0,
      reasoning: 0,
    };
  }
  const message = obj(obj(res?.output)?.message);
  return { usage, outputText: contentText(message?.content), finishReason: str(res?.stopReason) };
}

/** Best effort for an unknown API: any common usage shape. */
function readUnknown(res: Json | null): Read {
  const u = obj(res?.usage);
  if (u && num(u.prompt_tokens) !== null) return readOpenAIChat(res);
  if (u && num(u.input_tokens) !== null) return u.cache_read_input_tokens !== undefined ? readAnthropic(res) : readOpenAIResponses(res);
  if (obj(res?.usageMetadata)) return readGoogle(res);
  return readOpenAIChat(res);
}

const READERS: Record<ApiKind, (res: Json | null) => Read> = {
  "openai.chat": readOpenAIChat,
  "openai.responses": readOpenAIResponses,
  "openai.embeddings": readOpenAIEmbeddings,
  "openai.completions": readOpenAIChat,
  "anthropic.messages": readAnthropic,
  "google.generateContent": readGoogle,
  "google.embedContent": readGoogleEmbed,
  "bedrock.converse": readBedrockConverse,
  unknown: readUnknown,
};

function embeddingInputs(request: Json): string[] {
  const input = request.input ?? request.content ?? request.requests;
  if (typeof input === "string") return [input];
  const out: string[] = [];
  for (const x of arr(input)) {
    if (typeof x === "string") out.push(x);
    else if (obj(x)) for (const p of arr(obj(obj(x)!.content)?.parts ?? obj(x)!.parts)) if (typeof obj(p)?.text === "string") out.push(obj(p)!.text as string);
  }
  const google = obj(request.content);
  if (google) for (const p of arr(google.parts)) if (typeof obj(p)?.text === "string") out.push(obj(p)!.text as string);
  return out;
}

/** Count the prompt ourselves (no usage in the response). */
function estimateInputTokens(kind: ApiKind, request: Json, model: string): number {
  if (kind === "openai.embeddings" || kind === "google.embedContent") {
    return embeddingInputs(request).reduce((sum, t) => sum + countTokens(t, model).tokens, 0);
  }
  if (kind === "openai.chat" && Array.isArray(request.messages)) {
    try {
      // The request's own messages and tools: exact for OpenAI models (same rule as OpenAI's billing).
      const tools = Array.isArray(request.tools) ? (request.tools as ChatToolInput[]) : undefined;
      return countChatTokens(request.messages as ChatMessageInput[], model, { tools }).tokens;
    } catch {
      // malformed messages: fall through to the provider-neutral text
    }
  }
  const messages = requestMessages(request).map((m) => ({ role: m.role, content: m.text }));
  if (messages.length === 0) return 0;
  return countChatTokens(messages, model).tokens;
}

export function normaliseEvent(event: IngestEvent): NormalisedCall {
  const kind = apiKindOf(event);
  const model = resolveModel(event);
  const read = READERS[kind](obj(event.response));
  const isError = event.error !== undefined;
  let usage = read.usage;
  let tokensEstimated = false;
  if (!usage) {
    tokensEstimated = true;
    const countModel = model ?? "";
    const input = estimateInputTokens(kind, event.request, countModel);
    const output = read.outputText ? countTokens(read.outputText, countModel).tokens : 0;
    usage = { input, output, cached: 0, cacheWrite: 0, cacheWrite1h: 0, reasoning: 0 };
  }
  // Sums of clamped parts (Anthropic input + cache read + cache write) can pass the column's range too.
  usage = { ...usage, input: Math.min(usage.input, TOKEN_COUNT_MAX), output: Math.min(usage.output, TOKEN_COUNT_MAX) };
  const cached = Math.min(usage.cached, usage.input);
  const cacheWrite = Math.min(usage.cacheWrite, usage.input - cached);
  const tags = event.tags ?? {};
  const ts = parseEventTimestamp(event.timestamp);
  return {
    eventId: event.id,
    timestamp: new Date(ts),
    provider: event.provider,
    endpoint: event.endpoint,
    model,
    status: isError ? event.error!.status : 200,
    errorMessage: isError ? event.error!.message : null,
    latencyMs: Math.round(event.latency_ms),
    ttftMs: event.ttft_ms === undefined ? null : Math.round(event.ttft_ms),
    inputTokens: usage.input,
    outputTokens: usage.output,
    // Subsets never exceed their total (pricing relies on it), whatever a provider reported.
    cachedInputTokens: cached,
    cacheWriteTokens: cacheWrite,
    cacheWrite1hTokens: Math.min(usage.cacheWrite1h, cacheWrite),
    reasoningTokens: Math.min(usage.reasoning, usage.output),
    tokensEstimated,
    finishReason: read.finishReason,
    outputText: read.outputText,
    feature: tags.feature ?? null,
    endUser: tags.user ?? null,
    session: tags.session ?? null,
    environment: tags.environment ?? null,
    batch: event.batch === true,
    serviceTier: event.service_tier ?? str(obj(event.response)?.service_tier) ?? str(event.request.service_tier),
  };
}
