// Builds the offline analyser's report from the loaded calls and the analyses' outcomes: spend slices,
// one section per lever (findings with $/month and intervals, lever-specific detail such as the cache's
// threshold curves) and the combined waterfall from lib/recommend (levers in order on what remains, so
// nothing is counted twice). Pure and deterministic: no clock, arrays sorted where order means nothing.
import { perMonth, type AnalysisCall, type LeverFinding } from "../analysis/types";
import { combineFindings, LEVER_ORDER } from "../recommend/combine";
import { toJson } from "./json";
import {
  REPORT_FORMAT,
  REPORT_VERSION,
  type AnalysisName,
  type Json,
  type LeverName,
  type LeverSection,
  type MonthlyUsd,
  type ReportFinding,
  type ReportInputFile,
  type ReportLineError,
  type SpendSlice,
  type SpendlensReport,
} from "./types";

export const LEVER_LABELS: Record<LeverName, string> = {
  rightsize: "Right-size the model",
  distill: "Distil a small local model",
  compress: "Compress the prompt",
  prefix_cache: "Provider prompt caching",
  cache: "Cache by meaning",
  batch: "Batch what can wait",
};

export const LEVER_ANALYSIS: Record<LeverName, AnalysisName> = {
  rightsize: "modelfit",
  distill: "distill",
  compress: "bloat",
  prefix_cache: "bloat",
  cache: "cache",
  batch: "batch",
};

export const COMBINED_METHOD =
  "Levers apply in the order right-size, distil, compress, prefix cache, cache, batch, each on the monthly cost that remains after the earlier ones (per call where findings name calls), so two levers acting on the same calls save less together than the sum of their own figures. Low and high apply every lever at its low or high share.";

/** What an analysis produced, as the report builder needs it. */
export type AnalysisResult =
  | { name: AnalysisName; status: "ok"; findings: LeverFinding[]; detail: unknown; replaySpentUsd?: number }
  | { name: AnalysisName; status: "not_available" | "failed"; reason: string };

export type ReportInput = {
  generatorVersion: string;
  calls: AnalysisCall[];
  window: { from: Date; to: Date } | null;
  files: ReportInputFile[];
  duplicates: number;
  unpricedCalls: number;
  badLines: number;
  errors: ReportLineError[];
  redactions: Record<string, number>;
  priceVersion: string;
  results: AnalysisResult[];
  seed: number;
  replay: { provider: string; budgetUsd: number } | null;
  /** Adds generatedAt (off by default: the report is then byte-identical across runs). */
  generatedAt?: Date;
};

const EXAMPLE_IDS = 5;
// Model weights or vocabularies in a distillation report would swamp the JSON: they belong in its artifact.
const DROPPED_DETAIL_KEYS = new Set(["artifact", "weights", "vocabulary", "vocab"]);

function obj(v: Json): { [key: string]: Json } {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? v : {};
}

function byText(a: string | null, b: string | null): number {
  const x = a ?? "";
  const y = b ?? "";
  return x < y ? -1 : x > y ? 1 : 0;
}

export function reportFinding(f: LeverFinding): ReportFinding {
  const ids = f.callIds && f.callIds.length > 0 ? [...f.callIds].sort().slice(0, EXAMPLE_IDS) : [];
  return {
    lever: f.lever,
    title: f.title,
    scope: { feature: f.scope.feature ?? null, model: f.scope.model ?? null, promptHash: f.scope.promptHash ?? null },
    calls: f.callIds && f.callIds.length > 0 ? f.callIds.length : null,
    exampleCallIds: ids,
    affectedMonthlyCostUsd: num(f.affectedMonthlyCostUsd),
    savingsShare: { point: num(f.savingsShare.point), low: num(f.savingsShare.low), high: num(f.savingsShare.high) },
    monthly: { usd: num(f.monthly.usd), low: num(f.monthly.low), high: num(f.monthly.high) },
    confidence: f.confidence,
    evidence: obj(toJson(f.evidence)),
    howToApply: {
      summary: f.howToApply.summary,
      snippet: f.howToApply.snippet ?? null,
      settings: f.howToApply.settings ? obj(toJson(f.howToApply.settings)) : null,
    },
  };
}

function num(x: number): number {
  return Number.isFinite(x) ? x : 0;
}

/** Findings by savings (point, then upper end), then title and scope: a stable order for equal figures. */
export function compareFindings(a: ReportFinding, b: ReportFinding): number {
  return (
    b.monthly.usd - a.monthly.usd ||
    b.monthly.high - a.monthly.high ||
    byText(a.title, b.title) ||
    byText(a.scope.feature, b.scope.feature) ||
    byText(a.scope.model, b.scope.model) ||
    byText(a.scope.promptHash, b.scope.promptHash) ||
    (a.calls ?? 0) - (b.calls ?? 0) ||
    byText(a.exampleCallIds.join(","), b.exampleCallIds.join(","))
  );
}

/** Analysis-specific detail of a lever (findings are listed separately, so they are left out here). */
function leverDetail(lever: LeverName, detail: unknown): { [key: string]: Json } | null {
  const d = obj(toJson(detail, { dropKeys: DROPPED_DETAIL_KEYS }));
  delete d.findings;
  switch (lever) {
    case "compress": {
      delete d.prefixCache;
      const groups = Array.isArray(d.groups) ? d.groups : [];
      // Segments repeat staticText piece by piece; the text is enough to read and diff.
      d.groups = groups.map((g) => {
        const { segments: _segments, ...rest } = obj(g);
        const candidates = Array.isArray(rest.candidates) ? rest.candidates.map((c) => {
          const { segments: _s, ...keep } = obj(c);
          return keep;
        }) : [];
        return { ...rest, candidates };
      });
      return d;
    }
    case "prefix_cache":
      return { window: d.window ?? null, entries: Array.isArray(d.prefixCache) ? d.prefixCache : [] };
    default:
      return d;
  }
}

function monthlyOf(p: { savedUsd: number; savedLowUsd: number; savedHighUsd: number }): MonthlyUsd {
  return { usd: num(p.savedUsd), low: num(p.savedLowUsd), high: num(p.savedHighUsd) };
}

function spendSlices(calls: AnalysisCall[], keyOf: (c: AnalysisCall) => string | null, toMonthly: (usd: number) => number): SpendSlice[] {
  const acc = new Map<string | null, { calls: number; costUsd: number }>();
  for (const c of calls) {
    const k = keyOf(c);
    const a = acc.get(k) ?? { calls: 0, costUsd: 0 };
    a.calls++;
    a.costUsd += c.costUsd ?? 0;
    acc.set(k, a);
  }
  return [...acc.entries()]
    .map(([key, a]) => ({ key, calls: a.calls, costUsd: a.costUsd, monthlyUsd: toMonthly(a.costUsd) }))
    .sort((a, b) => b.costUsd - a.costUsd || b.calls - a.calls || byText(a.key, b.key));
}

function spendByDay(calls: AnalysisCall[]): Array<{ date: string; calls: number; costUsd: number }> {
  const acc = new Map<string, { calls: number; costUsd: number }>();
  for (const c of calls) {
    const date = c.timestamp.toISOString().slice(0, 10);
    const a = acc.get(date) ?? { calls: 0, costUsd: 0 };
    a.calls++;
    a.costUsd += c.costUsd ?? 0;
    acc.set(date, a);
  }
  return [...acc.entries()].sort(([a], [b]) => byText(a, b)).map(([date, a]) => ({ date, ...a }));
}

export function buildReport(input: ReportInput): SpendlensReport {
  const { calls, window } = input;
  const windowUsd = calls.reduce((s, c) => s + (c.costUsd ?? 0), 0);
  const toMonthly = (usd: number) => (window ? perMonth(usd, window.from, window.to) : 0);
  const monthlyUsd = toMonthly(windowUsd);
  const resultOf = new Map(input.results.map((r) => [r.name, r]));

  const levers: LeverSection[] = [];
  const allFindings: LeverFinding[] = [];
  for (const lever of LEVER_ORDER) {
    const analysis = LEVER_ANALYSIS[lever];
    const r = resultOf.get(analysis);
    const base = { lever, label: LEVER_LABELS[lever], analysis };
    if (!r) {
      levers.push({ ...base, status: "not_available", reason: `the ${analysis} analysis was not run`, monthly: { usd: 0, low: 0, high: 0 }, findings: [], detail: null });
      continue;
    }
    if (r.status !== "ok") {
      levers.push({ ...base, status: r.status, reason: r.reason, monthly: { usd: 0, low: 0, high: 0 }, findings: [], detail: null });
      continue;
    }
    // Canonical order before combining: combineFindings applies a lever's findings one after another, and
    // floating-point sums depend on that order, so the analyses' own order must not leak into the bytes.
    const mine = r.findings
      .filter((f) => f.lever === lever)
      .map((f) => ({ f, r: reportFinding(f) }))
      .sort((a, b) => compareFindings(a.r, b.r))
      .map((x) => x.f);
    allFindings.push(...mine);
    levers.push({
      ...base,
      status: "ok",
      reason: mine.length === 0 ? "the analysis ran and found nothing to recommend" : null,
      monthly: monthlyOf(combineFindings(monthlyUsd, mine)),
      findings: mine.map(reportFinding).sort(compareFindings),
      detail: leverDetail(lever, r.detail),
    });
  }

  const projection = combineFindings(monthlyUsd, allFindings);
  const replaySpent = input.results.reduce((s, r) => s + (r.status === "ok" ? (r.replaySpentUsd ?? 0) : 0), 0);
  const events = input.files.reduce((s, f) => s + f.events, 0);
  const report: SpendlensReport = {
    format: REPORT_FORMAT,
    version: REPORT_VERSION,
    generator: { name: "spendlens", version: input.generatorVersion },
    input: {
      files: input.files,
      events,
      calls: calls.length,
      duplicates: input.duplicates,
      unpricedCalls: input.unpricedCalls,
      badLines: input.badLines,
      errors: input.errors,
      redactions: input.redactions,
      priceVersion: input.priceVersion,
    },
    window: {
      from: window ? window.from.toISOString() : null,
      to: window ? window.to.toISOString() : null,
      days: window ? Math.max((window.to.getTime() - window.from.getTime()) / 86_400_000, 1) : 0,
    },
    spend: {
      windowUsd,
      monthlyUsd,
      byFeature: spendSlices(calls, (c) => c.feature, toMonthly),
      byModel: spendSlices(calls, (c) => c.model, toMonthly),
      byDay: spendByDay(calls),
    },
    levers,
    combined: {
      currentMonthlyUsd: projection.currentMonthlyUsd,
      projectedMonthlyUsd: projection.projectedMonthlyUsd,
      saved: monthlyOf(projection),
      steps: projection.steps.map((s) => ({
        lever: s.lever,
        saved: { usd: num(s.savedUsd), low: num(s.savedLowUsd), high: num(s.savedHighUsd) },
        standaloneUsd: num(s.standaloneUsd),
        remainingUsd: num(s.remainingUsd),
        findings: s.findings,
      })),
      method: COMBINED_METHOD,
    },
    settings: {
      seed: input.seed,
      replay: {
        enabled: input.replay !== null,
        provider: input.replay?.provider ?? null,
        budgetUsd: input.replay?.budgetUsd ?? null,
        spentUsd: replaySpent,
      },
    },
  };
  if (input.generatedAt) report.generatedAt = input.generatedAt.toISOString();
  return report;
}
