// observeAnthropic: the official `@anthropic-ai/sdk` client, observed in place (`messages.create`,
// streaming or not; `messages.parse()` and `messages.stream()` go through it). Imported from
// "@spendlens/sdk/anthropic" so apps without Anthropic never load its types.
import { clock } from "./call.js";
import type { Provider, Tags } from "./event.js";
import { type CallOptions, type ClientSettings, isObserved, markObserved, observedCreate, wrapMethod } from "./observe.js";
import { instanceFor, Spendlens, type SpendlensOptions } from "./spendlens.js";
import type { StreamAssembler } from "./stream.js";

export type AnthropicObserveOptions = SpendlensOptions & {
  spendlens?: Spendlens;
  tags?: Tags;
  /** Provider name in events (default "anthropic"; e.g. "bedrock" for AnthropicBedrock). */
  provider?: Provider;
};

type Json = Record<string, unknown>;
type Block = Json & { _json?: string[]; _text?: string[]; _thinking?: string[] };

/** Rebuild a Message from its stream events (message_start, content_block_*, message_delta). */
export class AnthropicStreamAssembler implements StreamAssembler {
  firstTokenAt: number | undefined;
  private message: Json | null = null;
  private usage: Json = {};
  private readonly blocks = new Map<number, Block>();
  private stop: Json = {};

  add(raw: unknown): boolean {
    const event = raw as Json;
    if (!event || typeof event !== "object") return true;
    switch (event.type) {
      case "message_start": {
        const m = (event.message ?? {}) as Json;
        this.message = m;
        this.usage = { ...((m.usage as Json) ?? {}) };
        break;
      }
      case "content_block_start": {
        const index = typeof event.index === "number" ? event.index : this.blocks.size;
        this.blocks.set(index, { ...((event.content_block as Json) ?? {}) });
        break;
      }
      case "content_block_delta": {
        this.firstTokenAt ??= clock();
        const index = typeof event.index === "number" ? event.index : 0;
        let block = this.blocks.get(index);
        if (!block) this.blocks.set(index, (block = { type: "text" }));
        const d = (event.delta ?? {}) as Json;
        if (d.type === "text_delta" && typeof d.text === "string") (block._text ??= []).push(d.text);
        else if (d.type === "input_json_delta" && typeof d.partial_json === "string") (block._json ??= []).push(d.partial_json);
        else if (d.type === "thinking_delta" && typeof d.thinking === "string") (block._thinking ??= []).push(d.thinking);
        else if (d.type === "signature_delta" && typeof d.signature === "string") block.signature = d.signature;
        else if (d.type === "citations_delta" && d.citation) block.citations = [...((block.citations as unknown[]) ?? []), d.citation];
        break;
      }
      case "message_delta": {
        const d = (event.delta ?? {}) as Json;
        this.stop = { ...this.stop, ...d };
        // message_delta usage is cumulative: later values replace earlier ones.
        if (event.usage && typeof event.usage === "object") {
          for (const [k, v] of Object.entries(event.usage as Json)) if (v != null) this.usage[k] = v;
        }
        break;
      }
    }
    return true;
  }

  result(): Json | null {
    if (!this.message) return null;
    const content = [...this.blocks.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([, b]) => {
        const { _json, _text, _thinking, ...block } = b;
        if (_text) block.text = `${typeof block.text === "string" ? block.text : ""}${_text.join("")}`;
        if (_thinking) block.thinking = `${typeof block.thinking === "string" ? block.thinking : ""}${_thinking.join("")}`;
        if (_json) {
          const text = _json.join("");
          try {
            block.input = text ? JSON.parse(text) : {};
          } catch {
            block.input = text;
          }
        }
        return block;
      });
    return { ...this.message, content, ...this.stop, usage: this.usage };
  }
}

/**
 * Log every `messages.create` of an Anthropic client (streaming or not) to Spendlens. Returns the same
 * client. Per call: `messages.create({ ..., spendlens: { tags: { feature: "x" } } })`.
 */
export function observeAnthropic<T extends object>(client: T, options: AnthropicObserveOptions = {}): T {
  try {
    if (isObserved(client)) return client;
    const c = client as unknown as Record<string, unknown>;
    const { spendlens: instance, tags, provider, ...instanceOptions } = options;
    const settings: ClientSettings = {
      spendlens: instanceFor(instance, instanceOptions),
      provider: provider ?? "anthropic",
      tags,
      sampleRate: options.sampleRate,
      streamUsage: false,
    };
    wrapMethod(c.messages, "create", (original) =>
      observedCreate(original, { endpoint: "/v1/messages", streamAssembler: () => new AnthropicStreamAssembler() }, settings),
    );
    const beta = c.beta as Record<string, unknown> | undefined;
    wrapMethod(beta?.messages, "create", (original) =>
      observedCreate(original, { endpoint: "/v1/messages", streamAssembler: () => new AnthropicStreamAssembler() }, settings),
    );
    markObserved(client);
  } catch (err) {
    console.warn(`[spendlens] could not observe this client, calls are not logged: ${String(err)}`);
  }
  return client;
}

// The augmented modules must be part of the program (here and in the emitted .d.ts) for the merge to apply.
import type {} from "@anthropic-ai/sdk/resources/messages/messages";
import type {} from "@anthropic-ai/sdk/resources/beta/messages/messages";

// Per-call tags, typed: `spendlens` becomes a known (optional) field of the request params.
declare module "@anthropic-ai/sdk/resources/messages/messages" {
  interface MessageCreateParamsBase {
    /** Spendlens options for this call; removed before the request is sent. */
    spendlens?: CallOptions;
  }
}
declare module "@anthropic-ai/sdk/resources/beta/messages/messages" {
  interface MessageCreateParamsBase {
    /** Spendlens options for this call; removed before the request is sent. */
    spendlens?: CallOptions;
  }
}
