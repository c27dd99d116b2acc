// Queue "demo": load demo events into a project in the background (the onboarding "Load demo data"
// button). One job per load; the load's row (an AnalysisRun of kind "demo", see lib/demo/runs.ts) carries
// its status and progress for the UI. Enqueued by startDemoLoad with dedupeKey `demo:<runId>`.
import { runDemoLoad, type DemoLoadJob } from "../lib/demo/runs";
import type { JobContext } from "../lib/queue/types";

export type { DemoLoadJob };

export async function handleDemo(data: DemoLoadJob, ctx: JobContext): Promise<{ runId: string; inserted: number; duplicates: number }> {
  if (!data || typeof data.projectId !== "string" || typeof data.runId !== "string") throw new Error("demo job: data.projectId and data.runId are required");
  const result = await runDemoLoad(data, ctx);
  return { runId: data.runId, ...result };
}
