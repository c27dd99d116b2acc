// What every analysis reads: one production LLM call with its full request and response.
// Built from stored Call rows (lib/analysis/load.ts) or straight from ingest events (offline analyser),
// so analyses are plain functions over arrays and never touch the database themselves.

export type AnalysisCall = {
  id: string;
  timestamp: Date;
  provider: string;
  endpoint: string;
  model: string | null;
  feature: string | null;
  endUser: string | null;
  session: string | null;
  tags: Record<string, string>;
  /** Full provider request body (static prompt restored). */
  request: Record<string, unknown>;
  response: Record<string, unknown> | null;
  outputText: string | null;
  status: number;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  cacheWriteTokens: number;
  /** null = unpriced model. */
  costUsd: number | null;
  latencyMs: number | null;
  batch: boolean;
};

/** A chat message reduced to role + plain text, whatever the provider format. */
export type PlainMessage = { role: "system" | "developer" | "user" | "assistant" | "tool"; text: string };

/** Savings with an interval, per month, as every lever reports them. */
export type MonthlySavings = { usd: number; low: number; high: number };

/**
 * What a lever contributes to recommendations (lib/recommend combines them without double counting).
 * `affectedCostUsd` is the monthly spend the lever acts on; `savingsShare` the fraction of that spend it
 * removes (with interval), so levers can be applied in order on what remains.
 */
export type LeverFinding = {
  lever: "rightsize" | "distill" | "compress" | "cache" | "batch" | "prefix_cache";
  title: string;
  scope: { feature?: string | null; model?: string | null; promptHash?: string | null };
  /** Ids (or a stable selector) of the calls the lever acts on, for overlap accounting. */
  callIds?: string[];
  affectedMonthlyCostUsd: number;
  savingsShare: { point: number; low: number; high: number };
  monthly: MonthlySavings;
  confidence: "high" | "medium" | "low";
  evidence: Record<string, unknown>;
  howToApply: { summary: string; snippet?: string; settings?: Record<string, unknown> };
};

/** Extrapolate a cost observed over [from, to] to a 30-day month. */
export function perMonth(costUsd: number, from: Date, to: Date): number {
  const days = Math.max((to.getTime() - from.getTime()) / 86_400_000, 1);
  return (costUsd * 30) / days;
}
