// Job entry of the model-fit analysis (queue "analysis", kind "modelfit"): loads the project's
// production calls, profiles and prices candidates, and — when the project has replay credentials —
// replays samples within the run's budget, storing each replay as a non-production call.
import { db } from "../../db/client";
import { validateEvent } from "../../ingest/validate";
import { writeEvents } from "../../ingest/writer";
import { loadOrgPricing } from "../../ingest/price-overrides";
import type { JobContext } from "../../queue/types";
import { loadCallsForAnalysis } from "../load";
import { replayEvent } from "../replay/events";
import { replayClientsForProject } from "../replay/credentials";
import { executeAnalysisRun, hashInputs } from "../runs";
import { analyseModelFit, testModelFit, type ModelFitOptions, type ModelFitReport, type ReplayEnvironment } from "./analyse";

export type ModelFitParams = {
  /** Hard cap on replay spend for the run, in dollars. Default 2. */
  budgetUsd?: number;
  /** Days of history analysed. Default 30. */
  sinceDays?: number;
  sampleSize?: number;
  candidatesPerGroup?: number;
  minGroupCalls?: number;
  /** Only consider these candidate models. */
  onlyModels?: string[];
  summaryComparison?: "similarity" | "judge";
  judge?: { model: string; provider: string; criteria?: string };
  concurrency?: number;
  requestsPerSecond?: number;
  seed?: number;
};

function num(params: Record<string, unknown>, field: string, check: (n: number) => boolean, rule: string): number | undefined {
  const v = params[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v) || !check(v)) throw new Error(`params.${field} ${rule}, got ${JSON.stringify(v)}`);
  return v;
}

/** Checks run params; errors name the field. */
export function parseModelFitParams(raw: Record<string, unknown> = {}): ModelFitParams {
  const p: ModelFitParams = {
    budgetUsd: num(raw, "budgetUsd", (n) => n >= 0 && n <= 10_000, "must be a dollar amount between 0 and 10000"),
    sinceDays: num(raw, "sinceDays", (n) => n > 0 && n <= 366, "must be a number of days in (0, 366]"),
    sampleSize: num(raw, "sampleSize", (n) => Number.isInteger(n) && n >= 10 && n <= 10_000, "must be an integer in [10, 10000]"),
    candidatesPerGroup: num(raw, "candidatesPerGroup", (n) => Number.isInteger(n) && n >= 1 && n <= 5, "must be an integer in [1, 5]"),
    minGroupCalls: num(raw, "minGroupCalls", (n) => Number.isInteger(n) && n >= 1, "must be a positive integer"),
    concurrency: num(raw, "concurrency", (n) => Number.isInteger(n) && n >= 1 && n <= 64, "must be an integer in [1, 64]"),
    requestsPerSecond: num(raw, "requestsPerSecond", (n) => n > 0 && n <= 1000, "must be in (0, 1000]"),
    seed: num(raw, "seed", Number.isInteger, "must be an integer"),
  };
  if (raw.onlyModels !== undefined) {
    if (!Array.isArray(raw.onlyModels) || !raw.onlyModels.every((m) => typeof m === "string" && m.length > 0 && m.length <= 200)) {
      throw new Error("params.onlyModels must be a list of model names");
    }
    p.onlyModels = raw.onlyModels as string[];
  }
  if (raw.summaryComparison !== undefined) {
    if (raw.summaryComparison !== "similarity" && raw.summaryComparison !== "judge") throw new Error('params.summaryComparison must be "similarity" or "judge"');
    p.summaryComparison = raw.summaryComparison;
  }
  if (raw.judge !== undefined) {
    const j = raw.judge as Record<string, unknown>;
    if (!j || typeof j.model !== "string" || typeof j.provider !== "string") throw new Error("params.judge must be { model, provider }");
    p.judge = { model: j.model, provider: j.provider, criteria: typeof j.criteria === "string" ? j.criteria.slice(0, 1000) : undefined };
  }
  if (p.summaryComparison === "judge" && !p.judge) throw new Error("params.judge is required when params.summaryComparison is judge");
  return p;
}

export async function runModelFitAnalysis(data: { projectId: string; runId: string; params?: Record<string, unknown> }, ctx?: JobContext): Promise<ModelFitReport> {
  const params = parseModelFitParams(data.params ?? {});
  return executeAnalysisRun(data.runId, ctx, async (progress) => {
    const project = await db.project.findUniqueOrThrow({ where: { id: data.projectId }, select: { id: true, organizationId: true, agreementTarget: true } });
    const until = new Date();
    const since = new Date(until.getTime() - (params.sinceDays ?? 30) * 86_400_000);
    await progress(0.02, "loading calls");
    const calls = await loadCallsForAnalysis(project.id, { since, until });
    const pricing = await loadOrgPricing(project.organizationId);
    const opts: ModelFitOptions = {
      agreementTarget: project.agreementTarget,
      sampleSize: params.sampleSize,
      candidatesPerGroup: params.candidatesPerGroup,
      minGroupCalls: params.minGroupCalls,
      summaryComparison: params.summaryComparison,
      seed: params.seed,
      window: calls.length ? { from: calls[0].timestamp, to: calls[calls.length - 1].timestamp } : undefined,
      candidates: { overrides: pricing.overrides, onlyModels: params.onlyModels },
    };
    const { clients, refused } = await replayClientsForProject(project.id);
    const inputHash = hashInputs([
      calls.length,
      calls.length ? [calls[0].id, calls[calls.length - 1].id, calls[calls.length - 1].timestamp.toISOString()] : null,
      params,
      project.agreementTarget,
      pricing.version,
      [...clients.keys()].sort(),
    ]);
    const note = refused.length ? `; credentials not used: ${refused.map((r) => `${r.name} (${r.reason})`).join("; ")}` : "";
    if (clients.size === 0) {
      await progress(0.5, `no usable replay credential: candidates are reported untested${note}`);
      const report = analyseModelFit(calls, opts);
      if (note) report.notes = [note.slice(2)];
      return { result: report, findings: report.findings, inputHash };
    }
    opts.candidates = { ...opts.candidates, otherProviders: [...clients.keys()] };
    const env: ReplayEnvironment = {
      clientFor: (provider) => clients.get(provider) ?? null,
      budgetUsd: params.budgetUsd ?? 2,
      concurrency: params.concurrency,
      requestsPerSecond: params.requestsPerSecond,
      judge: params.judge,
      onReplay: async (outcome, call, test) => {
        const event = replayEvent(outcome, call, { runId: data.runId, model: test.model, provider: test.provider });
        if (!event) return;
        const valid = validateEvent(event);
        if (!valid.ok) throw new Error(`replay event invalid: ${valid.errors.map((e) => `${e.field} ${e.message}`).join("; ")}`);
        await writeEvents({ projectId: project.id, organizationId: project.organizationId, source: "replay", replayRunId: data.runId }, [valid.event]);
      },
    };
    if (note) await progress(0.04, note.slice(2));
    const report = await testModelFit(calls, opts, env, (f, m) => progress(0.05 + 0.9 * f, m));
    if (note) report.notes = [note.slice(2)];
    return { result: report, findings: report.findings, inputHash, costUsd: report.replaySpentUsd };
  });
}
