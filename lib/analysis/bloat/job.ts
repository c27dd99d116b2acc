// Job entry of the prompt-bloat analysis (kind "bloat"): loads the project's calls, analyses static
// prompts and prefix caching, optionally asks a configured model for a rewrite, verifies candidates by
// replay when the project has a provider credential (replays stored as non-production calls), and
// stores the report and its compress / prefix_cache findings on the run.
import { createHash } from "node:crypto";
import { db } from "../../db/client";
import type { IngestEvent } from "../../ingest/event";
import { writeEvents } from "../../ingest/writer";
import { PRICE_VERSION } from "../../pricing/cost";
import type { JobContext } from "../../queue/types";
import { loadWindowedCalls } from "../load";
import { replayClientsForProject } from "../replay/credentials";
import type { ReplayClient } from "../replay/client";
import type { ReplayOutcome } from "../replay/harness";
import { executeAnalysisRun, hashInputs } from "../runs";
import type { AnalysisCall } from "../types";
import { analyseBloat, type BloatAnalysis, type BloatOptions } from "./analyse";
import { rewriteWithModel } from "./rewrite";
import { groupByStaticPrompt } from "./static-prompt";
import type { Candidate, VerificationResult } from "./types";
import { verifyCandidate } from "./verify";

export type BloatJobParams = {
  since?: string;
  until?: string;
  feature?: string;
  limit?: number;
  maxGroups?: number;
  /** Replay-check candidates when a provider credential exists. Default true. */
  verify?: boolean;
  /** Dollar cap for all replays (and rewrites) of the run. Default 2. */
  replayBudgetUsd?: number;
  /** Calls replayed per candidate. Default 120. */
  sampleSize?: number;
  /** Groups whose candidates are verified (largest savings first). Default 3. */
  verifyGroups?: number;
  /** Model that writes a second candidate ("keep every output constraint"), served by the credential of `rewriteProvider` (default "openai"). */
  rewriteModel?: string;
  rewriteProvider?: string;
  seed?: number;
};

function fieldError(field: string, message: string): Error {
  return new Error(`params.${field}: ${message}`);
}

/** Validated job params; a wrong type names the field. */
export function parseBloatParams(raw: Record<string, unknown> | undefined): BloatJobParams {
  const p = raw ?? {};
  const out: BloatJobParams = {};
  for (const k of ["since", "until"] as const) {
    if (p[k] === undefined) continue;
    if (typeof p[k] !== "string" || Number.isNaN(Date.parse(p[k] as string))) throw fieldError(k, "must be an ISO 8601 date");
    out[k] = p[k] as string;
  }
  for (const k of ["feature", "rewriteModel", "rewriteProvider"] as const) {
    if (p[k] === undefined) continue;
    if (typeof p[k] !== "string" || !(p[k] as string).trim()) throw fieldError(k, "must be a non-empty string");
    out[k] = p[k] as string;
  }
  const ints: Array<[keyof BloatJobParams, number, number]> = [
    ["limit", 1, 1_000_000],
    ["maxGroups", 1, 200],
    ["sampleSize", 1, 2000],
    ["verifyGroups", 0, 50],
    ["seed", 0, 2 ** 31 - 1],
  ];
  for (const [k, min, max] of ints) {
    if (p[k] === undefined) continue;
    const v = p[k];
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) throw fieldError(k, `must be an integer in [${min}, ${max}]`);
    (out as Record<string, unknown>)[k] = v;
  }
  if (p.replayBudgetUsd !== undefined) {
    if (typeof p.replayBudgetUsd !== "number" || !(p.replayBudgetUsd >= 0) || !Number.isFinite(p.replayBudgetUsd)) throw fieldError("replayBudgetUsd", "must be a non-negative number of dollars");
    out.replayBudgetUsd = p.replayBudgetUsd;
  }
  if (p.verify !== undefined) {
    if (typeof p.verify !== "boolean") throw fieldError("verify", "must be true or false");
    out.verify = p.verify;
  }
  return out;
}

const ENDPOINT_OF_API: Record<string, string> = { "openai.chat": "/v1/chat/completions", "openai.responses": "/v1/responses", "anthropic.messages": "/v1/messages" };

/** A successful replay as an ingest event (stored with source "replay", so never counted as spend). */
function replayEvent(runId: string, outcome: ReplayOutcome, call: AnalysisCall, label: string): IngestEvent | null {
  if (outcome.status !== "ok" || !outcome.request || !outcome.api) return null;
  const id = "replay-" + createHash("sha256").update(`${runId}\u0000${label}\u0000${call.id}`).digest("hex").slice(0, 32);
  return {
    id,
    timestamp: (outcome.startedAt ?? new Date()).toISOString(),
    provider: outcome.api === "anthropic.messages" ? "anthropic" : call.provider,
    endpoint: ENDPOINT_OF_API[outcome.api],
    request: outcome.request,
    response: outcome.response ?? null,
    latency_ms: outcome.latencyMs ?? 0,
    tags: { ...(call.feature ? { feature: call.feature } : {}), replay_of: call.id.slice(0, 200), replay_kind: `bloat:${label}` },
  };
}

export async function runBloatAnalysis(data: { projectId: string; runId: string; params?: Record<string, unknown> }, ctx?: JobContext): Promise<BloatAnalysis> {
  const run = await db.analysisRun.findFirst({ where: { id: data.runId, projectId: data.projectId } });
  if (!run) throw new Error(`analysis run ${data.runId} not found in project ${data.projectId}`);
  if (run.kind !== "bloat") throw new Error(`analysis run ${data.runId} is a ${run.kind} run, not bloat`);
  const params = parseBloatParams(data.params ?? ((run.params ?? {}) as Record<string, unknown>));
  const project = await db.project.findFirst({ where: { id: data.projectId }, select: { organizationId: true, agreementTarget: true } });
  if (!project) throw new Error(`project ${data.projectId} not found`);

  return executeAnalysisRun(data.runId, ctx, async (progress) => {
    const { calls, window } = await loadWindowedCalls(data.projectId, params);
    await progress(0.1, `loaded ${calls.length} calls`);
    const opts: BloatOptions = { window, seed: params.seed, maxGroups: params.maxGroups };
    const first = analyseBloat(calls, opts);
    await progress(0.3, `${first.groups.length} static prompts analysed`);

    let spentUsd = 0;
    const budget = params.replayBudgetUsd ?? 2;
    const wantChecks = params.verify !== false && budget > 0 && first.groups.some((g) => g.candidates.length > 0 || params.rewriteModel);
    // Credentials whose endpoint is no longer allowed are refused by replayClientsForProject (not used).
    const clients: Map<string, ReplayClient> = wantChecks || params.rewriteModel ? (await replayClientsForProject(data.projectId)).clients : new Map();
    const verification: NonNullable<BloatOptions["verification"]> = {};
    const rewrites: NonNullable<BloatOptions["rewrites"]> = {};
    const rewriteNotes: Record<string, string> = {};

    // Groups worth checking: largest candidate savings first; with a rewrite model, also groups the
    // detectors found nothing in (by what their static part costs).
    const chosen = first.groups
      .filter((g) => g.candidates.length > 0 || params.rewriteModel)
      .sort((a, b) => (b.candidates[0]?.monthly.usd ?? 0) - (a.candidates[0]?.monthly.usd ?? 0) || b.staticMonthlyUsd - a.staticMonthlyUsd)
      .slice(0, params.verifyGroups ?? 3);
    const staticGroups = new Map(groupByStaticPrompt(calls, opts.grouping).groups.map((g) => [g.id, g]));

    // Optional model rewrites (paid from the same budget, before the replays).
    if (params.rewriteModel) {
      const client = clients.get(params.rewriteProvider ?? "openai");
      for (const g of chosen) {
        if (!client) {
          rewriteNotes[g.id] = `no credential for ${params.rewriteProvider ?? "openai"} to run ${params.rewriteModel}`;
          continue;
        }
        const det = g.candidates.find((c) => c.method === "deterministic");
        const r = await rewriteWithModel(g.segments, det?.segments ?? g.segments, g.findings, { client, model: params.rewriteModel });
        spentUsd += r.costUsd;
        if (r.ok) rewrites[g.id] = { segments: r.segments, constraints: r.constraints };
        else rewriteNotes[g.id] = r.reason;
      }
    }

    if (wantChecks && clients.size > 0) {
      const withRewrites = params.rewriteModel ? analyseBloat(calls, { ...opts, rewrites }) : first;
      const targets = withRewrites.groups.filter((g) => chosen.some((c) => c.id === g.id));
      const perCandidate = Math.max(0, budget - spentUsd) / Math.max(1, targets.reduce((s, g) => s + g.candidates.length, 0));
      let done = 0;
      const total = targets.reduce((s, g) => s + g.candidates.length, 0);
      for (const g of targets) {
        const group = staticGroups.get(g.id);
        if (!group) continue;
        for (const cand of g.candidates as Candidate[]) {
          const stored: IngestEvent[] = [];
          const result: VerificationResult = await verifyCandidate(group, cand.segments, {
            clientFor: (provider) => clients.get(provider) ?? null,
            budgetUsd: perCandidate,
            sampleSize: params.sampleSize,
            agreementTarget: project.agreementTarget,
            seed: `${params.seed ?? 1}:${g.id}:${cand.method}`,
            onReplay: (outcome, call) => {
              const e = replayEvent(data.runId, outcome, call, `${g.id}:${cand.method}`);
              if (e) stored.push(e);
            },
          });
          if (stored.length) await writeEvents({ projectId: data.projectId, organizationId: project.organizationId, source: "replay", replayRunId: data.runId }, stored);
          if (result.status !== "unverified") spentUsd += result.replayCostUsd;
          (verification[g.id] ??= {})[cand.method] = result;
          done++;
          await progress(0.3 + (0.6 * done) / total, `verified ${done} of ${total} candidates`);
        }
      }
    }

    const report = Object.keys(verification).length || Object.keys(rewrites).length ? analyseBloat(calls, { ...opts, verification, rewrites }) : first;
    const result = { ...report, rewriteNotes, replaySpentUsd: spentUsd } as BloatAnalysis;
    return {
      result,
      findings: report.findings,
      costUsd: spentUsd,
      inputHash: hashInputs([
        "bloat",
        PRICE_VERSION,
        params,
        calls.length,
        calls.map((c) => `${c.id}@${c.timestamp.getTime()}`).join(","),
      ]),
    };
  });
}
