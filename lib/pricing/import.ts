// Refreshing the committed price snapshot from a copy of LiteLLM's model_prices_and_context_window.json
// (used by scripts/prices-import.ts). Validation errors name the model and the field.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { KEPT_MODES, parsePriceTable, PriceTableError, tableVersion, type PriceTable } from "./table";

export type PriceSource = { repo?: string; path?: string; commit?: string; fetchedAt?: string };
export type TableDiff = { added: string[]; changed: string[]; removed: string[] };
export type ImportResult = TableDiff & { table: PriceTable; version: string; snapshotPath: string; sourcePath: string };

export function diffTables(before: PriceTable, after: PriceTable): TableDiff {
  const added: string[] = [];
  const changed: string[] = [];
  const removed: string[] = [];
  for (const key of Object.keys(after)) {
    if (!(key in before)) added.push(key);
    else if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) changed.push(key);
  }
  for (const key of Object.keys(before)) if (!(key in after)) removed.push(key);
  return { added: added.sort(), changed: changed.sort(), removed: removed.sort() };
}

export const PROJECTION_NOTE =
  "LiteLLM entries of modes " +
  KEPT_MODES.join("/") +
  ", unchanged except that only these fields are kept: every numeric *cost* field, tiered_pricing, litellm_provider, mode, max_input_tokens, max_output_tokens, max_tokens, deprecation_date, output_vector_size and supports_{function_calling,vision,response_schema,prompt_caching,reasoning}.";

/**
 * Validates `file`, writes `<outDir>/prices.snapshot.json` and `<outDir>/prices.source.json`, and returns
 * what changed against the snapshot that was there. Nothing is written when the file is invalid.
 */
export function importPriceFile(file: string, opts: { outDir: string; source?: PriceSource; now?: Date }): ImportResult {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new PriceTableError([`${path.basename(file)} is not valid JSON: ${(err as Error).message}`]);
  }
  const table = parsePriceTable(raw);
  const snapshotPath = path.join(opts.outDir, "prices.snapshot.json");
  const sourcePath = path.join(opts.outDir, "prices.source.json");
  const before: PriceTable = existsSync(snapshotPath) ? (JSON.parse(readFileSync(snapshotPath, "utf8")) as PriceTable) : {};
  const diff = diffTables(before, table);
  const now = opts.now ?? new Date();
  const source = opts.source ?? {};
  writeFileSync(snapshotPath, JSON.stringify(table, null, 2) + "\n");
  writeFileSync(
    sourcePath,
    JSON.stringify(
      {
        format: "LiteLLM model_prices_and_context_window.json (projection)",
        source: {
          repo: source.repo ?? "BerriAI/litellm",
          path: source.path ?? "model_prices_and_context_window.json",
          commit: source.commit ?? "unknown",
        },
        file: path.basename(file),
        fileSha256: createHash("sha256").update(text).digest("hex"),
        fetchedAt: source.fetchedAt ?? "unknown",
        importedAt: now.toISOString(),
        method: PROJECTION_NOTE,
        entryCount: Object.keys(table).length,
        version: tableVersion(table),
      },
      null,
      2,
    ) + "\n",
  );
  return { ...diff, table, version: tableVersion(table), snapshotPath, sourcePath };
}
