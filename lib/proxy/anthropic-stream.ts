// Stream assembly for Anthropic's Messages API: message_start carries the input usage (with cache
// reads/writes), content blocks arrive as deltas, message_delta carries stop_reason and output usage.
// The result is the Message object a non-streaming call returns.
import { parseJsonObject, type SseEvent, type StreamAssembler } from "./sse";

type Json = Record<string, unknown>;
type BlockState = { block: Json; text: string[]; thinking: string[]; json: string[] };

// Anthropic's documented error types and the HTTP status each one has outside a stream.
const ERROR_STATUS: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  overloaded_error: 529,
};

const NOTHING = { output: false, hide: false };

export class AnthropicMessageStreamAssembler implements StreamAssembler {
  private message: Json | null = null;
  private readonly blocks = new Map<number, BlockState>();
  private usage: Json = {};
  private stopReason: unknown = null;
  private stopSequence: unknown = null;
  private streamError: { status: number; message: string } | null = null;

  accept(event: SseEvent): { output: boolean; hide: boolean } {
    if (event.data === null) return NOTHING;
    const data = parseJsonObject(event.data);
    if (!data) return NOTHING;
    switch (data.type ?? event.event) {
      case "message_start": {
        const message = data.message as Json | undefined;
        if (message && typeof message === "object") {
          this.message = message;
          if (message.usage && typeof message.usage === "object") this.usage = { ...(message.usage as Json) };
        }
        return NOTHING;
      }
      case "content_block_start": {
        const index = typeof data.index === "number" ? data.index : this.blocks.size;
        const block = (data.content_block as Json | undefined) ?? { type: "text" };
        this.blocks.set(index, { block: { ...block }, text: [], thinking: [], json: [] });
        return NOTHING;
      }
      case "content_block_delta": {
        const index = typeof data.index === "number" ? data.index : 0;
        let state = this.blocks.get(index);
        if (!state) {
          state = { block: { type: "text" }, text: [], thinking: [], json: [] };
          this.blocks.set(index, state);
        }
        const delta = (data.delta as Json | undefined) ?? {};
        if (typeof delta.text === "string") state.text.push(delta.text);
        if (typeof delta.partial_json === "string") state.json.push(delta.partial_json);
        if (typeof delta.thinking === "string") state.thinking.push(delta.thinking);
        if (typeof delta.signature === "string") state.block.signature = delta.signature;
        return { output: true, hide: false };
      }
      case "message_delta": {
        const delta = (data.delta as Json | undefined) ?? {};
        if (delta.stop_reason !== undefined) this.stopReason = delta.stop_reason;
        if (delta.stop_sequence !== undefined) this.stopSequence = delta.stop_sequence;
        // message_delta usage is cumulative: its fields replace those from message_start.
        if (data.usage && typeof data.usage === "object") {
          for (const [k, v] of Object.entries(data.usage as Json)) if (v !== null && v !== undefined) this.usage[k] = v;
        }
        return NOTHING;
      }
      case "error": {
        const err = (data.error as Json | undefined) ?? {};
        const type = typeof err.type === "string" ? err.type : "api_error";
        this.streamError = {
          status: ERROR_STATUS[type] ?? 500,
          message: typeof err.message === "string" ? err.message : type,
        };
        return NOTHING;
      }
      default:
        return NOTHING;
    }
  }

  response(): Record<string, unknown> | null {
    if (!this.message && this.blocks.size === 0) return null;
    const content = [...this.blocks.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([, s]) => {
        const block: Json = { ...s.block };
        if (block.type === "text" || s.text.length) block.text = String(block.text ?? "") + s.text.join("");
        if (block.type === "thinking" || s.thinking.length) block.thinking = String(block.thinking ?? "") + s.thinking.join("");
        if (s.json.length) {
          const raw = s.json.join("");
          block.input = parseJsonObject(raw) ?? raw;
        }
        return block;
      });
    return {
      ...(this.message ?? { type: "message", role: "assistant" }),
      content,
      stop_reason: this.stopReason ?? (this.message?.stop_reason ?? null),
      stop_sequence: this.stopSequence ?? (this.message?.stop_sequence ?? null),
      usage: this.usage,
    };
  }

  error() {
    return this.streamError;
  }
}
