// The price table: LiteLLM's model_prices_and_context_window.json format, a committed snapshot of it
// (prices.snapshot.json, provenance in prices.source.json), and the validation/projection that
// `npm run prices:import` applies to a fresh copy of the upstream file.
import { createHash } from "node:crypto";
import snapshot from "./prices.snapshot.json";

/** One LiteLLM price entry. Prices are USD per token unless the field name says otherwise. */
export type PriceEntry = {
  litellm_provider?: string;
  mode?: string;
  max_input_tokens?: number;
  max_output_tokens?: number;
  max_tokens?: number;
  deprecation_date?: string;
  output_vector_size?: number;
  input_cost_per_token?: number;
  output_cost_per_token?: number;
  output_cost_per_reasoning_token?: number;
  cache_read_input_token_cost?: number;
  cache_creation_input_token_cost?: number;
  cache_creation_input_token_cost_above_1hr?: number;
  input_cost_per_token_batches?: number;
  output_cost_per_token_batches?: number;
  input_cost_per_token_flex?: number;
  output_cost_per_token_flex?: number;
  input_cost_per_token_priority?: number;
  output_cost_per_token_priority?: number;
  input_cost_per_token_above_200k_tokens?: number;
  output_cost_per_token_above_200k_tokens?: number;
  /** Alibaba-style tiers: prices for prompts whose size falls in [range[0], range[1]). */
  tiered_pricing?: Array<{ range: [number, number]; [field: string]: number | [number, number] }>;
  supports_function_calling?: boolean;
  supports_vision?: boolean;
  supports_response_schema?: boolean;
  supports_prompt_caching?: boolean;
  supports_reasoning?: boolean;
  /** Every other numeric *cost* field of the LiteLLM format (…_above_272k_tokens, …_priority, per-image, …). */
  [field: string]: unknown;
};

export type PriceTable = Record<string, PriceEntry>;

/** Modes kept in the snapshot: the ones whose calls we price per token. */
export const KEPT_MODES = ["chat", "completion", "embedding", "responses"] as const;

const KEPT_METADATA = new Set([
  "litellm_provider",
  "mode",
  "max_input_tokens",
  "max_output_tokens",
  "max_tokens",
  "deprecation_date",
  "output_vector_size",
  "supports_function_calling",
  "supports_vision",
  "supports_response_schema",
  "supports_prompt_caching",
  "supports_reasoning",
]);

/** A numeric price field of the LiteLLM format (input_cost_per_token, cache_read_input_token_cost, …). */
export function isCostField(field: string): boolean {
  return field.includes("cost") && field !== "search_context_cost_per_query";
}

export class PriceTableError extends Error {
  constructor(readonly problems: string[]) {
    super(`price table is invalid:\n  ${problems.slice(0, 50).join("\n  ")}${problems.length > 50 ? `\n  … and ${problems.length - 50} more` : ""}`);
    this.name = "PriceTableError";
  }
}

function isNonNegativeNumber(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v) && v >= 0;
}

/**
 * Checks one upstream entry and keeps the fields we use (see prices.source.json "method").
 * Returns the problems found, each naming the model and the field.
 */
export function projectEntry(model: string, raw: unknown): { entry: PriceEntry | null; problems: string[] } {
  const problems: string[] = [];
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    return { entry: null, problems: [`model "${model}": entry must be an object, got ${raw === null ? "null" : Array.isArray(raw) ? "array" : typeof raw}`] };
  }
  const src = raw as Record<string, unknown>;
  const out: PriceEntry = {};
  for (const [field, value] of Object.entries(src)) {
    if (field === "tiered_pricing") {
      if (!Array.isArray(value)) {
        problems.push(`model "${model}": field "tiered_pricing" must be an array`);
        continue;
      }
      value.forEach((tier, i) => {
        const t = tier as Record<string, unknown> | null;
        const range = t?.range;
        if (!t || typeof t !== "object" || !Array.isArray(range) || range.length !== 2 || !range.every(isNonNegativeNumber) || range[0] >= range[1]) {
          problems.push(`model "${model}": field "tiered_pricing[${i}].range" must be [from, to] with 0 <= from < to`);
          return;
        }
        for (const [k, v] of Object.entries(t)) if (k !== "range" && isCostField(k) && !isNonNegativeNumber(v)) problems.push(`model "${model}": field "tiered_pricing[${i}].${k}" must be a non-negative number, got ${JSON.stringify(v)}`);
      });
      out.tiered_pricing = value as PriceEntry["tiered_pricing"];
    } else if (isCostField(field)) {
      if (!isNonNegativeNumber(value)) problems.push(`model "${model}": field "${field}" must be a non-negative number, got ${JSON.stringify(value)}`);
      else out[field] = value;
    } else if (KEPT_METADATA.has(field)) {
      if (field === "litellm_provider" || field === "mode" || field === "deprecation_date") {
        if (typeof value !== "string") problems.push(`model "${model}": field "${field}" must be a string, got ${JSON.stringify(value)}`);
        else out[field] = value;
      } else if (field.startsWith("supports_")) {
        if (typeof value === "boolean") out[field] = value;
      } else if (!isNonNegativeNumber(value)) {
        problems.push(`model "${model}": field "${field}" must be a non-negative number, got ${JSON.stringify(value)}`);
      } else out[field] = value;
    }
  }
  if (src.input_cost_per_token === undefined && src.tiered_pricing === undefined) problems.push(`model "${model}": field "input_cost_per_token" is missing (and no tiered_pricing)`);
  return { entry: problems.length ? null : out, problems };
}

/**
 * Validates a LiteLLM model_prices_and_context_window.json object and returns the kept entries
 * (modes in KEPT_MODES), keys sorted. Throws PriceTableError listing every problem in kept entries.
 */
export function parsePriceTable(raw: unknown): PriceTable {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw new PriceTableError(["the file must contain a JSON object keyed by model name"]);
  const problems: string[] = [];
  const table: PriceTable = {};
  for (const model of Object.keys(raw as object).sort()) {
    if (model === "sample_spec") continue;
    const value = (raw as Record<string, unknown>)[model];
    const mode = value && typeof value === "object" ? (value as Record<string, unknown>).mode : undefined;
    if (typeof mode === "string" && !(KEPT_MODES as readonly string[]).includes(mode)) continue;
    if (mode === undefined && value && typeof value === "object" && (value as Record<string, unknown>).input_cost_per_token === undefined) continue;
    const { entry, problems: p } = projectEntry(model, value);
    problems.push(...p);
    if (entry) table[model] = entry;
  }
  if (problems.length) throw new PriceTableError(problems);
  if (Object.keys(table).length === 0) throw new PriceTableError(["no chat/completion/embedding/responses entry found"]);
  return table;
}

/** Short content hash of a table: stored per call so a backfill knows which prices it used. */
export function tableVersion(table: PriceTable): string {
  return createHash("sha256").update(JSON.stringify(table)).digest("hex").slice(0, 12);
}

export const SNAPSHOT: PriceTable = snapshot as unknown as PriceTable;

/** Version of the committed snapshot: sha256 of its canonical JSON, first 12 hex chars. */
export const PRICE_VERSION: string = tableVersion(SNAPSHOT);
