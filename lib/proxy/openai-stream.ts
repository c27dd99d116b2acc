// Stream assembly for the OpenAI API: chat completions (and legacy completions) chunks, and the
// Responses API's typed events. The assembled body is what the ingest normaliser reads for model,
// usage, output text, tool calls and finish reason, exactly as for a non-streaming call.
import { parseJsonObject, type SseEvent, type StreamAssembler } from "./sse";

type Json = Record<string, unknown>;

type ToolCallState = { id?: string; type?: string; name: string; args: string[] };
type ChoiceState = {
  role?: string;
  content: string[];
  refusal: string[];
  text: string[];
  toolCalls: Map<number, ToolCallState>;
  finishReason: string | null;
  sawText: boolean;
};

const NOTHING = { output: false, hide: false };

export class ChatCompletionStreamAssembler implements StreamAssembler {
  private readonly head: Json = {};
  private readonly choices = new Map<number, ChoiceState>();
  private usage: unknown = undefined;
  private streamError: { status: number; message: string } | null = null;

  /** @param hideUsageChunk the proxy added `stream_options.include_usage`, so the client must not see its chunk. */
  constructor(private readonly hideUsageChunk: boolean) {}

  accept(event: SseEvent): { output: boolean; hide: boolean } {
    if (event.data === null || event.data === "[DONE]") return NOTHING;
    const chunk = parseJsonObject(event.data);
    if (!chunk) return NOTHING;
    if (chunk.error && typeof chunk.error === "object") {
      this.streamError = openAiStreamError(chunk.error as Json);
      return NOTHING;
    }
    for (const key of ["id", "object", "created", "model", "system_fingerprint", "service_tier"]) {
      if (chunk[key] !== undefined && chunk[key] !== null) this.head[key] = chunk[key];
    }
    if (chunk.usage) this.usage = chunk.usage;
    const choices = Array.isArray(chunk.choices) ? (chunk.choices as Json[]) : [];
    let output = false;
    for (const choice of choices) {
      if (this.takeChoice(choice)) output = true;
    }
    const hide = this.hideUsageChunk && choices.length === 0 && !!chunk.usage;
    return { output, hide };
  }

  private takeChoice(choice: Json): boolean {
    const index = typeof choice.index === "number" ? choice.index : 0;
    let state = this.choices.get(index);
    if (!state) {
      state = { content: [], refusal: [], text: [], toolCalls: new Map(), finishReason: null, sawText: false };
      this.choices.set(index, state);
    }
    let output = false;
    const delta = choice.delta as Json | undefined;
    if (delta && typeof delta === "object") {
      if (typeof delta.role === "string") state.role = delta.role;
      if (typeof delta.content === "string" && delta.content.length > 0) {
        state.content.push(delta.content);
        output = true;
      }
      if (typeof delta.refusal === "string" && delta.refusal.length > 0) {
        state.refusal.push(delta.refusal);
        output = true;
      }
      if (Array.isArray(delta.tool_calls)) {
        for (const call of delta.tool_calls as Json[]) {
          const at = typeof call.index === "number" ? call.index : 0;
          let tool = state.toolCalls.get(at);
          if (!tool) {
            tool = { name: "", args: [] };
            state.toolCalls.set(at, tool);
          }
          if (typeof call.id === "string") tool.id = call.id;
          if (typeof call.type === "string") tool.type = call.type;
          const fn = call.function as Json | undefined;
          if (fn && typeof fn.name === "string") tool.name += fn.name;
          if (fn && typeof fn.arguments === "string") tool.args.push(fn.arguments);
          output = true;
        }
      }
    }
    // Legacy /v1/completions streams carry `text` instead of `delta`.
    if (typeof choice.text === "string") {
      state.sawText = true;
      if (choice.text.length > 0) {
        state.text.push(choice.text);
        output = true;
      }
    }
    if (typeof choice.finish_reason === "string") state.finishReason = choice.finish_reason;
    return output;
  }

  response(): Record<string, unknown> | null {
    if (this.head.id === undefined && this.choices.size === 0 && this.usage === undefined) return null;
    const indices = [...this.choices.keys()].sort((a, b) => a - b);
    const legacy = indices.some((i) => this.choices.get(i)!.sawText);
    const choices = indices.map((index) => {
      const s = this.choices.get(index)!;
      if (legacy) return { index, text: s.text.join(""), finish_reason: s.finishReason };
      const message: Json = { role: s.role ?? "assistant", content: s.content.length ? s.content.join("") : null };
      if (s.refusal.length) message.refusal = s.refusal.join("");
      if (s.toolCalls.size) {
        message.tool_calls = [...s.toolCalls.entries()]
          .sort((a, b) => a[0] - b[0])
          .map(([, t]) => ({ id: t.id, type: t.type ?? "function", function: { name: t.name, arguments: t.args.join("") } }));
      }
      return { index, message, finish_reason: s.finishReason };
    });
    return {
      ...this.head,
      object: legacy ? "text_completion" : "chat.completion",
      choices,
      ...(this.usage !== undefined ? { usage: this.usage } : {}),
    };
  }

  error() {
    return this.streamError;
  }
}

/** Responses API (`/v1/responses`): the terminal event carries the whole response, usage included. */
export class ResponsesStreamAssembler implements StreamAssembler {
  private final: Json | null = null;
  private latest: Json | null = null;
  private readonly text: string[] = [];
  private streamError: { status: number; message: string } | null = null;

  accept(event: SseEvent): { output: boolean; hide: boolean } {
    if (event.data === null || event.data === "[DONE]") return NOTHING;
    const data = parseJsonObject(event.data);
    if (!data) return NOTHING;
    const type = typeof data.type === "string" ? data.type : event.event ?? "";
    const response = data.response && typeof data.response === "object" ? (data.response as Json) : null;
    if (response) this.latest = response;
    if (response && (type === "response.completed" || type === "response.incomplete" || type === "response.failed")) {
      this.final = response;
      const err = response.error as Json | null | undefined;
      if (type === "response.failed" && err) this.streamError = openAiStreamError(err);
    }
    if (type === "error") this.streamError = openAiStreamError(data);
    if (type === "response.output_text.delta" && typeof data.delta === "string") this.text.push(data.delta);
    return { output: type.endsWith(".delta"), hide: false };
  }

  response(): Record<string, unknown> | null {
    if (this.final) return this.final;
    if (!this.latest && this.text.length === 0) return null;
    // The stream stopped early: keep what the client saw, without usage (the server estimates it).
    const text = this.text.join("");
    return {
      ...(this.latest ?? { object: "response" }),
      status: "incomplete",
      output: text ? [{ type: "message", role: "assistant", content: [{ type: "output_text", text }] }] : [],
      usage: null,
    };
  }

  error() {
    return this.streamError;
  }
}

function openAiStreamError(err: Json): { status: number; message: string } {
  const message = typeof err.message === "string" ? err.message : "upstream reported an error inside the stream";
  const code = typeof err.code === "string" ? err.code : typeof err.type === "string" ? err.type : "";
  const status = /rate_limit/.test(code) ? 429 : /invalid_request/.test(code) ? 400 : 500;
  return { status, message };
}
