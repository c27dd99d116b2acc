// Rebuild OpenAI responses from their streams: chat completion chunks, legacy completion chunks and
// Responses API events, into the body the non-streaming call would have returned (text, tool calls, usage).
import { clock } from "./call.js";
import type { StreamAssembler } from "./stream.js";

type Json = Record<string, unknown>;

type ToolCallParts = { id?: string; type?: string; name: string[]; args: string[] };
type ChoiceParts = {
  index: number;
  role?: string;
  content: string[];
  refusal: string[];
  toolCalls: Map<number, ToolCallParts>;
  finishReason: unknown;
  logprobs: unknown[] | null;
  sawContent: boolean;
};

/**
 * Chat completion chunks. With `hideUsageChunk` (the wrapper added stream_options.include_usage for its
 * own sake), the usage-only final chunk is hidden and the `usage: null` the option adds to every other
 * chunk is removed, so the caller sees exactly the chunks it would have seen without the wrapper.
 */
export class ChatStreamAssembler implements StreamAssembler {
  firstTokenAt: number | undefined;
  private head: Json | null = null;
  private usage: unknown = null;
  private readonly choices = new Map<number, ChoiceParts>();

  constructor(private readonly hideUsageChunk: boolean) {}

  add(raw: unknown): boolean {
    const chunk = raw as Json;
    if (!chunk || typeof chunk !== "object") return true;
    if (!this.head) this.head = chunk;
    const choices = Array.isArray(chunk.choices) ? (chunk.choices as Json[]) : [];
    if (chunk.usage) this.usage = chunk.usage;
    if (typeof chunk.service_tier === "string" && this.head) this.head = { ...this.head, service_tier: chunk.service_tier };
    for (const c of choices) this.addChoice(c);
    if (this.hideUsageChunk) {
      if (choices.length === 0 && chunk.usage) return false;
      if (chunk.usage === null) delete chunk.usage;
    }
    return true;
  }

  private addChoice(c: Json): void {
    const index = typeof c.index === "number" ? c.index : 0;
    let parts = this.choices.get(index);
    if (!parts) {
      parts = { index, content: [], refusal: [], toolCalls: new Map(), finishReason: null, logprobs: null, sawContent: false };
      this.choices.set(index, parts);
    }
    const delta = (c.delta ?? {}) as Json;
    if (typeof delta.role === "string") parts.role = delta.role;
    if (typeof delta.content === "string" && delta.content !== "") {
      parts.content.push(delta.content);
      this.firstTokenAt ??= clock();
    }
    if (typeof delta.refusal === "string" && delta.refusal !== "") {
      parts.refusal.push(delta.refusal);
      this.firstTokenAt ??= clock();
    }
    if (Array.isArray(delta.tool_calls)) {
      this.firstTokenAt ??= clock();
      for (const tc of delta.tool_calls as Json[]) {
        const i = typeof tc.index === "number" ? tc.index : 0;
        let t = parts.toolCalls.get(i);
        if (!t) {
          t = { name: [], args: [] };
          parts.toolCalls.set(i, t);
        }
        if (typeof tc.id === "string") t.id = tc.id;
        if (typeof tc.type === "string") t.type = tc.type;
        const fn = (tc.function ?? {}) as Json;
        if (typeof fn.name === "string") t.name.push(fn.name);
        if (typeof fn.arguments === "string") t.args.push(fn.arguments);
      }
    }
    if (c.finish_reason != null) parts.finishReason = c.finish_reason;
    const lp = c.logprobs as Json | null | undefined;
    if (lp && Array.isArray(lp.content)) (parts.logprobs ??= []).push(...(lp.content as unknown[]));
  }

  result(): Json | null {
    if (!this.head) return null;
    const choices = [...this.choices.values()]
      .sort((a, b) => a.index - b.index)
      .map((p) => {
        const message: Json = { role: p.role ?? "assistant", content: p.content.length ? p.content.join("") : null };
        if (p.refusal.length) message.refusal = p.refusal.join("");
        if (p.toolCalls.size) {
          message.tool_calls = [...p.toolCalls.entries()]
            .sort((a, b) => a[0] - b[0])
            .map(([, t]) => ({ id: t.id, type: t.type ?? "function", function: { name: t.name.join(""), arguments: t.args.join("") } }));
        }
        const choice: Json = { index: p.index, message, finish_reason: p.finishReason ?? null };
        if (p.logprobs) choice.logprobs = { content: p.logprobs };
        return choice;
      });
    const out: Json = {
      id: this.head.id,
      object: "chat.completion",
      created: this.head.created,
      model: this.head.model,
      choices,
      usage: this.usage ?? null,
    };
    if (this.head.system_fingerprint != null) out.system_fingerprint = this.head.system_fingerprint;
    if (this.head.service_tier != null) out.service_tier = this.head.service_tier;
    return out;
  }
}

/** Legacy /v1/completions chunks (choices[].text). */
export class CompletionStreamAssembler implements StreamAssembler {
  firstTokenAt: number | undefined;
  private head: Json | null = null;
  private usage: unknown = null;
  private readonly texts = new Map<number, { text: string[]; finishReason: unknown }>();

  constructor(private readonly hideUsageChunk: boolean) {}

  add(raw: unknown): boolean {
    const chunk = raw as Json;
    if (!chunk || typeof chunk !== "object") return true;
    if (!this.head) this.head = chunk;
    if (chunk.usage) this.usage = chunk.usage;
    const choices = Array.isArray(chunk.choices) ? (chunk.choices as Json[]) : [];
    for (const c of choices) {
      const i = typeof c.index === "number" ? c.index : 0;
      let t = this.texts.get(i);
      if (!t) this.texts.set(i, (t = { text: [], finishReason: null }));
      if (typeof c.text === "string" && c.text !== "") {
        t.text.push(c.text);
        this.firstTokenAt ??= clock();
      }
      if (c.finish_reason != null) t.finishReason = c.finish_reason;
    }
    if (this.hideUsageChunk) {
      if (choices.length === 0 && chunk.usage) return false;
      if (chunk.usage === null) delete chunk.usage;
    }
    return true;
  }

  result(): Json | null {
    if (!this.head) return null;
    return {
      id: this.head.id,
      object: "text_completion",
      created: this.head.created,
      model: this.head.model,
      choices: [...this.texts.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([index, t]) => ({ index, text: t.text.join(""), finish_reason: t.finishReason ?? null })),
      usage: this.usage ?? null,
    };
  }
}

/**
 * Responses API events. The terminal event (response.completed / .incomplete / .failed) carries the whole
 * response with usage; when the stream stops before it, the text deltas seen so far stand in for it.
 */
export class ResponsesStreamAssembler implements StreamAssembler {
  firstTokenAt: number | undefined;
  private latest: Json | null = null;
  private final: Json | null = null;
  private readonly text: string[] = [];

  add(raw: unknown): boolean {
    const event = raw as Json;
    if (!event || typeof event !== "object") return true;
    const type = typeof event.type === "string" ? event.type : "";
    if (event.response && typeof event.response === "object") {
      this.latest = event.response as Json;
      if (type === "response.completed" || type === "response.incomplete" || type === "response.failed") this.final = this.latest;
    }
    if (type.endsWith(".delta")) {
      this.firstTokenAt ??= clock();
      if (type === "response.output_text.delta" && typeof event.delta === "string") this.text.push(event.delta);
    }
    return true;
  }

  result(): Json | null {
    if (this.final) return this.final;
    if (!this.latest && this.text.length === 0) return null;
    const partial: Json = { ...(this.latest ?? { object: "response" }), status: "incomplete" };
    if (this.text.length) {
      partial.output = [{ type: "message", role: "assistant", content: [{ type: "output_text", text: this.text.join("") }] }];
    }
    return partial;
  }
}
