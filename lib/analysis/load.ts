// AnalysisCalls for the analyses: production calls of one project read from the call log (replays
// excluded) with their full requests restored, or built straight from ingest events (offline analyser).
import { getPool } from "../db/client";
import type { IngestEvent, NormalisedCall } from "../ingest/event";
import { loadPromptTexts, restoreRequest } from "../ingest/stored";
import type { AnalysisCall } from "./types";

export type LoadCallsOptions = {
  since?: Date;
  until?: Date;
  feature?: string;
  /** At most this many calls: the most recent ones (default 100,000), still returned oldest first. */
  limit?: number;
};

export const DEFAULT_ANALYSIS_LIMIT = 100_000;

type Row = {
  eventId: string;
  timestamp: Date;
  provider: string;
  endpoint: string;
  model: string | null;
  feature: string | null;
  endUser: string | null;
  session: string | null;
  tags: Record<string, unknown> | null;
  request: unknown;
  response: Record<string, unknown> | null;
  outputText: string | null;
  status: number;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  cacheWriteTokens: number;
  costUsd: number | null;
  latencyMs: number | null;
  batch: boolean;
  promptHash: string | null;
};

function stringTags(tags: Record<string, unknown> | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (tags) for (const [k, v] of Object.entries(tags)) if (typeof v === "string") out[k] = v;
  return out;
}

/**
 * The calls of an analysis run's window (params since/until as ISO strings, optional feature and limit)
 * and the window itself: the params' bounds, else the first and last call's times.
 */
export async function loadWindowedCalls(
  projectId: string,
  params: { since?: string; until?: string; feature?: string; limit?: number },
): Promise<{ calls: AnalysisCall[]; window: { from: Date; to: Date } }> {
  const calls = await loadCallsForAnalysis(projectId, {
    since: params.since ? new Date(params.since) : undefined,
    until: params.until ? new Date(params.until) : undefined,
    feature: params.feature,
    limit: params.limit,
  });
  const first = calls.length ? calls[0].timestamp.getTime() : Date.now();
  const last = calls.length ? calls[calls.length - 1].timestamp.getTime() : Date.now();
  return {
    calls,
    window: { from: params.since ? new Date(params.since) : new Date(first), to: params.until ? new Date(params.until) : new Date(last) },
  };
}

/** Production calls of a project (never replays), oldest first, requests restored. */
export async function loadCallsForAnalysis(projectId: string, opts: LoadCallsOptions = {}): Promise<AnalysisCall[]> {
  const where = [`"projectId" = $1`, `"replayRunId" IS NULL`, `"source" <> 'replay'`];
  const params: unknown[] = [projectId];
  if (opts.since) {
    params.push(opts.since);
    where.push(`"timestamp" >= $${params.length}`);
  }
  if (opts.until) {
    params.push(opts.until);
    where.push(`"timestamp" < $${params.length}`);
  }
  if (opts.feature !== undefined) {
    params.push(opts.feature);
    where.push(`"feature" = $${params.length}`);
  }
  const limit = Math.max(0, Math.floor(opts.limit ?? DEFAULT_ANALYSIS_LIMIT));
  params.push(limit);
  const { rows } = await getPool().query<Row>(
    `SELECT * FROM (
       SELECT "eventId", "timestamp", "provider", "endpoint", "model", "feature", "endUser", "session", "tags", "request", "response",
              "outputText", "status", "inputTokens", "outputTokens", "cachedInputTokens", "cacheWriteTokens", "costUsd", "latencyMs",
              "batch", "promptHash"
       FROM "Call" WHERE ${where.join(" AND ")}
       ORDER BY "timestamp" DESC, "eventId" DESC LIMIT $${params.length}
     ) recent ORDER BY "timestamp", "eventId"`,
    params,
  );
  const prompts = await loadPromptTexts(
    projectId,
    rows.map((r) => r.promptHash).filter((h): h is string => h !== null),
  );
  return rows.map((r) => ({
    id: r.eventId,
    timestamp: r.timestamp,
    provider: r.provider,
    endpoint: r.endpoint,
    model: r.model,
    feature: r.feature,
    endUser: r.endUser,
    session: r.session,
    tags: stringTags(r.tags),
    request: restoreRequest(r.request, r.promptHash, prompts),
    response: r.response,
    outputText: r.outputText,
    status: r.status,
    inputTokens: r.inputTokens,
    outputTokens: r.outputTokens,
    cachedInputTokens: r.cachedInputTokens,
    cacheWriteTokens: r.cacheWriteTokens,
    costUsd: r.costUsd,
    latencyMs: r.latencyMs,
    batch: r.batch,
  }));
}

/** An AnalysisCall from an ingest event without a database (offline analyser over JSONL). */
export function eventToAnalysisCall(event: IngestEvent, normalised: NormalisedCall, cost: number | null): AnalysisCall {
  return {
    id: event.id,
    timestamp: normalised.timestamp,
    provider: normalised.provider,
    endpoint: normalised.endpoint,
    model: normalised.model,
    feature: normalised.feature,
    endUser: normalised.endUser,
    session: normalised.session,
    tags: stringTags(event.tags),
    request: event.request,
    response: event.response,
    outputText: normalised.outputText,
    status: normalised.status,
    inputTokens: normalised.inputTokens,
    outputTokens: normalised.outputTokens,
    cachedInputTokens: normalised.cachedInputTokens,
    cacheWriteTokens: normalised.cacheWriteTokens,
    costUsd: cost,
    latencyMs: normalised.latencyMs,
    batch: normalised.batch,
  };
}
