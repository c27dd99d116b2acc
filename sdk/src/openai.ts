// observeOpenAI: the official `openai` client (or AzureOpenAI), observed in place and returned as is.
import { ChatStreamAssembler, CompletionStreamAssembler, ResponsesStreamAssembler } from "./assemble-openai.js";
import type { Provider, Tags } from "./event.js";
import { observeBatchFiles } from "./openai-batch.js";
import { asJson, type CallOptions, type ClientSettings, isObserved, markObserved, observedCreate, wrapMethod } from "./observe.js";
import { instanceFor, Spendlens, type SpendlensOptions } from "./spendlens.js";

export type ObserveOptions = SpendlensOptions & {
  /** The instance to log to (default: a shared one built from these options / the environment). */
  spendlens?: Spendlens;
  /** Tags on every call of this client. */
  tags?: Tags;
  /** Provider name in events (default: "azure" for AzureOpenAI, else "openai"). */
  provider?: Provider;
  /**
   * Ask chat/completion streams for usage (stream_options.include_usage) so streamed calls are costed
   * exactly; the extra usage chunk is hidden from the app. Default: on for api.openai.com and Azure
   * api-version 2024-09-01 or later, off for other base URLs (an OpenAI-compatible server that rejects
   * the option would fail the app's call; without usage the server counts the tokens itself).
   */
  streamUsage?: boolean;
};

type Json = Record<string, unknown>;
type Resource = Record<string, unknown> | undefined;

function detectProvider(client: Record<string, unknown>): Provider {
  const name = (client.constructor as { name?: string } | undefined)?.name;
  const baseURL = typeof client.baseURL === "string" ? client.baseURL : "";
  if (name === "AzureOpenAI" || /\.openai\.azure\.com|\.cognitiveservices\.azure\.com/.test(baseURL)) return "azure";
  return "openai";
}

/** Whether the server behind `client` is known to accept stream_options.include_usage. */
function acceptsStreamUsage(client: Record<string, unknown>, provider: Provider): boolean {
  const baseURL = typeof client.baseURL === "string" ? client.baseURL : "";
  if (/^https:\/\/api\.openai\.com(\/|$)/.test(baseURL)) return true;
  if (provider === "azure") return typeof client.apiVersion === "string" && client.apiVersion >= "2024-09-01";
  return false;
}

/** Embedding vectors are useless for cost analysis and huge: log the response without them. */
function embeddingResponse(data: unknown): Json | null {
  const body = asJson(data);
  if (!body) return null;
  const list = Array.isArray(body.data) ? (body.data as Json[]) : [];
  return { ...body, data: list.map((d) => ({ object: d.object ?? "embedding", index: d.index })) };
}

/**
 * Log every `chat.completions.create` (streaming or not), `responses.create`, `embeddings.create`,
 * legacy `completions.create` and batch results read with `files.content` of `client` to Spendlens.
 * Returns the same client object, with the same type; helpers built on these methods (`.parse()`,
 * `.stream()`, `runTools`) are logged through them. Calls are never slowed beyond queueing an event and
 * never fail because of Spendlens.
 *
 * ```ts
 * const openai = observeOpenAI(new OpenAI(), { tags: { feature: "support-bot" } });
 * ```
 */
export function observeOpenAI<T extends object>(client: T, options: ObserveOptions = {}): T {
  try {
    if (isObserved(client)) return client;
    const c = client as unknown as Record<string, unknown>;
    const { spendlens: instance, tags, provider, streamUsage, ...instanceOptions } = options;
    const resolvedProvider = provider ?? detectProvider(c);
    const settings: ClientSettings = {
      spendlens: instanceFor(instance, instanceOptions),
      provider: resolvedProvider,
      tags,
      sampleRate: options.sampleRate,
      streamUsage: streamUsage ?? acceptsStreamUsage(c, resolvedProvider),
    };
    const chat = c.chat as Record<string, Resource> | undefined;
    wrapMethod(chat?.completions, "create", (original) =>
      observedCreate(
        original,
        { endpoint: "/v1/chat/completions", injectStreamUsage: true, streamAssembler: (hide) => new ChatStreamAssembler(hide) },
        settings,
      ),
    );
    wrapMethod(c.responses, "create", (original) =>
      observedCreate(original, { endpoint: "/v1/responses", streamAssembler: () => new ResponsesStreamAssembler() }, settings),
    );
    wrapMethod(c.embeddings, "create", (original) =>
      observedCreate(original, { endpoint: "/v1/embeddings", responseBody: embeddingResponse }, settings),
    );
    wrapMethod(c.completions, "create", (original) =>
      observedCreate(
        original,
        { endpoint: "/v1/completions", injectStreamUsage: true, streamAssembler: (hide) => new CompletionStreamAssembler(hide) },
        settings,
      ),
    );
    observeBatchFiles(c, settings);
    markObserved(client);
  } catch (err) {
    console.warn(`[spendlens] could not observe this client, calls are not logged: ${String(err)}`);
  }
  return client;
}

// The augmented modules must be part of the program (here and in the emitted .d.ts) for the merge to apply.
import type {} from "openai/resources/chat/completions/completions";
import type {} from "openai/resources/responses/responses";
import type {} from "openai/resources/embeddings";
import type {} from "openai/resources/completions";

// Per-call tags, typed: `spendlens` becomes a known (optional) field of the request params, so
// `create({ model, messages, spendlens: { tags: { feature: "x" } } })` type-checks.
declare module "openai/resources/chat/completions/completions" {
  interface ChatCompletionCreateParamsBase {
    /** Spendlens options for this call; removed before the request is sent. */
    spendlens?: CallOptions;
  }
}
declare module "openai/resources/responses/responses" {
  interface ResponseCreateParamsBase {
    /** Spendlens options for this call; removed before the request is sent. */
    spendlens?: CallOptions;
  }
}
declare module "openai/resources/embeddings" {
  interface EmbeddingCreateParams {
    /** Spendlens options for this call; removed before the request is sent. */
    spendlens?: CallOptions;
  }
}
declare module "openai/resources/completions" {
  interface CompletionCreateParamsBase {
    /** Spendlens options for this call; removed before the request is sent. */
    spendlens?: CallOptions;
  }
}
