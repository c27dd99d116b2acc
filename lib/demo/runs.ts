// Loading demo data as a background job (queue "demo", workers/demo.ts) with live progress. Each load is
// an AnalysisRun row of kind "demo": the table already carries what a load needs (project, status,
// progress, message, result, error, timestamps), executeAnalysisRun already moves a row through
// queued -> running -> succeeded/failed with throttled progress writes, and rows go with the project.
// A demo run has no findings, and listAnalysisRuns (lib/recommend/analysis-runs.ts) lists the analysis
// kinds only, so the savings page never shows or polls for it.
import { executeAnalysisRun } from "../analysis/runs";
import { db } from "../db/client";
import { ValidationError } from "../http/errors";
import { enqueue } from "../queue/enqueue";
import type { JobContext } from "../queue/types";
import { loadDemoData } from "./load";

export const DEMO_RUN_KIND = "demo";
export const DEMO_DEFAULT_EVENTS = 5_000;
export const DEMO_MAX_EVENTS = 50_000;
/** A queued or running load younger than this blocks a second one; older is taken as abandoned. */
const BUSY_WINDOW_MS = 60 * 60_000;

export type DemoLoadJob = { projectId: string; runId: string };
type DemoParams = { count: number; end: string };
type DemoResult = { inserted: number; duplicates: number };

export type DemoLoadState = "queued" | "running" | "done" | "failed";
export type DemoLoadView = {
  id: string;
  state: DemoLoadState;
  /** 0..1 */
  progress: number;
  /** e.g. "2,500 / 5,000 events" */
  message: string | null;
  count: number;
  /** When done: events written now, and events that were already there (same ids). */
  inserted: number | null;
  duplicates: number | null;
  /** When failed. */
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
};

const n = (x: number) => x.toLocaleString("en-US");

/** The `count` of a demo load: an integer from 1 to 50,000, the default when absent. */
export function demoCountField(raw: unknown): number {
  if (raw === undefined) return DEMO_DEFAULT_EVENTS;
  if (typeof raw !== "number" || !Number.isInteger(raw) || raw < 1 || raw > DEMO_MAX_EVENTS) {
    throw ValidationError.field("count", `Count must be an integer from 1 to ${n(DEMO_MAX_EVENTS)}.`);
  }
  return raw;
}

const VIEW_SELECT = { id: true, status: true, progress: true, message: true, params: true, result: true, error: true, createdAt: true, startedAt: true, finishedAt: true } as const;
type Row = { id: string; status: string; progress: number; message: string | null; params: unknown; result: unknown; error: string | null; createdAt: Date; startedAt: Date | null; finishedAt: Date | null };

function toView(r: Row): DemoLoadView {
  const state: DemoLoadState = r.status === "succeeded" ? "done" : r.status === "failed" ? "failed" : r.status === "running" ? "running" : "queued";
  const result = state === "done" ? (r.result as DemoResult | null) : null;
  return {
    id: r.id,
    state,
    progress: state === "done" ? 1 : r.progress,
    message: r.message,
    count: (r.params as Partial<DemoParams> | null)?.count ?? 0,
    inserted: result?.inserted ?? null,
    duplicates: result?.duplicates ?? null,
    error: state === "failed" ? (r.error ?? "The demo load failed.") : null,
    createdAt: r.createdAt.toISOString(),
    startedAt: r.startedAt?.toISOString() ?? null,
    finishedAt: r.finishedAt?.toISOString() ?? null,
  };
}

/** The project's latest demo load, or null when it never had one. */
export async function latestDemoLoad(projectId: string): Promise<DemoLoadView | null> {
  const row = await db.analysisRun.findFirst({ where: { projectId, kind: DEMO_RUN_KIND }, orderBy: { createdAt: "desc" }, select: VIEW_SELECT });
  return row ? toView(row) : null;
}

/**
 * Start loading `count` demo events into the project, unless a load is already queued or running there
 * (that one is returned, `started: false`). The window of the events ends at the current hour and is
 * fixed in the job, so a retry or a second load within the hour writes the same ids (nothing twice).
 */
export async function startDemoLoad(projectId: string, count: number, now = new Date()): Promise<{ load: DemoLoadView; started: boolean }> {
  const params: DemoParams = { count, end: new Date(Math.floor(now.getTime() / 3_600_000) * 3_600_000).toISOString() };
  const { row, started } = await db.$transaction(async (tx) => {
    // Two clicks at once: the second waits here for the first's row. NO KEY UPDATE leaves ingest's
    // foreign-key checks on the project (KEY SHARE) unblocked.
    await tx.$queryRaw`SELECT id FROM "Project" WHERE id = ${projectId} FOR NO KEY UPDATE`;
    const busy = await tx.analysisRun.findFirst({
      where: { projectId, kind: DEMO_RUN_KIND, status: { in: ["queued", "running"] }, createdAt: { gte: new Date(now.getTime() - BUSY_WINDOW_MS) } },
      orderBy: { createdAt: "desc" },
      select: VIEW_SELECT,
    });
    if (busy) return { row: busy, started: false };
    const created = await tx.analysisRun.create({ data: { projectId, kind: DEMO_RUN_KIND, status: "queued", params }, select: VIEW_SELECT });
    return { row: created, started: true };
  });
  if (!started) return { load: toView(row), started: false };
  try {
    // One attempt: a failed load shows its error and the button offers to load again (which adds no
    // duplicates). A job lost with its worker is still picked up again by either driver.
    await enqueue("demo", "load", { projectId, runId: row.id } satisfies DemoLoadJob, { dedupeKey: `demo:${row.id}`, attempts: 1 });
  } catch (err) {
    // Not queued: do not leave a row that blocks the next click for an hour.
    await db.analysisRun.update({ where: { id: row.id }, data: { status: "failed", error: "Could not queue the demo load; try again.", finishedAt: new Date() } });
    throw err;
  }
  return { load: toView(row), started: true };
}

/** The job: load the run's events through the real ingest writer, reporting "done / total events". */
export async function runDemoLoad(data: DemoLoadJob, ctx?: JobContext): Promise<DemoResult> {
  const run = await db.analysisRun.findFirst({
    where: { id: data.runId, projectId: data.projectId, kind: DEMO_RUN_KIND },
    select: { id: true, params: true, project: { select: { id: true, organizationId: true } } },
  });
  if (!run) throw new Error(`demo load ${data.runId} not found in project ${data.projectId}`);
  const params = run.params as Partial<DemoParams> | null;
  const count = params?.count ?? DEMO_DEFAULT_EVENTS;
  const end = params?.end ? new Date(params.end) : new Date();
  return executeAnalysisRun(run.id, ctx, async (progress) => {
    await progress(0, `0 / ${n(count)} events`);
    const result = await loadDemoData(
      { projectId: run.project.id, organizationId: run.project.organizationId },
      { count, end, onProgress: (done, total) => progress(done / total, `${n(done)} / ${n(total)} events`) },
    );
    return { result: { inserted: result.inserted, duplicates: result.duplicates }, findings: [] };
  });
}
