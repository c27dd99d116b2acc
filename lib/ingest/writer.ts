// Store validated events: redact -> normalise -> price -> take out the static prompt -> cap bodies, then
// one transaction per batch: COPY the calls (the cheapest way into Postgres), insert the prompt blobs and
// add the new calls to the rollups (hourly per model and feature, daily per end user). When a batch holds an id that is already stored (a resend),
// COPY fails as a whole and the batch is redone with INSERT ... ON CONFLICT DO NOTHING, which stores
// and rolls up only the new ones: a resent event id never creates a second row nor counts twice.
// Postgres is the limit: per-event work in Node stays small.
import type pg from "pg";
import { getPool } from "../db/client";
import { countTokens } from "../tokens/count";
import { apiKindOf } from "./api-kind";
import { priceStoredCall } from "./call-cost";
import type { IngestEvent, NormalisedCall } from "./event";
import { normaliseEvent } from "./normalise";
import { loadOrgPricing, type OrgPricing } from "./price-overrides";
import { extractStaticPrompt } from "./prompts";
import { redactEvent } from "./redact";
import { BinaryCopyWriter, copyFrom } from "./pg-copy";
import { aggregateRollups, LATENCY_BUCKET_COUNT, type RollupInput } from "./rollup";
import { bodyMaxChars, capJsonSize } from "./truncate";

export type IngestSource = "sdk" | "proxy" | "api" | "otlp" | "import" | "demo" | "replay";
export const INGEST_SOURCES: readonly IngestSource[] = ["sdk", "proxy", "api", "otlp", "import", "demo", "replay"];

export type WriteContext = { projectId: string; organizationId: string; source: IngestSource; replayRunId?: string };
export type WriteResult = { inserted: number; duplicates: number; insertedIds: string[] };

const ERROR_MESSAGE_MAX_CHARS = 4000;

/** One Call row (keys = column names) as COPY or json_to_recordset receive it, bodies apart (see PreparedCall). */
export type CallRow = {
  eventId: string;
  timestamp: string;
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
  cacheWrite1hTokens: number;
  reasoningTokens: number;
  tokensEstimated: boolean;
  costUsd: number | null;
  costBreakdown: unknown;
  priceVersion: string | null;
  finishReason: string | null;
  outputText: string | null;
  feature: string | null;
  endUser: string | null;
  session: string | null;
  environment: string | null;
  tags: Record<string, unknown> | null;
  batch: boolean;
  serviceTier: string | null;
  promptHash: string | null;
  truncated: boolean;
  redactions: unknown;
};

type BlobRow = { hash: string; text: string; tokens: number | null };

// Hashes of prompt blobs this process has seen committed, per project: their text need not be re-sent.
const knownBlobs = new Map<string, Set<string>>();
const KNOWN_BLOBS_PER_PROJECT = 20_000;

function isKnownBlob(projectId: string, hash: string): boolean {
  return knownBlobs.get(projectId)?.has(hash) ?? false;
}
function rememberBlobs(projectId: string, hashes: Iterable<string>): void {
  let set = knownBlobs.get(projectId);
  if (!set) knownBlobs.set(projectId, (set = new Set()));
  if (set.size > KNOWN_BLOBS_PER_PROJECT) set.clear();
  for (const h of hashes) set.add(h);
}

function capText(text: string | null, max: number): { text: string | null; cut: boolean } {
  if (text === null || text.length <= max) return { text, cut: false };
  return { text: `${text.slice(0, max)}\u2026[truncated ${text.length - max} chars]`, cut: true };
}

export type PreparedCall = {
  row: CallRow;
  /** Stored bodies (redacted, static prompt out, capped) and their JSON, serialised once. */
  request: unknown;
  response: unknown;
  requestJson: string;
  responseJson: string;
  blob: BlobRow | null;
  normalised: NormalisedCall;
};

/** A body capped to maxChars, with its JSON (computed once: it is both the size check and the payload). */
function capBody(value: unknown, maxChars: number): { value: unknown; json: string; truncated: boolean } {
  const json = JSON.stringify(value);
  if (json.length <= maxChars) return { value, json, truncated: false };
  const capped = capJsonSize(value, maxChars, json);
  return { value: capped.value, json: JSON.stringify(capped.value), truncated: capped.truncated };
}

/** Everything stored for one event, without touching the database (exported for tests and benchmarks). */
export function prepareCall(event: IngestEvent, pricing: OrgPricing, maxBodyChars: number = bodyMaxChars()): PreparedCall {
  const { event: clean, redactions } = redactEvent(event);
  const n = normaliseEvent(clean);
  if (Number.isNaN(n.timestamp.getTime())) {
    throw new Error(`writeEvents: event "${event.id}" has an invalid timestamp; pass events through validateEvent first`);
  }
  const priced = priceStoredCall(n, pricing);
  const kind = apiKindOf(clean);
  const extracted = extractStaticPrompt(kind, clean.request);
  const request = capBody(extracted ? extracted.request : clean.request, maxBodyChars);
  const response = clean.response === null ? { value: null, json: "null", truncated: false } : capBody(clean.response, maxBodyChars);
  const output = capText(n.outputText, maxBodyChars);
  const errorMessage = capText(n.errorMessage, ERROR_MESSAGE_MAX_CHARS).text;
  const row: CallRow = {
    eventId: n.eventId,
    timestamp: n.timestamp.toISOString(),
    provider: n.provider,
    endpoint: n.endpoint,
    model: n.model,
    status: n.status,
    errorMessage,
    latencyMs: n.latencyMs,
    ttftMs: n.ttftMs,
    inputTokens: n.inputTokens,
    outputTokens: n.outputTokens,
    cachedInputTokens: n.cachedInputTokens,
    cacheWriteTokens: n.cacheWriteTokens,
    cacheWrite1hTokens: n.cacheWrite1hTokens ?? 0,
    reasoningTokens: n.reasoningTokens,
    tokensEstimated: n.tokensEstimated,
    costUsd: priced.costUsd,
    costBreakdown: priced.costBreakdown,
    priceVersion: priced.priceVersion,
    finishReason: n.finishReason,
    outputText: output.text,
    feature: n.feature,
    endUser: n.endUser,
    session: n.session,
    environment: n.environment,
    tags: clean.tags && Object.keys(clean.tags).length > 0 ? clean.tags : null,
    batch: n.batch,
    serviceTier: n.serviceTier,
    promptHash: extracted?.hash ?? null,
    truncated: request.truncated || response.truncated || output.cut,
    redactions: redactions.length > 0 ? redactions : null,
  };
  const blob = extracted ? { hash: extracted.hash, text: extracted.text, tokens: null } : null;
  return {
    row,
    request: request.value,
    response: response.value,
    requestJson: request.json,
    responseJson: response.json,
    blob,
    normalised: n,
  };
}

// Postgres jsonb rejects \u0000 and lone surrogates, which JSON.stringify emits as escapes: one bad
// character must not fail a whole batch, so they become U+FFFD. The pattern starts with a literal so V8
// scans fast; an escape preceded by an odd number of backslashes is literal text and stays.
const PG_UNSAFE_ESCAPE = /\\u(?:0000|d[89a-f][0-9a-f]{2})/gi;
export function pgSafeJson(json: string): string {
  PG_UNSAFE_ESCAPE.lastIndex = 0;
  if (!PG_UNSAFE_ESCAPE.test(json)) return json;
  return json.replace(PG_UNSAFE_ESCAPE, (match: string, offset: number) => {
    let backslashes = 0;
    for (let i = offset - 1; i >= 0 && json.charCodeAt(i) === 92; i--) backslashes++;
    return backslashes % 2 === 0 ? "\\ufffd" : match;
  });
}
export function toPgJson(value: unknown): string {
  return pgSafeJson(JSON.stringify(value));
}

/** The json_to_recordset payload: each row's JSON with its pre-serialised bodies spliced in. */
function rowsJson(prepared: PreparedCall[]): string {
  const parts = new Array<string>(prepared.length);
  for (let i = 0; i < prepared.length; i++) {
    const p = prepared[i];
    const core = JSON.stringify(p.row);
    parts[i] = `${core.slice(0, -1)},"request":${p.requestJson},"response":${p.responseJson}}`;
  }
  return pgSafeJson(`[${parts.join(",")}]`);
}

const CALL_COLUMNS: Array<[keyof CallRow | "request" | "response", string]> = [
  ["eventId", "text"],
  ["timestamp", "timestamptz"],
  ["provider", "text"],
  ["endpoint", "text"],
  ["model", "text"],
  ["status", "int"],
  ["errorMessage", "text"],
  ["latencyMs", "int"],
  ["ttftMs", "int"],
  ["inputTokens", "int"],
  ["outputTokens", "int"],
  ["cachedInputTokens", "int"],
  ["cacheWriteTokens", "int"],
  ["cacheWrite1hTokens", "int"],
  ["reasoningTokens", "int"],
  ["tokensEstimated", "boolean"],
  ["costUsd", "float8"],
  ["costBreakdown", "jsonb"],
  ["priceVersion", "text"],
  ["finishReason", "text"],
  ["outputText", "text"],
  ["feature", "text"],
  ["endUser", "text"],
  ["session", "text"],
  ["environment", "text"],
  ["tags", "jsonb"],
  ["batch", "boolean"],
  ["serviceTier", "text"],
  ["promptHash", "text"],
  ["request", "jsonb"],
  ["response", "jsonb"],
  ["truncated", "boolean"],
  ["redactions", "jsonb"],
];

const q = (c: string) => `"${c}"`;
const CALL_COLUMN_LIST = CALL_COLUMNS.map(([c]) => q(c)).join(", ");

// Element-wise sum of the stored and the new histogram, written out per bucket (no subquery per row);
// a shorter stored array (fewer buckets in an older version) counts as zeros.
const BUCKET_SUM_SQL = `ARRAY[${Array.from(
  { length: LATENCY_BUCKET_COUNT },
  (_, i) => `coalesce("UsageHourly"."latencyBuckets"[${i + 1}], 0) + coalesce(EXCLUDED."latencyBuckets"[${i + 1}], 0)`,
).join(", ")}]::int[]`;

/** The hour bucket of a timestamptz, independent of the session time zone (same as hourOf in rollup.ts). */
export const HOUR_SQL = (col: string) => `to_timestamp(floor(extract(epoch FROM ${col}) / 3600) * 3600)`;
/** The UTC day bucket of a timestamptz (same as dayOf in rollup.ts). */
export const DAY_SQL = (col: string) => `to_timestamp(floor(extract(epoch FROM ${col}) / 86400) * 86400)`;

const COPY_SQL = `COPY "Call" ("projectId", ${CALL_COLUMN_LIST}, "source", "replayRunId") FROM STDIN WITH (FORMAT binary)`;

const INSERT_SQL = `
INSERT INTO "Call" ("projectId", ${CALL_COLUMN_LIST}, "source", "replayRunId")
SELECT $1, ${CALL_COLUMN_LIST}, $3, $4 FROM json_to_recordset($2::json) AS r(${CALL_COLUMNS.map(([c, t]) => `${q(c)} ${t}`).join(", ")})
ON CONFLICT DO NOTHING
RETURNING "eventId"`;

// Prompt blobs and the rollup increments of the rows inserted (hourly per model and feature, daily per
// end user), in one statement.
const FINISH_SQL = `
WITH blobs AS (
  INSERT INTO "PromptBlob" ("projectId", "hash", "text", "tokens")
  SELECT $1, b.hash, b.text, b.tokens FROM json_to_recordset($2::json) AS b(hash text, text text, tokens int)
  ON CONFLICT DO NOTHING
),
users AS (
  INSERT INTO "UsageDailyUser" ("projectId", "day", "endUser", "requests", "errors", "unpricedRequests", "inputTokens", "outputTokens", "costUsd")
  SELECT $1, r.* FROM json_to_recordset($4::json) AS r("day" timestamptz, "endUser" text, "requests" int, "errors" int,
    "unpricedRequests" int, "inputTokens" bigint, "outputTokens" bigint, "costUsd" float8)
  ON CONFLICT ("projectId", "day", "endUser") DO UPDATE SET
    "requests" = "UsageDailyUser"."requests" + EXCLUDED."requests",
    "errors" = "UsageDailyUser"."errors" + EXCLUDED."errors",
    "unpricedRequests" = "UsageDailyUser"."unpricedRequests" + EXCLUDED."unpricedRequests",
    "inputTokens" = "UsageDailyUser"."inputTokens" + EXCLUDED."inputTokens",
    "outputTokens" = "UsageDailyUser"."outputTokens" + EXCLUDED."outputTokens",
    "costUsd" = "UsageDailyUser"."costUsd" + EXCLUDED."costUsd"
)
INSERT INTO "UsageHourly" ("projectId", "hour", "model", "feature", "requests", "errors", "unpricedRequests",
  "inputTokens", "outputTokens", "cachedInputTokens", "costUsd", "latencySumMs", "latencyCount", "latencyBuckets")
SELECT $1, r.* FROM json_to_recordset($3::json) AS r("hour" timestamptz, "model" text, "feature" text,
  "requests" int, "errors" int, "unpricedRequests" int, "inputTokens" bigint, "outputTokens" bigint, "cachedInputTokens" bigint,
  "costUsd" float8, "latencySumMs" bigint, "latencyCount" int, "latencyBuckets" int[])
ON CONFLICT ("projectId", "hour", "model", "feature") DO UPDATE SET
  "requests" = "UsageHourly"."requests" + EXCLUDED."requests",
  "errors" = "UsageHourly"."errors" + EXCLUDED."errors",
  "unpricedRequests" = "UsageHourly"."unpricedRequests" + EXCLUDED."unpricedRequests",
  "inputTokens" = "UsageHourly"."inputTokens" + EXCLUDED."inputTokens",
  "outputTokens" = "UsageHourly"."outputTokens" + EXCLUDED."outputTokens",
  "cachedInputTokens" = "UsageHourly"."cachedInputTokens" + EXCLUDED."cachedInputTokens",
  "costUsd" = "UsageHourly"."costUsd" + EXCLUDED."costUsd",
  "latencySumMs" = "UsageHourly"."latencySumMs" + EXCLUDED."latencySumMs",
  "latencyCount" = "UsageHourly"."latencyCount" + EXCLUDED."latencyCount",
  "latencyBuckets" = ${BUCKET_SUM_SQL}`;

/** The COPY payload (binary format): one tuple per call, fields in COPY_SQL's column order. */
function callsCopyPayload(ctx: WriteContext, prepared: PreparedCall[]): Buffer {
  const out = new BinaryCopyWriter(prepared.length * 2048);
  const fields = CALL_COLUMNS.length + 3;
  for (const p of prepared) {
    const row = p.row as unknown as Record<string, unknown>;
    out.row(fields);
    out.text(ctx.projectId);
    for (const [col, type] of CALL_COLUMNS) {
      const value = row[col];
      switch (type) {
        case "text":
          out.text(value as string | null);
          break;
        case "int":
          out.int4(value as number | null);
          break;
        case "boolean":
          out.bool(value as boolean);
          break;
        case "float8":
          out.float8(value as number | null);
          break;
        case "timestamptz":
          out.timestamptz(p.normalised.timestamp.getTime());
          break;
        case "jsonb":
          if (col === "request") out.jsonb(pgSafeJson(p.requestJson));
          else if (col === "response") out.jsonb(p.response === null ? null : pgSafeJson(p.responseJson));
          else out.jsonb(value === null || value === undefined ? null : toPgJson(value));
          break;
        default:
          throw new Error(`no COPY encoding for column type ${type}`);
      }
    }
    out.text(ctx.source);
    out.text(ctx.replayRunId ?? null);
  }
  return out.finish();
}

function sqlState(err: unknown): string | undefined {
  return typeof err === "object" && err !== null ? (err as { code?: string }).code : undefined;
}

/**
 * Fast path for the common case (new events): COPY the batch (`prepared` has one row per id). If any
 * id is already stored — a resend, or a concurrent writer — COPY fails with a unique violation, the
 * transaction rolls back and the caller redoes the batch with `insertOnConflict`.
 */
async function copyCalls(client: pg.PoolClient, ctx: WriteContext, prepared: PreparedCall[]): Promise<PreparedCall[]> {
  if (prepared.length > 0) await copyFrom(client, COPY_SQL, callsCopyPayload(ctx, prepared));
  return prepared;
}

/** Slow path, safe under any concurrency: INSERT ... ON CONFLICT DO NOTHING RETURNING the ids inserted. */
async function insertOnConflict(client: pg.PoolClient, ctx: WriteContext, prepared: PreparedCall[]): Promise<PreparedCall[]> {
  const { rows } = await client.query<{ eventId: string }>(INSERT_SQL, [ctx.projectId, rowsJson(prepared), ctx.source, ctx.replayRunId ?? null]);
  const inserted = new Set(rows.map((r) => r.eventId));
  return prepared.filter((p) => inserted.has(p.row.eventId));
}

function rollupInput({ row, normalised }: PreparedCall): RollupInput {
  return {
    timestamp: normalised.timestamp,
    model: row.model,
    feature: row.feature,
    endUser: row.endUser,
    status: row.status,
    inputTokens: row.inputTokens,
    outputTokens: row.outputTokens,
    cachedInputTokens: row.cachedInputTokens,
    costUsd: row.costUsd,
    latencyMs: row.latencyMs,
  };
}

async function writeInTransaction(
  client: pg.PoolClient,
  ctx: WriteContext,
  prepared: PreparedCall[],
  blobsJson: string,
  insert: typeof copyCalls,
): Promise<PreparedCall[]> {
  await client.query("BEGIN");
  try {
    const inserted = await insert(client, ctx, prepared);
    // Replayed calls are stored but never rolled up as spend.
    const rollups = ctx.source === "replay" ? { hourly: [], users: [] } : aggregateRollups(inserted.map(rollupInput));
    await client.query(FINISH_SQL, [ctx.projectId, blobsJson, toPgJson(rollups.hourly), toPgJson(rollups.users)]);
    await client.query("COMMIT");
    return inserted;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  }
}

/**
 * Store validated events (validateEvent) for one project. Idempotent per event id; the rollup only
 * counts rows inserted now (same transaction), and replayed calls (source "replay") are never rolled up.
 */
export async function writeEvents(ctx: WriteContext, events: IngestEvent[]): Promise<WriteResult> {
  if (events.length === 0) return { inserted: 0, duplicates: 0, insertedIds: [] };
  const pricing = await loadOrgPricing(ctx.organizationId);
  const maxBody = bodyMaxChars();
  const prepared: PreparedCall[] = new Array(events.length);
  const blobs = new Map<string, BlobRow>();
  for (let i = 0; i < events.length; i++) {
    const p = prepareCall(events[i], pricing, maxBody);
    prepared[i] = p;
    const blob = p.blob;
    if (blob && !blobs.has(blob.hash) && !isKnownBlob(ctx.projectId, blob.hash)) {
      blob.tokens = countTokens(blob.text, p.normalised.model ?? "").tokens;
      blobs.set(blob.hash, blob);
    }
  }
  // One row per id (its first occurrence), in id order: every writer then takes row locks in the same
  // order, so concurrent batches with overlapping ids wait for each other instead of deadlocking.
  const seen = new Set<string>();
  const unique: PreparedCall[] = [];
  for (const p of prepared) {
    if (seen.has(p.row.eventId)) continue;
    seen.add(p.row.eventId);
    unique.push(p);
  }
  unique.sort((a, b) => (a.row.eventId < b.row.eventId ? -1 : a.row.eventId > b.row.eventId ? 1 : 0));
  const blobsJson = toPgJson([...blobs.values()]);
  const client = await getPool().connect();
  let inserted: PreparedCall[] | null = null;
  let failed = false;
  try {
    for (let attempt = 0; inserted === null; attempt++) {
      try {
        inserted = await writeInTransaction(client, ctx, unique, blobsJson, attempt === 0 ? copyCalls : insertOnConflict);
      } catch (err) {
        // 23505: an id is already stored (resend, or a concurrent writer); 40P01: deadlock (e.g. with a backfill).
        const retryable = sqlState(err) === "23505" || sqlState(err) === "40P01";
        if (!retryable || attempt >= 2) {
          failed = true;
          throw err;
        }
      }
    }
  } finally {
    // A connection that failed in a way we did not expect is discarded rather than reused.
    client.release(failed);
  }
  rememberBlobs(ctx.projectId, blobs.keys());
  const insertedIds = inserted.map((p) => p.row.eventId);
  return { inserted: insertedIds.length, duplicates: events.length - insertedIds.length, insertedIds };
}
