// Reads ingest-event JSONL files (and OpenAI Batch API input/output pairs) into AnalysisCalls the way the
// server would store them: validate -> redact -> normalise -> price (priceStoredCall, no organization
// overrides) -> eventToAnalysisCall. Bad lines are collected with their file, line number and field and
// never stop the rest. A repeated event id counts once, as on the server (the id is the idempotency key).
import { createHash } from "node:crypto";
import { createReadStream, statSync } from "node:fs";
import { open } from "node:fs/promises";
import path from "node:path";
import { eventToAnalysisCall } from "../analysis/load";
import type { AnalysisCall } from "../analysis/types";
import { priceStoredCall } from "../ingest/call-cost";
import { parseJsonl, readBatchRequests, type BatchRequestLine } from "../ingest/jsonl";
import { normaliseEvent } from "../ingest/normalise";
import type { OrgPricing } from "../ingest/price-overrides";
import { redactEvent } from "../ingest/redact";
import { PRICE_VERSION } from "../pricing/cost";

export type LineError = { file: string; line: number; field: string; message: string };

export type InputFileSummary = {
  /** The path as given on the command line. */
  file: string;
  /** sha256 of the file's bytes (hex). */
  sha256: string;
  kind: "events" | "openai_batch_input";
  bytes: number;
  /** Number of the last non-empty line. */
  lines: number;
  /** Valid events, repeated ids included. */
  events: number;
  errors: number;
};

export type LoadedCalls = {
  /** Oldest first (timestamp, then id), like the server's analysis input. */
  calls: AnalysisCall[];
  files: InputFileSummary[];
  /** The first `maxErrors` bad lines, in file and line order. */
  errors: LineError[];
  errorCount: number;
  duplicates: number;
  /** Calls whose model has no price (cost null): they are analysed but add nothing to dollar figures. */
  unpriced: number;
  /** Secrets replaced before analysis, by kind (as the server does before storing). */
  redactions: Record<string, number>;
  priceVersion: string;
};

export type LoadOptions = {
  /** Bad lines kept in detail (all are counted). Default 1000. */
  maxErrors?: number;
  /** Called as bytes are read, over all event files. */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /** Validation clock (rejects timestamps more than 24 h after it). Default: now. */
  now?: number;
  /** Timestamp for OpenAI batch output lines whose body carries none. Default: the output file's mtime. */
  batchFallbackTimestamp?: Date;
};

/** Offline pricing: the bundled price table, no organization overrides. */
export const OFFLINE_PRICING: OrgPricing = { organizationId: "offline", overrides: {}, version: PRICE_VERSION, updatedAt: 0 };

export class InputFileError extends Error {}

/** Whether a file starts with an OpenAI Batch API input line ({custom_id, body} and no response). */
async function isBatchInputFile(file: string): Promise<boolean> {
  const handle = await open(file, "r");
  try {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    const text = buf.subarray(0, bytesRead).toString("utf8");
    const first = text.split("\n").find((l) => l.trim().length > 0);
    if (!first) return false;
    try {
      const v = JSON.parse(first) as Record<string, unknown>;
      return typeof v === "object" && v !== null && typeof v.custom_id === "string" && typeof v.body === "object" && !("response" in v);
    } catch {
      return false; // a long first line cut at 64 KiB, or not JSON: read it as events and report it there
    }
  } finally {
    await handle.close();
  }
}

function checkReadable(file: string): number {
  let size: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new InputFileError(`${file}: not a file`);
    size = st.size;
  } catch (err) {
    if (err instanceof InputFileError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputFileError(code === "ENOENT" ? `${file}: no such file` : `${file}: cannot read (${code ?? (err as Error).message})`);
  }
  return size;
}

/** The file's chunks, counted and hashed as they pass. */
async function* countingStream(file: string, hash: ReturnType<typeof createHash>, onBytes: (n: number) => void): AsyncGenerator<Buffer> {
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    onBytes((chunk as Buffer).length);
    yield chunk as Buffer;
  }
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

function compareCalls(a: AnalysisCall, b: AnalysisCall): number {
  const d = a.timestamp.getTime() - b.timestamp.getTime();
  if (d !== 0) return d;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Loads every file; throws InputFileError only for a file that cannot be read at all. */
export async function loadCallsFromFiles(files: string[], opts: LoadOptions = {}): Promise<LoadedCalls> {
  if (files.length === 0) throw new InputFileError("no input file given");
  const maxErrors = opts.maxErrors ?? 1000;
  const sizes = files.map(checkReadable);
  const batchRequests = new Map<string, BatchRequestLine>();
  const summaries: InputFileSummary[] = [];
  const eventFiles: Array<{ file: string; size: number; summary: InputFileSummary }> = [];
  for (let i = 0; i < files.length; i++) {
    const file = files[i];
    if (await isBatchInputFile(file)) {
      const requests = await readBatchRequests(createReadStream(file));
      for (const [id, req] of requests) batchRequests.set(id, req);
      summaries.push({ file, sha256: await sha256Of(file), kind: "openai_batch_input", bytes: sizes[i], lines: requests.size, events: 0, errors: 0 });
    } else {
      const summary: InputFileSummary = { file, sha256: "", kind: "events", bytes: sizes[i], lines: 0, events: 0, errors: 0 };
      summaries.push(summary);
      eventFiles.push({ file, size: sizes[i], summary });
    }
  }
  if (eventFiles.length === 0) throw new InputFileError("only OpenAI Batch API input files given: add their output files (the results to analyse)");

  const totalBytes = eventFiles.reduce((s, f) => s + f.size, 0);
  let bytesRead = 0;
  const calls: AnalysisCall[] = [];
  const seen = new Set<string>();
  const errors: LineError[] = [];
  const redactions: Record<string, number> = {};
  let errorCount = 0;
  let duplicates = 0;
  let unpriced = 0;
  for (const { file, summary } of eventFiles) {
    const fallback = opts.batchFallbackTimestamp ?? statSync(file).mtime;
    const hash = createHash("sha256");
    const source = countingStream(file, hash, (n) => {
      bytesRead += n;
      opts.onProgress?.(bytesRead, totalBytes);
    });
    for await (const item of parseJsonl(source, { batchRequests, fallbackTimestamp: fallback, now: opts.now })) {
      summary.lines = item.line;
      if ("errors" in item) {
        summary.errors++;
        errorCount++;
        for (const e of item.errors) if (errors.length < maxErrors) errors.push({ file, line: item.line, field: e.field, message: e.message });
        continue;
      }
      summary.events++;
      if (seen.has(item.event.id)) {
        duplicates++;
        continue;
      }
      seen.add(item.event.id);
      const { event, redactions: found } = redactEvent(item.event);
      for (const r of found) redactions[r.kind] = (redactions[r.kind] ?? 0) + 1;
      const normalised = normaliseEvent(event);
      const price = priceStoredCall(normalised, OFFLINE_PRICING);
      if (price.costUsd === null) unpriced++;
      calls.push(eventToAnalysisCall(event, normalised, price.costUsd));
    }
    summary.sha256 = hash.digest("hex");
  }
  calls.sort(compareCalls);
  return {
    calls,
    files: summaries,
    errors,
    errorCount,
    duplicates,
    unpriced,
    redactions: Object.fromEntries(Object.entries(redactions).sort(([a], [b]) => (a < b ? -1 : 1))),
    priceVersion: OFFLINE_PRICING.version,
  };
}

/** A file name for messages and the report: relative to the working directory when inside it. */
export function displayPath(file: string, cwd: string = process.cwd()): string {
  const rel = path.relative(cwd, path.resolve(cwd, file));
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : path.resolve(cwd, file);
}
