// Queue "analysis": one job per analysis run; dispatches on kind to the lever's job entry.
import type { AnalysisKind } from "../lib/analysis/runs";
import type { JobContext } from "../lib/queue/types";

export type AnalysisJob = { projectId: string; runId: string; kind: AnalysisKind; params?: Record<string, unknown> };

type Runner = (data: { projectId: string; runId: string; params?: Record<string, unknown> }, ctx?: JobContext) => Promise<unknown>;

// Loaded on demand so a worker only pays for the analyses it runs.
const runners: Partial<Record<AnalysisKind, () => Promise<Runner>>> = {};

export function registerAnalysisRunner(kind: AnalysisKind, load: () => Promise<Runner>): void {
  runners[kind] = load;
}

export async function handleAnalysis(data: AnalysisJob, ctx: JobContext): Promise<unknown> {
  const load = runners[data.kind];
  if (!load) throw new Error(`analysis kind "${data.kind}" is not available`);
  const run = await load();
  await run({ projectId: data.projectId, runId: data.runId, params: data.params }, ctx);
  return { runId: data.runId };
}
