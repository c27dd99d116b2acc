// The ingest event: one LLM call, close to what the provider saw. A public contract (docs/ingest.md):
// the SDK, the proxy, OTLP spans and file import all produce it; the offline analyser reads it.
// Normalised columns (model, tokens, cost, ...) are derived on the server, never trusted from clients.

export type Provider = "openai" | "anthropic" | "google" | "azure" | "mistral" | "cohere" | "bedrock" | (string & {});

export type IngestEvent = {
  /** Idempotency key, unique within a project (1-128 chars). */
  id: string;
  /** ISO 8601 time the call started. */
  timestamp: string;
  provider: Provider;
  /** Provider API path, e.g. "/v1/chat/completions", "/v1/responses", "/v1/messages". */
  endpoint: string;
  /** The provider request body as sent. */
  request: Record<string, unknown>;
  /** The provider response body (for streams: the assembled response with usage), or null. */
  response: Record<string, unknown> | null;
  error?: { status: number; message: string };
  latency_ms: number;
  ttft_ms?: number;
  tags?: { feature?: string; user?: string; session?: string; environment?: string; [k: string]: string | undefined };
  /** Sent through a provider batch API (discounted). */
  batch?: boolean;
  /** e.g. "default" | "flex" | "priority" | "scale" */
  service_tier?: string;
};

/** What the server derives from an event (lib/ingest/normalise.ts). */
export type NormalisedCall = {
  eventId: string;
  timestamp: Date;
  provider: string;
  endpoint: string;
  model: string | null;
  status: number;
  errorMessage: string | null;
  latencyMs: number | null;
  ttftMs: number | null;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  cacheWriteTokens: number;
  /** Part of cacheWriteTokens written with a 1 h TTL (Anthropic); absent = 0. */
  cacheWrite1hTokens?: number;
  reasoningTokens: number;
  tokensEstimated: boolean;
  finishReason: string | null;
  outputText: string | null;
  feature: string | null;
  endUser: string | null;
  session: string | null;
  environment: string | null;
  batch: boolean;
  serviceTier: string | null;
};
