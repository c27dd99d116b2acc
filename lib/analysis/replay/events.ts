// A finished replay as an ingest event, stored with source "replay" and the run id so it is kept for
// inspection but never counts as production spend (writeEvents skips the rollup; loaders skip replays).
import { createHash } from "node:crypto";
import type { IngestEvent } from "../../ingest/event";
import type { AnalysisCall } from "../types";
import type { ReplayOutcome } from "./harness";

const ENDPOINTS = { "openai.chat": "/v1/chat/completions", "openai.responses": "/v1/responses", "anthropic.messages": "/v1/messages" } as const;

/** The event for a replay that reached the provider (ok or failed after sending); null otherwise. */
export function replayEvent(outcome: ReplayOutcome, call: AnalysisCall, ctx: { runId: string; model: string; provider: string }): IngestEvent | null {
  if (outcome.attempts === 0 || !outcome.api || !outcome.request) return null;
  const id = `replay_${createHash("sha256").update(`${ctx.runId}\u0000${call.id}\u0000${ctx.model}`).digest("hex").slice(0, 40)}`;
  const tags: Record<string, string> = { replay_of: call.id.slice(0, 1024), replay_model: ctx.model.slice(0, 1024) };
  if (call.feature) tags.feature = call.feature.slice(0, 1024);
  return {
    id,
    timestamp: (outcome.startedAt ?? new Date()).toISOString(),
    provider: ctx.provider,
    endpoint: ENDPOINTS[outcome.api],
    request: outcome.request,
    response: outcome.status === "ok" ? (outcome.response ?? null) : null,
    ...(outcome.status !== "ok" ? { error: { status: outcome.httpStatus ?? 0, message: (outcome.error ?? "replay failed").slice(0, 1000) } } : {}),
    latency_ms: Math.max(0, Math.round(outcome.latencyMs ?? 0)),
    tags,
  };
}
