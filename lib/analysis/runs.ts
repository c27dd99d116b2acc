// Analysis runs: one row per run with progress, result and the findings it produced. Each lever's
// job (lib/analysis/<lever>/job.ts) calls executeAnalysisRun with its pure analyse function.
import { createHash } from "node:crypto";
import { db } from "../db/client";
import type { JobContext } from "../queue/types";
import type { LeverFinding } from "./types";

export type AnalysisKind = "cache" | "bloat" | "modelfit" | "distill" | "batch";

export async function createAnalysisRun(projectId: string, kind: AnalysisKind, params: Record<string, unknown> = {}) {
  return db.analysisRun.create({ data: { projectId, kind, params: params as object, status: "queued" } });
}

/** Stable hash of the inputs of a run, so a re-run over unchanged data can be recognised. */
export function hashInputs(parts: unknown[]): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(JSON.stringify(p)).update("\u0000");
  return h.digest("hex").slice(0, 32);
}

type Outcome<R> = { result: R; findings: LeverFinding[]; inputHash?: string; costUsd?: number };

/**
 * Runs `work` for an existing run row: marks it running, forwards progress to the row (and the job),
 * stores the result and replaces the run's findings in one transaction. Retries (a second attempt of
 * the same job) overwrite rather than duplicate.
 */
export async function executeAnalysisRun<R>(
  runId: string,
  ctx: JobContext | undefined,
  work: (progress: (fraction: number, message?: string) => Promise<void>) => Promise<Outcome<R>>,
): Promise<R> {
  const run = await db.analysisRun.update({
    where: { id: runId },
    data: { status: "running", startedAt: new Date(), progress: 0, error: null },
  });
  let last = 0;
  const progress = async (fraction: number, message?: string) => {
    const now = Date.now();
    if (now - last < 250 && fraction < 1) return; // keep progress writes cheap
    last = now;
    await db.analysisRun.update({ where: { id: runId }, data: { progress: Math.max(0, Math.min(1, fraction)), message } });
    await ctx?.progress(fraction, message);
  };
  try {
    const out = await work(progress);
    await db.$transaction([
      db.finding.deleteMany({ where: { runId, projectId: run.projectId } }),
      db.finding.createMany({
        data: out.findings.map((f) => ({
          projectId: run.projectId,
          runId,
          lever: f.lever,
          title: f.title,
          scope: f.scope as object,
          monthlySavingsUsd: f.monthly.usd,
          savingsLowUsd: f.monthly.low,
          savingsHighUsd: f.monthly.high,
          confidence: f.confidence,
          evidence: { ...f.evidence, affectedMonthlyCostUsd: f.affectedMonthlyCostUsd, savingsShare: f.savingsShare, callIds: f.callIds } as object,
          howToApply: f.howToApply as object,
        })),
      }),
      db.analysisRun.update({
        where: { id: runId },
        data: {
          status: "succeeded",
          progress: 1,
          finishedAt: new Date(),
          result: out.result as object,
          inputHash: out.inputHash,
          costUsd: out.costUsd ?? 0,
        },
      }),
    ]);
    return out.result;
  } catch (err) {
    await db.analysisRun
      .update({ where: { id: runId }, data: { status: "failed", error: (err as Error).message?.slice(0, 2000), finishedAt: new Date() } })
      .catch(() => {});
    throw err;
  }
}
