// Starting analysis runs: on demand (the savings page's "run now") and on a daily schedule for every
// project with recent traffic. A run row is created first so the UI can show it queued.
import { db } from "../db/client";
import { enqueue } from "../queue/enqueue";
import { createAnalysisRun, type AnalysisKind } from "./runs";

export const ANALYSIS_KINDS: AnalysisKind[] = ["modelfit", "distill", "bloat", "cache", "batch"];

export async function startAnalysisRun(projectId: string, kind: AnalysisKind, params: Record<string, unknown> = {}) {
  const run = await createAnalysisRun(projectId, kind, params);
  await enqueue("analysis", kind, { projectId, runId: run.id, kind, params }, { dedupeKey: `analysis:${run.id}`, attempts: 2 });
  return run;
}

/** Daily: every project with calls in the last 7 days and no run of a kind in the last 20 hours gets one. */
export async function scheduleDueAnalyses(at: Date, kinds: AnalysisKind[] = ANALYSIS_KINDS): Promise<number> {
  const active = await db.call.groupBy({
    by: ["projectId"],
    where: { timestamp: { gte: new Date(at.getTime() - 7 * 86_400_000) }, replayRunId: null },
  });
  let started = 0;
  for (const { projectId } of active) {
    for (const kind of kinds) {
      const recent = await db.analysisRun.findFirst({
        where: { projectId, kind, createdAt: { gte: new Date(at.getTime() - 20 * 3_600_000) } },
        select: { id: true },
      });
      if (recent) continue;
      await startAnalysisRun(projectId, kind);
      started++;
    }
  }
  return started;
}
