// Batch-API eligibility: calls no user waits for — tagged background/batch (or a feature named like a
// job), or arriving in bursts with no end user or session and no streaming — on models whose price
// table has a batch price (or the provider's 50% batch discount). Savings per call are the difference
// of two priceCall results (standard vs batch) on the call's own usage; per month with a day-block
// bootstrap interval. Evidence: hour-of-day histogram, daily counts, burst statistics.
import { priceCall, type Usage } from "../../pricing/cost";
import { periodTotal } from "../../stats/period-total";
import { perMonth, type AnalysisCall, type LeverFinding, type MonthlySavings } from "../types";
import { dayHistogram, detectBursts, hourHistogram, type BurstOptions, type BurstStats } from "./arrivals";

export type BatchOptions = {
  window?: { from: Date; to: Date };
  seed?: number;
  bursts?: BurstOptions;
  /** Fewest eligible calls for a finding. Default 20. */
  minCalls?: number;
};

export type BatchSignal = "tagged" | "job_feature" | "burst_no_user";

export type BatchGroup = {
  feature: string | null;
  provider: string;
  model: string;
  calls: number;
  alreadyBatch: number;
  /** Calls with a batch price and a signal that no one waits for them. */
  eligible: number;
  signals: { tagged: number; jobFeature: boolean; noUserShare: number; streamingShare: number; burst: BurstStats };
  /** Why the group (or part of it) is not eligible. */
  reasons: string[];
  latencyMs: { p50: number | null; p95: number | null };
  hourHistogram: number[];
  eligibleHourHistogram: number[];
  days: Array<[string, number]>;
  batchPrice: "table" | "provider_discount" | "none";
  monthlyCostUsd: number;
  eligibleMonthlyCostUsd: number;
  monthly: MonthlySavings;
  confidence: "high" | "medium" | "low";
};

export type BatchReport = { window: { from: string; to: string; days: number }; calls: number; groups: BatchGroup[]; findings: LeverFinding[] };

const JOB_FEATURE = /(?:^|[^a-z])(?:batch|nightly|cron|job|jobs|backfill|etl|digest|report|reports|offline|background|scheduled|bulk|enrich(?:ment)?|reindex)(?:$|[^a-z])/i;
const YES = new Set(["1", "true", "yes", "y"]);

/** A tag saying the call runs in the background. */
export function taggedBackground(tags: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(tags)) {
    const key = k.toLowerCase();
    const val = String(v).toLowerCase();
    if ((key === "batch" || key === "background" || key === "async" || key === "deferrable") && YES.has(val)) return true;
    if ((key === "priority" || key === "mode" || key === "kind" || key === "type" || key === "latency" || key === "latency_tolerance") && /^(?:background|batch|low|offline|async|deferred|bulk|tolerant|hours|24h)$/.test(val)) return true;
  }
  return false;
}

function usageOf(c: AnalysisCall): Usage {
  return { inputTokens: c.inputTokens, outputTokens: c.outputTokens, cachedInputTokens: c.cachedInputTokens, cacheWriteTokens: c.cacheWriteTokens, reasoningTokens: 0 };
}

/** $ saved by sending this call through the batch API, and where the batch price comes from. */
export function batchSaving(call: AnalysisCall): { usd: number; source: BatchGroup["batchPrice"] } {
  if (!call.model) return { usd: 0, source: "none" };
  const u = usageOf(call);
  const standard = priceCall(u, { provider: call.provider, model: call.model });
  const batch = priceCall(u, { provider: call.provider, model: call.model, batch: true });
  if (!standard || !batch || batch.tier[0] !== "batch") return { usd: 0, source: "none" };
  const defaulted = batch.tier.some((t) => t.includes("50% of standard"));
  return { usd: Math.max(0, standard.costUsd - batch.costUsd), source: defaulted ? "provider_discount" : "table" };
}

function quantile(values: number[], q: number): number | null {
  if (values.length === 0) return null;
  const s = values.slice().sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))];
}

const snippetOpenAI = `// Collect the requests, then send them as one batch (results within 24 h at half price).
const lines = requests.map((body, i) => JSON.stringify({ custom_id: String(i), method: "POST", url: "/v1/chat/completions", body }));
const file = await openai.files.create({ file: new File([lines.join("\\n")], "batch.jsonl"), purpose: "batch" });
const batch = await openai.batches.create({ input_file_id: file.id, endpoint: "/v1/chat/completions", completion_window: "24h" });
// poll openai.batches.retrieve(batch.id) until status === "completed", then read batch.output_file_id`;

const snippetAnthropic = `// Send the job's requests as one Message Batch (results within 24 h at half price).
const batch = await anthropic.messages.batches.create({
  requests: requests.map((params, i) => ({ custom_id: String(i), params })),
});
// poll anthropic.messages.batches.retrieve(batch.id) until processing_status === "ended", then read results`;

function analyseGroup(calls: AnalysisCall[], window: { from: Date; to: Date }, opts: BatchOptions): { group: BatchGroup; eligibleCalls: AnalysisCall[] } {
  const first = calls[0];
  const times = calls.map((c) => c.timestamp.getTime());
  const burst = detectBursts(times, { ...opts.bursts, windowMs: opts.bursts?.windowMs ?? Math.max(window.to.getTime() - window.from.getTime(), times.length > 1 ? times[times.length - 1] - times[0] : 0) });
  const jobFeature = !!first.feature && JOB_FEATURE.test(first.feature);
  const tagged = calls.map((c) => taggedBackground(c.tags));
  const noUser = calls.map((c) => !c.endUser && !c.session);
  const streaming = calls.map((c) => c.request.stream === true);
  const reasons: string[] = [];
  const savings = calls.map(batchSaving);
  const priced = savings.find((s) => s.source !== "none");
  const eligibleIdx: number[] = [];
  calls.forEach((c, i) => {
    if (c.batch || c.status >= 400 || savings[i].source === "none") return;
    if (tagged[i] || (jobFeature && !streaming[i]) || (burst.burstOf[i] >= 0 && noUser[i] && !streaming[i])) eligibleIdx.push(i);
  });
  const alreadyBatch = calls.filter((c) => c.batch).length;
  if (alreadyBatch) reasons.push(`${alreadyBatch} calls already use the batch API`);
  if (!priced) reasons.push(`no batch price for ${first.model ?? "this model"} (${first.provider})`);
  const stream = streaming.filter(Boolean).length;
  if (stream) reasons.push(`${stream} calls stream their answer (someone is reading it live)`);
  const withUser = noUser.filter((x) => !x).length;
  if (withUser && !jobFeature && tagged.every((t) => !t)) reasons.push(`${withUser} calls carry an end user or session`);
  if (burst.stats.shareInBursts < 0.5 && !jobFeature && tagged.every((t) => !t)) reasons.push(`only ${(burst.stats.shareInBursts * 100).toFixed(0)}% of calls arrive in bursts`);

  const eligibleCalls = eligibleIdx.map((i) => calls[i]);
  const m = periodTotal(
    eligibleIdx.map((i) => ({ time: times[i], value: savings[i].usd })),
    { from: window.from.getTime(), to: window.to.getTime() },
    { seed: opts.seed ?? 1 },
  );
  const taggedCount = tagged.filter(Boolean).length;
  const latencies = calls.map((c) => c.latencyMs).filter((v): v is number => v !== null);
  const byTag = eligibleIdx.filter((i) => tagged[i] || jobFeature).length;
  const confidence: BatchGroup["confidence"] = byTag >= eligibleIdx.length * 0.8 && eligibleIdx.length > 0 ? "high" : burst.stats.shareInBursts >= 0.8 ? "medium" : "low";
  return {
    eligibleCalls,
    group: {
      feature: first.feature,
      provider: first.provider,
      model: first.model ?? "",
      calls: calls.length,
      alreadyBatch,
      eligible: eligibleIdx.length,
      signals: { tagged: taggedCount, jobFeature, noUserShare: noUser.filter(Boolean).length / calls.length, streamingShare: stream / calls.length, burst: burst.stats },
      reasons,
      latencyMs: { p50: quantile(latencies, 0.5), p95: quantile(latencies, 0.95) },
      hourHistogram: hourHistogram(times),
      eligibleHourHistogram: hourHistogram(eligibleIdx.map((i) => times[i])),
      days: dayHistogram(times, window.from.getTime(), window.to.getTime()),
      batchPrice: priced?.source ?? "none",
      monthlyCostUsd: perMonth(
        calls.reduce((s, c) => s + (c.costUsd ?? 0), 0),
        window.from,
        window.to,
      ),
      eligibleMonthlyCostUsd: perMonth(
        eligibleCalls.reduce((s, c) => s + (c.costUsd ?? 0), 0),
        window.from,
        window.to,
      ),
      monthly: { usd: m.point, low: Math.max(0, m.low), high: m.high },
      confidence,
    },
  };
}

export function analyseBatch(calls: AnalysisCall[], opts: BatchOptions = {}): BatchReport {
  const times = calls.map((c) => c.timestamp.getTime());
  // reduce, not Math.min(...times): a spread of a million arguments overflows the stack.
  const window = opts.window ?? { from: new Date(times.length ? times.reduce((a, b) => Math.min(a, b)) : 0), to: new Date(times.length ? times.reduce((a, b) => Math.max(a, b)) : 0) };
  const byKey = new Map<string, AnalysisCall[]>();
  for (const c of calls) {
    const key = `${c.feature ?? ""}\u0000${c.provider}\u0000${c.model ?? ""}`;
    let arr = byKey.get(key);
    if (!arr) byKey.set(key, (arr = []));
    arr.push(c);
  }
  const groups: BatchGroup[] = [];
  const findings: LeverFinding[] = [];
  for (const key of [...byKey.keys()].sort()) {
    const list = byKey.get(key)!.sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime() || (a.id < b.id ? -1 : 1));
    const { group, eligibleCalls } = analyseGroup(list, window, opts);
    groups.push(group);
    if (group.eligible < (opts.minCalls ?? 20) || group.monthly.usd <= 0) continue;
    const affected = group.eligibleMonthlyCostUsd;
    const share = (v: number) => (affected > 0 ? Math.min(1, Math.max(0, v / affected)) : 0);
    const anthropic = group.provider === "anthropic";
    findings.push({
      lever: "batch",
      title: `Send ${group.feature ?? "these"} calls through the ${anthropic ? "Message Batches" : "Batch"} API (${group.model})`,
      scope: { feature: group.feature, model: group.model },
      callIds: eligibleCalls.map((c) => c.id),
      affectedMonthlyCostUsd: affected,
      savingsShare: { point: share(group.monthly.usd), low: share(group.monthly.low), high: share(group.monthly.high) },
      monthly: group.monthly,
      confidence: group.confidence,
      evidence: {
        kind: "batch",
        calls: group.calls,
        eligible: group.eligible,
        signals: group.signals,
        reasons: group.reasons,
        hourHistogram: group.hourHistogram,
        eligibleHourHistogram: group.eligibleHourHistogram,
        days: group.days,
        latencyMs: group.latencyMs,
        batchPrice: group.batchPrice,
      },
      howToApply: {
        summary: `These calls arrive ${group.signals.burst.shareInBursts >= 0.5 ? `in ${group.signals.burst.bursts} bursts` : "from background work"} with no one waiting: queue them and submit them as a batch (results within 24 hours${
          group.batchPrice === "provider_discount" ? ", 50% provider discount" : ", batch prices from the price table"
        }).`,
        snippet: anthropic ? snippetAnthropic : snippetOpenAI,
      },
    });
  }
  findings.sort((a, b) => b.monthly.usd - a.monthly.usd || (a.title < b.title ? -1 : 1));
  return {
    window: { from: window.from.toISOString(), to: window.to.toISOString(), days: Math.max((window.to.getTime() - window.from.getTime()) / 86_400_000, 1) },
    calls: calls.length,
    groups,
    findings,
  };
}
