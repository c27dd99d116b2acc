// The offline analyser's machine-readable report (`spendlens analyze --json`), documented field by field
// in docs/report-format.md and checked by docs/report.schema.json. Everything here is plain JSON:
// no Dates, no undefined, no NaN (non-finite numbers are written as null).
import type { LeverFinding } from "../analysis/types";

export const REPORT_FORMAT = "spendlens-report";
export const REPORT_VERSION = 1;

export type LeverName = LeverFinding["lever"];
export type AnalysisName = "modelfit" | "bloat" | "cache" | "batch" | "distill";

/** JSON values as they appear in evidence and details. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Dollars per month: point estimate and interval. */
export type MonthlyUsd = { usd: number; low: number; high: number };
export type Share = { point: number; low: number; high: number };

export type ReportFinding = {
  lever: LeverName;
  title: string;
  scope: { feature: string | null; model: string | null; promptHash: string | null };
  /** Calls the finding acts on; null when the analysis named a scope rather than calls. */
  calls: number | null;
  /** Up to 5 of those calls (event ids, sorted), to look up in the input file. */
  exampleCallIds: string[];
  affectedMonthlyCostUsd: number;
  savingsShare: Share;
  monthly: MonthlyUsd;
  confidence: "high" | "medium" | "low";
  evidence: { [key: string]: Json };
  howToApply: { summary: string; snippet: string | null; settings: { [key: string]: Json } | null };
};

export type LeverStatus = "ok" | "not_available" | "failed";

export type LeverSection = {
  lever: LeverName;
  label: string;
  /** The analysis (lib/analysis/<name>) that produced it. */
  analysis: AnalysisName;
  status: LeverStatus;
  /** Why the lever has no figures (status not ok), or null. */
  reason: string | null;
  /** The lever's findings together, overlaps counted once (combineFindings over this lever only). */
  monthly: MonthlyUsd;
  findings: ReportFinding[];
  /** Analysis-specific detail (for the cache: groups with their threshold curves), or null. */
  detail: { [key: string]: Json } | null;
};

export type SpendSlice = { key: string | null; calls: number; costUsd: number; monthlyUsd: number };

export type ReportInputFile = {
  name: string;
  sha256: string;
  kind: "events" | "openai_batch_input";
  bytes: number;
  lines: number;
  events: number;
  errors: number;
};

export type ReportLineError = { file: string; line: number; field: string; message: string };

export type WaterfallStep = {
  lever: LeverName;
  /** What this lever adds after the earlier levers (monthly, interval). */
  saved: MonthlyUsd;
  /** The lever's findings summed on their own, for comparison. */
  standaloneUsd: number;
  remainingUsd: number;
  findings: number;
};

export type SpendlensReport = {
  format: typeof REPORT_FORMAT;
  version: typeof REPORT_VERSION;
  generator: { name: "spendlens"; version: string };
  /** Present only with --timestamp (the report is otherwise byte-identical across runs). */
  generatedAt?: string;
  input: {
    files: ReportInputFile[];
    /** Valid events read; calls = events after dropping repeated ids. */
    events: number;
    calls: number;
    duplicates: number;
    unpricedCalls: number;
    /** Lines that could not be read as events (all of them); `errors` lists the first ones. */
    badLines: number;
    errors: ReportLineError[];
    redactions: { [kind: string]: number };
    priceVersion: string;
  };
  window: { from: string | null; to: string | null; days: number };
  spend: {
    windowUsd: number;
    monthlyUsd: number;
    byFeature: SpendSlice[];
    byModel: SpendSlice[];
    byDay: Array<{ date: string; calls: number; costUsd: number }>;
  };
  levers: LeverSection[];
  combined: {
    currentMonthlyUsd: number;
    projectedMonthlyUsd: number;
    saved: MonthlyUsd;
    steps: WaterfallStep[];
    method: string;
  };
  settings: {
    seed: number;
    replay: { enabled: boolean; provider: string | null; budgetUsd: number | null; spentUsd: number };
  };
};
