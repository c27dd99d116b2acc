// Analysis runs as the savings page shows them: the latest run of each kind with its progress, the
// recent history, and "run now" (one run per kind at a time). Scoped to one project.
import { ANALYSIS_KINDS, startAnalysisRun } from "../analysis/schedule";
import type { AnalysisKind } from "../analysis/runs";
import { db, getPool } from "../db/client";
import { ValidationError } from "../http/errors";

export const ANALYSIS_LABELS: Record<AnalysisKind, { title: string; levers: string }> = {
  modelfit: { title: "Model fit", levers: "right-size: cheaper models that give the same answers" },
  bloat: { title: "Prompt bloat", levers: "compress and prefix caching: fixed prompt text you pay for on every call" },
  cache: { title: "Semantic cache", levers: "cache: questions answered before" },
  batch: { title: "Batch eligibility", levers: "batch: calls nobody waits for, at half price" },
  distill: { title: "Distillation", levers: "distil: a small local model for classification calls" },
};

export type RunView = {
  id: string;
  kind: AnalysisKind;
  status: "queued" | "running" | "succeeded" | "failed";
  progress: number;
  message: string | null;
  error: string | null;
  findings: number;
  costUsd: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
};

export type RunsOverview = { kinds: Array<{ kind: AnalysisKind; title: string; levers: string; latest: RunView | null }>; recent: RunView[]; active: boolean };

/** A queued run whose job already failed for good (e.g. the worker cannot run that kind) shows as failed. */
async function failedJobs(runIds: string[]): Promise<Map<string, string>> {
  if (runIds.length === 0) return new Map();
  // In-process driver only (jobs in Postgres); with BullMQ the run row is all we see.
  const { rows } = await getPool().query<{ run: string; error: string | null }>(
    `SELECT data->>'runId' AS run, "lastError" AS error FROM "Job" WHERE queue = 'analysis' AND status = 'failed' AND data->>'runId' = ANY($1::text[])`,
    [runIds],
  );
  return new Map(rows.map((r) => [r.run, r.error ?? "the job failed"]));
}

export async function listAnalysisRuns(projectId: string, opts: { recent?: number } = {}): Promise<RunsOverview> {
  // Demo loads are AnalysisRun rows too (kind "demo", lib/demo/runs.ts): not analyses, not listed here.
  const recentRows = await db.analysisRun.findMany({
    where: { projectId, kind: { in: ANALYSIS_KINDS } },
    orderBy: { createdAt: "desc" },
    take: opts.recent ?? 20,
    select: { id: true, kind: true, status: true, progress: true, message: true, error: true, costUsd: true, createdAt: true, startedAt: true, finishedAt: true, _count: { select: { findings: true } } },
  });
  // The latest run of each kind, even when older than the recent list.
  const { rows: latestIds } = await getPool().query<{ id: string }>(
    `SELECT DISTINCT ON (kind) id FROM "AnalysisRun" WHERE "projectId" = $1 AND kind = ANY($2::text[]) ORDER BY kind, "createdAt" DESC`,
    [projectId, ANALYSIS_KINDS],
  );
  const missing = latestIds.map((r) => r.id).filter((id) => !recentRows.some((r) => r.id === id));
  const extra = missing.length
    ? await db.analysisRun.findMany({
        where: { projectId, id: { in: missing } },
        select: { id: true, kind: true, status: true, progress: true, message: true, error: true, costUsd: true, createdAt: true, startedAt: true, finishedAt: true, _count: { select: { findings: true } } },
      })
    : [];
  const all = [...recentRows, ...extra];
  const failed = await failedJobs(all.filter((r) => r.status === "queued").map((r) => r.id));
  const view = (r: (typeof all)[number]): RunView => {
    const jobError = failed.get(r.id);
    return {
      id: r.id,
      kind: r.kind as AnalysisKind,
      status: jobError ? "failed" : ((["queued", "running", "succeeded", "failed"].includes(r.status) ? r.status : "queued") as RunView["status"]),
      progress: r.progress,
      message: r.message,
      error: jobError ?? r.error,
      findings: r._count.findings,
      costUsd: r.costUsd,
      createdAt: r.createdAt.toISOString(),
      startedAt: r.startedAt?.toISOString() ?? null,
      finishedAt: r.finishedAt?.toISOString() ?? null,
    };
  };
  const views = new Map(all.map((r) => [r.id, view(r)]));
  const latestByKind = new Map<string, RunView>();
  for (const { id } of latestIds) {
    const v = views.get(id);
    if (v) latestByKind.set(v.kind, v);
  }
  const recent = recentRows.map((r) => views.get(r.id)!);
  return {
    kinds: ANALYSIS_KINDS.map((kind) => ({ kind, ...ANALYSIS_LABELS[kind], latest: latestByKind.get(kind) ?? null })),
    recent,
    active: [...views.values()].some((v) => v.status === "queued" || v.status === "running"),
  };
}

export function parseAnalysisKind(value: unknown): AnalysisKind {
  if (typeof value !== "string" || !(ANALYSIS_KINDS as string[]).includes(value)) {
    throw ValidationError.field("kind", `Kind must be one of ${ANALYSIS_KINDS.join(", ")}.`);
  }
  return value as AnalysisKind;
}

/** Start a run of `kind` now, unless one is already queued or running (that one is returned instead). */
export async function runAnalysisNow(projectId: string, kind: AnalysisKind): Promise<{ run: { id: string; kind: string; status: string }; started: boolean }> {
  const busy = await db.analysisRun.findFirst({
    where: { projectId, kind, status: { in: ["queued", "running"] }, createdAt: { gte: new Date(Date.now() - 6 * 3_600_000) } },
    orderBy: { createdAt: "desc" },
    select: { id: true, kind: true, status: true },
  });
  if (busy && !(await failedJobs([busy.id])).has(busy.id)) return { run: busy, started: false };
  const run = await startAnalysisRun(projectId, kind);
  return { run: { id: run.id, kind: run.kind, status: run.status }, started: true };
}
