// Job entry of the distillation analysis (queue "analysis", kind "distill"): trains and evaluates a
// classifier per eligible group, stores each recommended one as a new (disabled) DistilledModel
// version, and reports the lever's findings.
import { db } from "../../db/client";
import type { JobContext } from "../../queue/types";
import { loadCallsForAnalysis } from "../load";
import { executeAnalysisRun, hashInputs } from "../runs";
import { analyseDistill, type DistillReport } from "./analyse";
import { saveDistilledModel } from "./models";

export type DistillParams = { sinceDays?: number; auditShare?: number; testShare?: number; minCalls?: number; seed?: number };

export function parseDistillParams(raw: Record<string, unknown> = {}): DistillParams {
  const out: DistillParams = {};
  const check = (field: keyof DistillParams, ok: (n: number) => boolean, rule: string) => {
    const v = raw[field];
    if (v === undefined || v === null) return;
    if (typeof v !== "number" || !Number.isFinite(v) || !ok(v)) throw new Error(`params.${field} ${rule}, got ${JSON.stringify(v)}`);
    out[field] = v;
  };
  check("sinceDays", (n) => n > 0 && n <= 366, "must be a number of days in (0, 366]");
  check("auditShare", (n) => n >= 0 && n < 0.5, "must be in [0, 0.5)");
  check("testShare", (n) => n >= 0.05 && n <= 0.5, "must be in [0.05, 0.5]");
  check("minCalls", (n) => Number.isInteger(n) && n >= 100, "must be an integer >= 100");
  check("seed", Number.isInteger, "must be an integer");
  return out;
}

export async function runDistillAnalysis(data: { projectId: string; runId: string; params?: Record<string, unknown> }, ctx?: JobContext): Promise<DistillReport> {
  const params = parseDistillParams(data.params ?? {});
  return executeAnalysisRun(data.runId, ctx, async (progress) => {
    const project = await db.project.findUniqueOrThrow({ where: { id: data.projectId }, select: { id: true, agreementTarget: true } });
    const until = new Date();
    const since = new Date(until.getTime() - (params.sinceDays ?? 30) * 86_400_000);
    await progress(0.05, "loading calls");
    const calls = await loadCallsForAnalysis(project.id, { since, until });
    await progress(0.1, "training and evaluating");
    const { report, artifacts } = await analyseDistill(calls, {
      onProgress: (f, m) => progress(0.1 + 0.85 * f, m),
      agreementTarget: project.agreementTarget,
      auditShare: params.auditShare,
      testShare: params.testShare,
      minCalls: params.minCalls,
      seed: params.seed,
      window: calls.length ? { from: calls[0].timestamp, to: calls[calls.length - 1].timestamp } : undefined,
    });
    for (const finding of report.findings) {
      const group = report.groups.find((g) => g.feature === finding.scope.feature && g.model === finding.scope.model && g.promptHash === finding.scope.promptHash)!;
      const artifact = artifacts.get(group.key)!;
      const { curve: _curve, ...metrics } = group.evaluation!;
      const saved = await saveDistilledModel(project.id, artifact, { ...metrics, runId: data.runId, savings: group.savings });
      finding.howToApply.settings = { ...finding.howToApply.settings, distilledModelId: saved.id, version: saved.version, feature: saved.feature };
      finding.evidence.distilledModelId = saved.id;
    }
    const inputHash = hashInputs([calls.length, calls.length ? [calls[0].id, calls[calls.length - 1].id] : null, params, project.agreementTarget]);
    return { result: report, findings: report.findings, inputHash };
  });
}
