// Verification of a compressed prompt through the model-fit replay harness: a stratified sample of the
// group's logged calls is replayed on the same model with the candidate's static text in place of the
// original, and the answers are compared with the logged ones (labels exactly, JSON field by field,
// free text by similarity against a replay of the original prompt, since free text varies run to run).
// The candidate is "verified" only when the agreement's Wilson lower bound clears the target.
import { priceCall } from "../../pricing/cost";
import { callOutput } from "../replay/answers";
import type { ReplayClient, ReplayUsage } from "../replay/client";
import { compareJson, compareLabels, similarityComparator, type Comparator, type SimilarityOptions } from "../replay/compare";
import type { ReplayOutcome } from "../replay/harness";
import { stratifiedSample } from "../replay/sample";
import { replayAndCompare } from "../replay/verify";
import type { AnalysisCall } from "../types";
import { outputShape } from "./output-shape";
import type { StaticSegment, VerificationResult } from "./types";

export type VerifyEnvironment = {
  /** Replay client for a provider family (the project's credential), or null when none is configured. */
  clientFor: (provider: string) => ReplayClient | null;
  /** Hard cap in dollars for this candidate's replays. */
  budgetUsd: number;
  /** Calls replayed per candidate. Default 120 (all when the group is smaller). */
  sampleSize?: number;
  /** Agreement the Wilson lower bound must reach. Default 0.95 (Project.agreementTarget). */
  agreementTarget?: number;
  concurrency?: number;
  requestsPerSecond?: number;
  maxAttempts?: number;
  embed?: SimilarityOptions["embed"];
  similarityThreshold?: number;
  onReplay?: (outcome: ReplayOutcome, call: AnalysisCall) => void | Promise<void>;
  sleep?: (ms: number) => Promise<void>;
  signal?: AbortSignal;
  seed?: number | string;
};

function replaceIn(value: unknown, from: string, to: string, part: StaticSegment["part"], done: { hit: boolean }): unknown {
  if (done.hit) return value;
  if (typeof value === "string") {
    const ok = part === "whole" ? value === from : part === "prefix" ? value.startsWith(from) : value.endsWith(from);
    if (!ok) return value;
    done.hit = true;
    if (part === "whole") return to;
    return part === "prefix" ? to + value.slice(from.length) : value.slice(0, value.length - from.length) + to;
  }
  if (Array.isArray(value)) return value.map((v) => replaceIn(v, from, to, part, done));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = k === "model" || k === "tools" || k === "response_format" ? v : replaceIn(v, from, to, part, done);
    return out;
  }
  return value;
}

/**
 * The request with every static segment replaced by its candidate version (same index). Throws when a
 * segment's text is not found as a whole string value (or its start/end), e.g. a system prompt split
 * over several messages.
 */
export function applyCandidateToRequest(request: Record<string, unknown>, original: StaticSegment[], candidate: StaticSegment[]): Record<string, unknown> {
  if (original.length !== candidate.length) throw new Error("candidate must have one segment per original segment");
  let out: unknown = request;
  original.forEach((seg, i) => {
    if (seg.text === candidate[i].text) return;
    const done = { hit: false };
    out = replaceIn(out, seg.text, candidate[i].text, seg.part, done);
    if (!done.hit) throw new Error(`static segment ${i} (${seg.role} ${seg.part}) not found in the request`);
  });
  return out as Record<string, unknown>;
}

/** How answers of this group are compared: labels, JSON, or text similarity (then against a replayed baseline). */
export function comparisonFor(calls: AnalysisCall[], env: Pick<VerifyEnvironment, "embed" | "similarityThreshold">): { compare: Comparator; method: string; baseline: "logged" | "replay" } {
  const shapes = calls.map((c) => outputShape(c.outputText));
  const share = (pred: (s: string) => boolean) => shapes.filter(pred).length / Math.max(1, shapes.length);
  if (share((s) => s === "label") >= 0.8) return { compare: compareLabels, method: "label", baseline: "logged" };
  if (share((s) => s.startsWith("json")) >= 0.8) return { compare: compareJson, method: "json", baseline: "logged" };
  return { compare: similarityComparator({ embed: env.embed, threshold: env.similarityThreshold }), method: "similarity", baseline: "replay" };
}

/** Replays a sample with the candidate prompt and decides verified / rejected / inconclusive. */
export async function verifyCandidate(
  group: { id: string; segments: StaticSegment[]; calls: AnalysisCall[] },
  candidate: StaticSegment[],
  env: VerifyEnvironment,
): Promise<VerificationResult> {
  const provider = group.calls[0]?.provider ?? "";
  const model = group.calls[0]?.model ?? "";
  const client = env.clientFor(provider);
  if (!client) return { status: "unverified", reason: `no replay credential for ${provider || "this provider"}` };
  if (!model) return { status: "unverified", reason: "the calls have no model" };
  // Same model only, and only calls whose request holds the static text where we can swap it.
  const replayable = group.calls.filter((c) => {
    if (c.model !== model || c.provider !== provider || c.status >= 400) return false;
    try {
      applyCandidateToRequest(c.request, group.segments, candidate);
      return true;
    } catch {
      return false;
    }
  });
  if (replayable.length === 0) return { status: "unverified", reason: "no logged request of this group can take the candidate text" };
  const { compare, method, baseline } = comparisonFor(replayable, env);
  const size = env.sampleSize ?? 120;
  const sample = stratifiedSample(replayable, size, (c) => (method === "label" ? compareLabelKey(c) : outputShape(c.outputText)), env.seed ?? group.id);
  const target = env.agreementTarget ?? 0.95;
  const priceUsage = (u: ReplayUsage) =>
    priceCall(
      { inputTokens: u.inputTokens, outputTokens: u.outputTokens, cachedInputTokens: Math.min(u.cachedInputTokens, u.inputTokens), cacheWriteTokens: 0, reasoningTokens: 0 },
      { provider, model },
    )?.costUsd ?? null;
  const result = await replayAndCompare(sample, {
    model,
    client,
    budgetUsd: env.budgetUsd,
    priceUsage,
    transform: (request) => applyCandidateToRequest(request, group.segments, candidate),
    compare,
    baseline,
    concurrency: env.concurrency,
    requestsPerSecond: env.requestsPerSecond,
    maxAttempts: env.maxAttempts,
    onOutcome: env.onReplay,
    sleep: env.sleep,
    signal: env.signal,
  });
  const a = result.agreement;
  const status: "verified" | "rejected" | "inconclusive" = result.compared === 0 ? "inconclusive" : a.low >= target ? "verified" : a.high < target ? "rejected" : "inconclusive";
  return {
    status,
    model,
    method,
    sampled: sample.length,
    compared: result.compared,
    agreed: result.agreed,
    agreement: { point: a.point, low: a.low, high: a.high },
    target,
    replayCostUsd: result.spentUsd,
    disagreements: result.disagreements.map((d) => ({ callId: d.callId, logged: d.reference, replayed: d.candidate })),
  };
}

function compareLabelKey(c: AnalysisCall): string {
  return callOutput(c).text.trim().toLowerCase();
}
