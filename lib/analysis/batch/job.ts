// Job entry of the batch-eligibility analysis (kind "batch"): loads the project's calls, finds the ones
// no user waits for, and stores the report and its "batch" findings on the run.
import { db } from "../../db/client";
import { PRICE_VERSION } from "../../pricing/cost";
import type { JobContext } from "../../queue/types";
import { loadWindowedCalls } from "../load";
import { executeAnalysisRun, hashInputs } from "../runs";
import { analyseBatch, type BatchReport } from "./analyse";

export type BatchJobParams = { since?: string; until?: string; feature?: string; limit?: number; minCalls?: number; seed?: number };

/** Validated job params; a wrong type names the field. */
export function parseBatchParams(raw: Record<string, unknown> | undefined): BatchJobParams {
  const p = raw ?? {};
  const out: BatchJobParams = {};
  for (const k of ["since", "until"] as const) {
    if (p[k] === undefined) continue;
    if (typeof p[k] !== "string" || Number.isNaN(Date.parse(p[k] as string))) throw new Error(`params.${k}: must be an ISO 8601 date`);
    out[k] = p[k] as string;
  }
  if (p.feature !== undefined) {
    if (typeof p.feature !== "string" || !p.feature.trim()) throw new Error("params.feature: must be a non-empty string");
    out.feature = p.feature;
  }
  for (const [k, min, max] of [
    ["limit", 1, 1_000_000],
    ["minCalls", 1, 100_000],
    ["seed", 0, 2 ** 31 - 1],
  ] as const) {
    const v = p[k];
    if (v === undefined) continue;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) throw new Error(`params.${k}: must be an integer in [${min}, ${max}]`);
    out[k] = v;
  }
  return out;
}

export async function runBatchAnalysis(data: { projectId: string; runId: string; params?: Record<string, unknown> }, ctx?: JobContext): Promise<BatchReport> {
  const run = await db.analysisRun.findFirst({ where: { id: data.runId, projectId: data.projectId } });
  if (!run) throw new Error(`analysis run ${data.runId} not found in project ${data.projectId}`);
  if (run.kind !== "batch") throw new Error(`analysis run ${data.runId} is a ${run.kind} run, not batch`);
  const params = parseBatchParams(data.params ?? ((run.params ?? {}) as Record<string, unknown>));
  return executeAnalysisRun(data.runId, ctx, async (progress) => {
    const { calls, window } = await loadWindowedCalls(data.projectId, params);
    await progress(0.5, `loaded ${calls.length} calls`);
    const report = analyseBatch(calls, { window, seed: params.seed, minCalls: params.minCalls });
    return {
      result: report,
      findings: report.findings,
      inputHash: hashInputs(["batch", PRICE_VERSION, params, calls.length, calls.map((c) => `${c.id}@${c.timestamp.getTime()}`).join(",")]),
    };
  });
}
