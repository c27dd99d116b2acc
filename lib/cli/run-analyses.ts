// Runs every analysis in-process over the loaded calls, one after another, on the local defaults (the
// TF-IDF embedder, no provider calls). With a replay endpoint, model-fit replays samples on cheaper
// models and compressed prompts are verified, within one dollar cap for the whole run. An analysis that
// throws is reported as failed and the others still run.
import { analyseBatch } from "../analysis/batch/analyse";
import { analyseBloat, type BloatOptions } from "../analysis/bloat/analyse";
import { groupByStaticPrompt } from "../analysis/bloat/static-prompt";
import type { Candidate, VerificationResult } from "../analysis/bloat/types";
import { verifyCandidate } from "../analysis/bloat/verify";
import { analyseCache } from "../analysis/cache/analyse";
import { analyseDistill } from "../analysis/distill/analyse";
import { analyseModelFit, testModelFit, type ModelFitOptions } from "../analysis/modelfit/analyse";
import type { ReplayClient } from "../analysis/replay/client";
import type { AnalysisCall, LeverFinding } from "../analysis/types";
import { Worker } from "node:worker_threads";
import type { AnalysisName } from "../report/types";
import type { WorkerInput, WorkerMessage } from "./analysis-worker";

export type Window = { from: Date; to: Date };

export type ReplaySettings = {
  client: ReplayClient;
  provider: string;
  /** Hard cap on all replay spend of the run, in dollars. */
  budgetUsd: number;
  sampleSize?: number;
  concurrency?: number;
};

export type AnalysisSettings = {
  window: Window;
  seed: number;
  /** Project.agreementTarget for model fit and prompt verification. Default 0.95. */
  agreementTarget?: number;
  /** Highest acceptable share of wrong cache answers. Default 0.01. */
  cacheTolerance?: number;
  replay?: ReplaySettings;
  /** Only these analyses (default: all). */
  only?: readonly AnalysisName[];
};

/** durationMs is wall time; cpuMs the process's CPU time over the same span (a shared machine inflates the first, not the second). */
export type AnalysisOutcome =
  | { name: AnalysisName; status: "ok"; findings: LeverFinding[]; detail: unknown; durationMs: number; cpuMs: number; replaySpentUsd: number }
  | { name: AnalysisName; status: "failed"; reason: string; durationMs: number; cpuMs: number };

export type AnalysisEvents = {
  onProgress?: (name: AnalysisName, fraction: number, message?: string) => void;
  onFinished?: (outcome: AnalysisOutcome) => void;
};

export const ANALYSIS_ORDER: readonly AnalysisName[] = ["modelfit", "distill", "bloat", "cache", "batch"];

/** What each analysis needs; the event loop gets a turn between analyses so progress can be drawn. */
type Runner = (calls: AnalysisCall[], s: AnalysisSettings, progress: (f: number, m?: string) => void, budget: { left: number }) => Promise<{ findings: LeverFinding[]; detail: unknown; replaySpentUsd: number }>;

const runModelFit: Runner = async (calls, s, progress, budget) => {
  const opts: ModelFitOptions = { window: s.window, seed: s.seed, agreementTarget: s.agreementTarget, sampleSize: s.replay?.sampleSize };
  if (!s.replay) {
    const report = analyseModelFit(calls, opts);
    return { findings: report.findings, detail: report, replaySpentUsd: 0 };
  }
  const replay = s.replay;
  opts.candidates = { otherProviders: [replay.provider] };
  const report = await testModelFit(
    calls,
    opts,
    { clientFor: (p) => (p === replay.provider ? replay.client : null), budgetUsd: budget.left, concurrency: replay.concurrency },
    (f, m) => progress(f, m),
  );
  budget.left = Math.max(0, budget.left - report.replaySpentUsd);
  return { findings: report.findings, detail: report, replaySpentUsd: report.replaySpentUsd };
};

const runBloat: Runner = async (calls, s, progress, budget) => {
  const opts: BloatOptions = { window: s.window, seed: s.seed };
  progress(0.05, "grouping static prompts");
  const first = analyseBloat(calls, opts);
  const replay = s.replay;
  if (!replay || budget.left <= 0) return { findings: first.findings, detail: first, replaySpentUsd: 0 };
  // Verify the candidates of the three groups that would save most, like the server's bloat job.
  const chosen = first.groups
    .filter((g) => g.candidates.length > 0)
    .sort((a, b) => b.candidates[0].monthly.usd - a.candidates[0].monthly.usd)
    .slice(0, 3);
  const staticGroups = new Map(groupByStaticPrompt(calls, opts.grouping).groups.map((g) => [g.id, g]));
  const total = chosen.reduce((n, g) => n + g.candidates.length, 0);
  const perCandidate = budget.left / Math.max(1, total);
  const verification: NonNullable<BloatOptions["verification"]> = {};
  let spent = 0;
  let done = 0;
  for (const g of chosen) {
    const group = staticGroups.get(g.id);
    if (!group) continue;
    for (const cand of g.candidates as Candidate[]) {
      progress(0.1 + (0.85 * done) / Math.max(1, total), `verifying candidate ${done + 1} of ${total} by replay`);
      const result: VerificationResult = await verifyCandidate(group, cand.segments, {
        clientFor: (p) => (p === replay.provider ? replay.client : null),
        budgetUsd: perCandidate,
        sampleSize: replay.sampleSize,
        agreementTarget: s.agreementTarget,
        concurrency: replay.concurrency,
        seed: `${s.seed}:${g.id}:${cand.method}`,
      });
      if (result.status !== "unverified") spent += result.replayCostUsd;
      (verification[g.id] ??= {})[cand.method] = result;
      done++;
    }
  }
  budget.left = Math.max(0, budget.left - spent);
  const report = Object.keys(verification).length ? analyseBloat(calls, { ...opts, verification }) : first;
  return { findings: report.findings, detail: report, replaySpentUsd: spent };
};

const runCache: Runner = async (calls, s, progress) => {
  const report = await analyseCache(calls, { window: s.window, seed: s.seed, tolerance: s.cacheTolerance, onProgress: (f, m) => progress(f, m) });
  return { findings: report.findings, detail: report, replaySpentUsd: 0 };
};

const runBatch: Runner = async (calls, s) => {
  const report = analyseBatch(calls, { window: s.window, seed: s.seed });
  return { findings: report.findings, detail: report, replaySpentUsd: 0 };
};

const runDistill: Runner = async (calls, s, progress) => {
  // The trained artifacts are not written out: the report says what enabling them would save.
  const { report } = await analyseDistill(calls, { window: s.window, seed: s.seed, agreementTarget: s.agreementTarget, onProgress: (f, m) => progress(f, m) });
  return { findings: report.findings, detail: report, replaySpentUsd: 0 };
};

const RUNNERS: Record<AnalysisName, Runner> = { modelfit: runModelFit, distill: runDistill, bloat: runBloat, cache: runCache, batch: runBatch };

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Every analysis (or `settings.only`), in ANALYSIS_ORDER; never throws for one analysis failing. */
export async function runAnalyses(calls: AnalysisCall[], settings: AnalysisSettings, events: AnalysisEvents = {}): Promise<AnalysisOutcome[]> {
  const out: AnalysisOutcome[] = [];
  const budget = { left: settings.replay?.budgetUsd ?? 0 };
  for (const name of ANALYSIS_ORDER) {
    if (settings.only && !settings.only.includes(name)) continue;
    const started = performance.now();
    const cpuStart = process.cpuUsage();
    const progress = (f: number, m?: string) => events.onProgress?.(name, Math.min(1, Math.max(0, f)), m);
    progress(0, "starting");
    await nextTurn();
    const cpuMs = () => {
      const u = process.cpuUsage(cpuStart);
      return (u.user + u.system) / 1000;
    };
    let outcome: AnalysisOutcome;
    try {
      const r = await RUNNERS[name](calls, settings, progress, budget);
      outcome = { name, status: "ok", findings: r.findings, detail: r.detail, durationMs: performance.now() - started, cpuMs: cpuMs(), replaySpentUsd: r.replaySpentUsd };
    } catch (err) {
      outcome = { name, status: "failed", reason: (err as Error).message, durationMs: performance.now() - started, cpuMs: cpuMs() };
    }
    out.push(outcome);
    events.onFinished?.(outcome);
    await nextTurn();
  }
  return out;
}

/** First to last call (calls sorted oldest first); null when there are none. Every analysis gets this window. */
export function analysisWindow(calls: readonly AnalysisCall[]): Window | null {
  if (calls.length === 0) return null;
  return { from: calls[0].timestamp, to: calls[calls.length - 1].timestamp };
}

/** Analyses that may leave the main thread, heaviest first (the replaying ones stay: they hold the replay client). */
export const OFFLOADABLE: readonly AnalysisName[] = ["distill", "cache"];

export type JobPlan = { main: AnalysisName[]; workers: AnalysisName[][] };

/** With N jobs, N - 1 worker threads each take one offloadable analysis; the main thread runs the rest. */
export function planJobs(jobs: number, only?: readonly AnalysisName[]): JobPlan {
  const wanted = ANALYSIS_ORDER.filter((n) => !only || only.includes(n));
  const offload = OFFLOADABLE.filter((n) => wanted.includes(n)).slice(0, Math.max(0, jobs - 1));
  return { main: wanted.filter((n) => !offload.includes(n)), workers: offload.map((n) => [n]) };
}

export type AnalysisWorker = {
  analyses: AnalysisName[];
  /** Outcomes of the worker's analyses; rejects when the worker could not run them (the caller runs them itself). */
  done: Promise<AnalysisOutcome[]>;
  terminate(): Promise<void>;
};

/** Starts a worker thread that reads `input.files` and runs `input.analyses`, reporting through `events`. */
export function startAnalysisWorker(input: WorkerInput, events: AnalysisEvents = {}): AnalysisWorker {
  const worker = new Worker(new URL("./analysis-worker.mjs", import.meta.url), { workerData: input });
  const outcomes: AnalysisOutcome[] = [];
  const done = new Promise<AnalysisOutcome[]>((resolve, reject) => {
    let settled = false;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      void worker.terminate();
      if (err) reject(err);
      else resolve(outcomes);
    };
    worker.on("message", (m: WorkerMessage) => {
      if (m.type === "progress") events.onProgress?.(m.name, m.fraction, m.message);
      else if (m.type === "finished") {
        outcomes.push(m.outcome);
        events.onFinished?.(m.outcome);
        if (outcomes.length === input.analyses.length) finish();
      } else finish(new Error(m.message));
    });
    worker.on("error", (err) => finish(err));
    worker.on("exit", (code) => finish(outcomes.length === input.analyses.length ? undefined : new Error(`the worker stopped (exit code ${code})`)));
  });
  done.catch(() => {}); // a caller that terminates the worker early never awaits it
  return {
    analyses: input.analyses,
    done,
    terminate: async () => {
      await worker.terminate();
    },
  };
}
