// The ingest event the SDK sends: a copy of the public contract in the Spendlens repo
// (lib/ingest/event.ts, documented in docs/ingest.md). Copied, not imported: the SDK is published on its
// own and must not depend on the app. The server derives model, tokens and cost from it; the SDK only
// reports what the provider saw.

export type Provider = "openai" | "anthropic" | "google" | "azure" | "mistral" | "cohere" | "bedrock" | (string & {});

/** Tags that split spend; `feature` and `user` are the ones the dashboard groups by. */
export type Tags = {
  feature?: string;
  user?: string;
  session?: string;
  environment?: string;
  [k: string]: string | undefined;
};

export type IngestEvent = {
  /** Idempotency key, unique within a project (1-128 chars). The same id is sent on every retry. */
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
  tags?: Tags;
  /** Sent through a provider batch API (discounted). */
  batch?: boolean;
  /** e.g. "default" | "flex" | "priority" | "scale" */
  service_tier?: string;
};
