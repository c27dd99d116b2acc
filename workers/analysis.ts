// Queue "analysis": one job per analysis run, dispatched on kind to the lever's job entry; plus the
// daily tick that starts runs for projects with recent traffic.
import { scheduleDueAnalyses } from "../lib/analysis/schedule";
import { db } from "../lib/db/client";
import type { AnalysisKind } from "../lib/analysis/runs";
import type { JobContext } from "../lib/queue/types";

export type AnalysisJob = { projectId: string; runId: string; kind: AnalysisKind; params?: Record<string, unknown> } | { kind: "tick"; at?: string };

type Runner = (data: { projectId: string; runId: string; params?: Record<string, unknown> }, ctx?: JobContext) => Promise<unknown>;

// Loaded on demand so a worker only pays for the analyses it runs.
const runners: Partial<Record<AnalysisKind, () => Promise<Runner>>> = {
  modelfit: async () => (await import("../lib/analysis/modelfit/job")).runModelFitAnalysis,
  distill: async () => (await import("../lib/analysis/distill/job")).runDistillAnalysis,
  cache: async () => (await import("../lib/analysis/cache/job")).runCacheAnalysis,
  bloat: async () => (await import("../lib/analysis/bloat/job")).runBloatAnalysis,
  batch: async () => (await import("../lib/analysis/batch/job")).runBatchAnalysis,
};

export async function handleAnalysis(data: AnalysisJob, ctx: JobContext): Promise<unknown> {
  if (data.kind === "tick") return { started: await scheduleDueAnalyses(data.at ? new Date(data.at) : new Date()) };
  const load = runners[data.kind];
  if (!load) {
    // Mark the run failed so the UI does not show it queued forever.
    const message = `analysis kind "${data.kind}" is not available`;
    await db.analysisRun.updateMany({ where: { id: data.runId, projectId: data.projectId }, data: { status: "failed", error: message, finishedAt: new Date() } });
    throw new Error(message);
  }
  const run = await load();
  await run({ projectId: data.projectId, runId: data.runId, params: data.params }, ctx);
  return { runId: data.runId };
}
