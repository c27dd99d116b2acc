// Sends one replayed request to a provider endpoint through the official SDKs (`openai` with
// baseURL for any OpenAI-compatible server, `@anthropic-ai/sdk` for Anthropic). SDK retries are off:
// the harness retries itself so every attempt passes the budget check first.
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { Agent, fetch as undiciFetch } from "undici";
import { publicOnlyLookup } from "../../proxy/upstreams";

export type ReplayProvider = "openai" | "anthropic";

/** Provider API a replay speaks; the logged call's endpoint decides it (see apiOfEndpoint). */
export type ReplayApi = "openai.chat" | "openai.responses" | "anthropic.messages";

export type ReplayEndpointConfig = {
  provider: ReplayProvider;
  /** The SDK base URL: e.g. https://api.openai.com/v1 (OpenAI-compatible) or https://api.anthropic.com. */
  baseUrl: string;
  apiKey: string;
  timeoutMs?: number;
  /** Refuse connections to private addresses (endpoints allowed through a wildcard entry). */
  publicOnly?: boolean;
};

let publicOnlyAgent: Agent | null = null;

/** fetch that fails instead of connecting to a private, loopback or link-local address. */
function publicOnlyFetch(): typeof fetch {
  publicOnlyAgent ??= new Agent({ connect: { lookup: publicOnlyLookup as never } });
  const agent = publicOnlyAgent;
  return ((input: unknown, init?: Record<string, unknown>) => undiciFetch(input as never, { ...(init ?? {}), dispatcher: agent } as never)) as unknown as typeof fetch;
}

export type ReplayUsage = { inputTokens: number; outputTokens: number; cachedInputTokens: number };

export type ReplayResponse = { body: Record<string, unknown>; usage: ReplayUsage | null };

/** A failed attempt, classified so the harness knows whether to retry and whether it may have been billed. */
export class ReplayRequestError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    readonly retryable: boolean,
    /** Connection dropped or timed out after sending: the provider may have billed it. */
    readonly maybeBilled: boolean,
    readonly retryAfterMs: number | null,
  ) {
    super(message);
  }
}

export interface ReplayClient {
  readonly provider: ReplayProvider;
  send(api: ReplayApi, body: Record<string, unknown>, signal?: AbortSignal): Promise<ReplayResponse>;
}

export function apiOfEndpoint(endpoint: string): ReplayApi | null {
  const ep = endpoint.toLowerCase();
  if (ep.includes("/chat/completions")) return "openai.chat";
  if (ep.includes("/responses")) return "openai.responses";
  if (ep.includes("/messages")) return "anthropic.messages";
  return null;
}

function num(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) ? v : 0;
}

/** Token usage reported in a response body of any of the replay APIs. */
export function usageOf(body: Record<string, unknown>): ReplayUsage | null {
  const u = body.usage as Record<string, unknown> | undefined;
  if (!u || typeof u !== "object") return null;
  if ("prompt_tokens" in u) {
    const details = u.prompt_tokens_details as Record<string, unknown> | undefined;
    return { inputTokens: num(u.prompt_tokens), outputTokens: num(u.completion_tokens), cachedInputTokens: num(details?.cached_tokens) };
  }
  if ("input_tokens" in u && "output_tokens" in u && !("cache_read_input_tokens" in u) && body.object === "response") {
    const details = u.input_tokens_details as Record<string, unknown> | undefined;
    return { inputTokens: num(u.input_tokens), outputTokens: num(u.output_tokens), cachedInputTokens: num(details?.cached_tokens) };
  }
  // Anthropic: input_tokens excludes cache reads/writes; count them all as input for pricing purposes.
  return {
    inputTokens: num(u.input_tokens) + num(u.cache_read_input_tokens) + num(u.cache_creation_input_tokens),
    outputTokens: num(u.output_tokens),
    cachedInputTokens: num(u.cache_read_input_tokens),
  };
}

function retryAfter(headers: unknown): number | null {
  const h = headers as { get?: (k: string) => string | null } | undefined;
  const v = h?.get?.("retry-after-ms") ?? null;
  if (v && Number.isFinite(Number(v))) return Number(v);
  const s = h?.get?.("retry-after") ?? null;
  if (s && Number.isFinite(Number(s))) return Number(s) * 1000;
  return null;
}

/**
 * A failed attempt, classified. `apiKey` is cut out of the message: some servers echo the key they were
 * sent in their 401, and this message is stored with the replayed call and may be logged — the key is
 * only ever decrypted to be sent.
 */
function classify(err: unknown, apiKey: string): ReplayRequestError {
  const e = err as { status?: number; headers?: unknown; message?: string; name?: string };
  const status = typeof e?.status === "number" ? e.status : null;
  const raw = e?.message ?? String(err);
  const message = (apiKey ? raw.split(apiKey).join("[REDACTED:provider_key]") : raw).slice(0, 500);
  if (status === null) {
    if (e?.name === "APIUserAbortError" || e?.name === "AbortError") return new ReplayRequestError("aborted", null, false, false, null);
    // Connection error or timeout: the request may have reached the provider.
    return new ReplayRequestError(message, null, true, true, null);
  }
  const retryable = status === 408 || status === 409 || status === 429 || status >= 500;
  return new ReplayRequestError(message, status, retryable, false, retryAfter(e.headers));
}

const PATHS: Record<ReplayApi, string> = {
  "openai.chat": "/chat/completions",
  "openai.responses": "/responses",
  "anthropic.messages": "/v1/messages",
};

export function createReplayClient(config: ReplayEndpointConfig): ReplayClient {
  let url: URL;
  try {
    url = new URL(config.baseUrl);
  } catch {
    throw new Error(`baseUrl "${config.baseUrl}" is not a URL`);
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || url.username || url.password) {
    throw new Error("baseUrl must be an http(s) URL without credentials in it");
  }
  const timeout = config.timeoutMs ?? 60_000;
  const baseURL = config.baseUrl.replace(/\/+$/, "");
  if (config.provider === "anthropic") {
    const client = new Anthropic({ apiKey: config.apiKey, baseURL, maxRetries: 0, timeout, ...(config.publicOnly ? { fetch: publicOnlyFetch() } : {}) });
    return {
      provider: "anthropic",
      async send(api, body, signal) {
        if (api !== "anthropic.messages") throw new ReplayRequestError(`an Anthropic endpoint cannot serve ${api}`, null, false, false, null);
        try {
          const res = (await client.post(PATHS[api], { body, signal })) as Record<string, unknown>;
          return { body: res, usage: usageOf(res) };
        } catch (err) {
          throw classify(err, config.apiKey);
        }
      },
    };
  }
  const client = new OpenAI({ apiKey: config.apiKey, baseURL, maxRetries: 0, timeout, ...(config.publicOnly ? { fetch: publicOnlyFetch() } : {}) });
  return {
    provider: "openai",
    async send(api, body, signal) {
      if (api === "anthropic.messages") throw new ReplayRequestError("an OpenAI-compatible endpoint cannot serve anthropic.messages", null, false, false, null);
      try {
        const res = (await client.post(PATHS[api], { body, signal })) as Record<string, unknown>;
        return { body: res, usage: usageOf(res) };
      } catch (err) {
        throw classify(err, config.apiKey);
      }
    },
  };
}
