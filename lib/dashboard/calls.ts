// The calls explorer: filtered, keyset-paginated call lists, one call's detail, CSV export. Every
// query is scoped to one project. Production calls only (replays are kept apart).
import { Prisma } from "../db/generated/client";
import { db } from "../db/client";

export type CallFilter = {
  from?: Date;
  to?: Date;
  model?: string;
  feature?: string;
  endUser?: string;
  status?: "ok" | "error";
  minCostUsd?: number;
  maxCostUsd?: number;
  unpriced?: boolean;
  /** Case-insensitive text search in the output and the request body. */
  q?: string;
};

export type CallCursor = { timestamp: string; eventId: string };

const LIST_SELECT = {
  eventId: true,
  timestamp: true,
  provider: true,
  model: true,
  feature: true,
  endUser: true,
  status: true,
  latencyMs: true,
  inputTokens: true,
  outputTokens: true,
  cachedInputTokens: true,
  costUsd: true,
  tokensEstimated: true,
  outputText: true,
} satisfies Prisma.CallSelect;

export type CallListItem = Prisma.CallGetPayload<{ select: typeof LIST_SELECT }>;

/** Parse filters from URL search params, naming the field on bad input. */
export function parseCallFilter(params: URLSearchParams): CallFilter {
  const filter: CallFilter = {};
  const date = (name: string) => {
    const v = params.get(name);
    if (!v) return undefined;
    const d = new Date(v);
    if (Number.isNaN(d.getTime())) throw new FilterError(name, `${name} must be a date (ISO 8601)`);
    return d;
  };
  const num = (name: string) => {
    const v = params.get(name);
    if (v === null || v === "") return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new FilterError(name, `${name} must be a non-negative number`);
    return n;
  };
  filter.from = date("from");
  filter.to = date("to");
  for (const key of ["model", "feature", "endUser", "q"] as const) {
    const v = params.get(key);
    if (v) {
      if (v.length > 200) throw new FilterError(key, `${key} is too long (200 characters at most)`);
      filter[key] = v;
    }
  }
  const status = params.get("status");
  if (status) {
    if (status !== "ok" && status !== "error") throw new FilterError("status", "status must be ok or error");
    filter.status = status;
  }
  filter.minCostUsd = num("minCost");
  filter.maxCostUsd = num("maxCost");
  if (params.get("unpriced") === "1") filter.unpriced = true;
  return filter;
}

export class FilterError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

function where(projectId: string, f: CallFilter): Prisma.CallWhereInput {
  const and: Prisma.CallWhereInput[] = [{ projectId, replayRunId: null }];
  if (f.from || f.to) and.push({ timestamp: { gte: f.from, lt: f.to } });
  if (f.model) and.push({ model: f.model });
  if (f.feature) and.push({ feature: f.feature });
  if (f.endUser) and.push({ endUser: f.endUser });
  if (f.status === "ok") and.push({ status: { lt: 400 } });
  if (f.status === "error") and.push({ status: { gte: 400 } });
  if (f.unpriced) and.push({ costUsd: null });
  if (f.minCostUsd !== undefined || f.maxCostUsd !== undefined) and.push({ costUsd: { gte: f.minCostUsd, lte: f.maxCostUsd } });
  if (f.q) and.push({ OR: [{ outputText: { contains: f.q, mode: "insensitive" } }, { eventId: f.q }] });
  return { AND: and };
}

export async function listCalls(projectId: string, filter: CallFilter, opts: { limit?: number; cursor?: CallCursor } = {}) {
  const limit = Math.min(Math.max(opts.limit ?? 50, 1), 500);
  const base = where(projectId, filter);
  const page: Prisma.CallWhereInput = opts.cursor
    ? {
        AND: [
          base,
          {
            OR: [
              { timestamp: { lt: new Date(opts.cursor.timestamp) } },
              { timestamp: new Date(opts.cursor.timestamp), eventId: { lt: opts.cursor.eventId } },
            ],
          },
        ],
      }
    : base;
  const rows = await db.call.findMany({
    where: page,
    select: LIST_SELECT,
    orderBy: [{ timestamp: "desc" }, { eventId: "desc" }],
    take: limit + 1,
  });
  const more = rows.length > limit;
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return {
    items,
    nextCursor: more && last ? ({ timestamp: last.timestamp.toISOString(), eventId: last.eventId } satisfies CallCursor) : null,
  };
}

/** One call with its bodies (static prompt restored from PromptBlob when it was stored apart). */
export async function getCallDetail(projectId: string, eventId: string) {
  const call = await db.call.findUnique({ where: { projectId_eventId: { projectId, eventId } } });
  if (!call) return null;
  const prompt = call.promptHash
    ? await db.promptBlob.findUnique({ where: { projectId_hash: { projectId, hash: call.promptHash } } })
    : null;
  return { call, staticPrompt: prompt?.text ?? null };
}

const CSV_COLUMNS = ["eventId", "timestamp", "provider", "model", "feature", "endUser", "status", "latencyMs", "inputTokens", "cachedInputTokens", "outputTokens", "costUsd", "tokensEstimated"] as const;

function csvField(v: unknown): string {
  if (v === null || v === undefined) return "";
  const s = v instanceof Date ? v.toISOString() : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** CSV of a filtered view, streamed page by page (bounded memory). */
export async function* callsCsv(projectId: string, filter: CallFilter, maxRows = 100_000): AsyncGenerator<string> {
  yield CSV_COLUMNS.join(",") + "\n";
  let cursor: CallCursor | undefined;
  let sent = 0;
  while (sent < maxRows) {
    const page = await listCalls(projectId, filter, { limit: 500, cursor });
    for (const row of page.items) yield CSV_COLUMNS.map((c) => csvField(row[c])).join(",") + "\n";
    sent += page.items.length;
    if (!page.nextCursor) return;
    cursor = page.nextCursor;
  }
}
