// Batch eligibility on generated arrival patterns: nightly job bursts vs interactive traffic. Savings
// are checked against figures computed by hand from the price snapshot, written as literals:
//   gpt-4o-mini: input 1.5e-7 -> batch 7.5e-8, output 6e-7 -> batch 3e-7 (input/output_cost_per_token_batches)
//   claude-sonnet-4-5: no *_batches fields -> the provider's 50% batch discount: input 3e-6 -> 1.5e-6, output 1.5e-5 -> 7.5e-6
import { describe, expect, it } from "vitest";
import { priceCall } from "../../pricing/cost";
import { seededRandom, type Random } from "../../stats/random";
import type { AnalysisCall } from "../types";
import { analyseBatch, taggedBackground } from "./analyse";
import { detectBursts, hourHistogram } from "./arrivals";

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 2); // a Monday, 00:00 UTC
const window = { from: new Date(T0), to: new Date(T0 + 7 * DAY) };

type Shape = { feature: string; provider?: string; model?: string; user?: string | null; session?: string | null; stream?: boolean; tags?: Record<string, string>; batch?: boolean };

let seq = 0;
function call(t: number, s: Shape, rnd: Random): AnalysisCall {
  const provider = s.provider ?? "openai";
  const model = s.model ?? "gpt-4o-mini";
  const inputTokens = 400 + Math.floor(rnd() * 500);
  const outputTokens = 100 + Math.floor(rnd() * 200);
  const cost = priceCall({ inputTokens, outputTokens, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 }, { provider, model, batch: s.batch });
  return {
    id: `k${seq++}`,
    timestamp: new Date(Math.round(t)),
    provider,
    endpoint: provider === "anthropic" ? "/v1/messages" : "/v1/chat/completions",
    model,
    feature: s.feature,
    endUser: s.user ?? null,
    session: s.session ?? null,
    tags: s.tags ?? {},
    request: { model, messages: [{ role: "user", content: "x" }], ...(s.stream ? { stream: true } : {}) },
    response: null,
    outputText: "y",
    status: 200,
    inputTokens,
    outputTokens,
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    costUsd: cost?.costUsd ?? null,
    latencyMs: 800 + Math.floor(rnd() * 4000),
    batch: s.batch ?? false,
  };
}

/** A job that fires `perNight` calls back to back (0.5-2.5 s apart) starting at 02:00 every night. */
function nightly(shape: Shape, perNight: number, seed: string): AnalysisCall[] {
  const rnd = seededRandom(seed);
  const out: AnalysisCall[] = [];
  for (let d = 0; d < 7; d++) {
    let t = T0 + d * DAY + 2 * 3_600_000;
    for (let i = 0; i < perNight; i++) {
      out.push(call(t, shape, rnd));
      t += 500 + rnd() * 2000;
    }
  }
  return out;
}

/** Poisson arrivals between `fromHour` and `toHour` every day, mean gap `meanGapSec`. */
function poisson(shape: (i: number) => Shape, meanGapSec: number, fromHour: number, toHour: number, seed: string): AnalysisCall[] {
  const rnd = seededRandom(seed);
  const out: AnalysisCall[] = [];
  for (let d = 0; d < 7; d++) {
    let t = T0 + d * DAY + fromHour * 3_600_000;
    const end = T0 + d * DAY + toHour * 3_600_000;
    for (;;) {
      t += -Math.log(1 - rnd()) * meanGapSec * 1000;
      if (t >= end) break;
      out.push(call(t, shape(out.length), rnd));
    }
  }
  return out;
}

describe("arrival patterns", () => {
  it("finds nightly bursts and no bursts in Poisson traffic, even busy traffic", () => {
    const job = nightly({ feature: "summaries" }, 300, "job");
    const b = detectBursts(
      job.map((c) => c.timestamp.getTime()),
      { windowMs: 7 * DAY },
    );
    expect(b.stats.bursts).toBe(7);
    expect(b.stats.shareInBursts).toBe(1);
    expect(b.stats.medianSize).toBe(300);
    expect(b.stats.medianGapInBurstSec).toBeGreaterThan(0.5);
    expect(b.stats.medianGapInBurstSec).toBeLessThan(2.5);
    expect(b.stats.gapCv).toBeGreaterThan(5);
    // A busy API: Poisson arrivals every 2 s on average, day and night, for a week.
    const rnd = seededRandom("busy");
    const busy: number[] = [];
    for (let t = T0 - Math.log(1 - rnd()) * 2000; t < T0 + 7 * DAY; t += -Math.log(1 - rnd()) * 2000) busy.push(t);
    const p = detectBursts(busy, { windowMs: 7 * DAY });
    expect(busy.length).toBeGreaterThan(250_000);
    expect(p.stats.bursts).toBe(0);
    expect(p.stats.gapCv).toBeGreaterThan(0.9);
    expect(p.stats.gapCv).toBeLessThan(1.1);
    expect(hourHistogram(job.map((c) => c.timestamp.getTime()))[2]).toBe(7 * 300);
  });

  it("reads background tags", () => {
    expect(taggedBackground({ priority: "background" })).toBe(true);
    expect(taggedBackground({ batch: "true" })).toBe(true);
    expect(taggedBackground({ priority: "high", user: "u1" })).toBe(false);
  });
});

describe("analyseBatch", () => {
  const job = nightly({ feature: "summaries" }, 300, "job");
  const interactive = poisson((i) => ({ feature: "assistant", model: "gpt-4o", user: `u${i % 40}`, session: `s${Math.floor(i / 6)}`, stream: true }), 120, 8, 20, "chat");
  const tagged = poisson(() => ({ feature: "crm-sync", tags: { priority: "background" } }), 600, 0, 24, "tagged");
  const claude = nightly({ feature: "contract-review", provider: "anthropic", model: "claude-sonnet-4-5" }, 100, "claude");
  const mistral = nightly({ feature: "translate", provider: "mistral", model: "mistral/mistral-large-latest" }, 100, "mistral");
  const already = nightly({ feature: "scores", batch: true }, 100, "already");
  const report = analyseBatch([...job, ...interactive, ...tagged, ...claude, ...mistral, ...already], { window });
  const group = (feature: string) => report.groups.find((g) => g.feature === feature)!;

  it("moves the nightly job to the batch API at the table's batch prices (hand-computed)", () => {
    const g = group("summaries");
    expect(g.eligible).toBe(job.length);
    expect(g.batchPrice).toBe("table");
    expect(g.confidence).toBe("medium");
    const perWindow = job.reduce((s, c) => s + c.inputTokens * (1.5e-7 - 7.5e-8) + c.outputTokens * (6e-7 - 3e-7), 0);
    expect(g.monthly.usd).toBeCloseTo((perWindow * 30) / 7, 12);
    expect(g.monthly.low).toBeLessThanOrEqual(g.monthly.usd);
    expect(g.monthly.high).toBeGreaterThanOrEqual(g.monthly.usd);
    expect(g.hourHistogram[2]).toBe(job.length);
    expect(g.days).toHaveLength(8);
    const f = report.findings.find((x) => x.scope.feature === "summaries")!;
    expect(f.lever).toBe("batch");
    expect(f.callIds).toHaveLength(job.length);
    expect(f.savingsShare.point).toBeCloseTo(0.5, 6);
    expect((f.evidence as { signals: { burst: { bursts: number } } }).signals.burst.bursts).toBe(7);
  });

  it("leaves interactive traffic alone and says why", () => {
    const g = group("assistant");
    expect(g.eligible).toBe(0);
    expect(g.monthly.usd).toBe(0);
    expect(g.reasons.join(" ")).toMatch(/stream/);
    expect(g.reasons.join(" ")).toMatch(/end user or session/);
    expect(report.findings.some((f) => f.scope.feature === "assistant")).toBe(false);
  });

  it("trusts background tags without bursts (high confidence)", () => {
    const g = group("crm-sync");
    expect(g.signals.burst.bursts).toBe(0);
    expect(g.eligible).toBe(tagged.length);
    expect(g.confidence).toBe("high");
  });

  it("uses the provider's 50% batch discount where the table has no batch price, and skips models without one", () => {
    const c = group("contract-review");
    expect(c.batchPrice).toBe("provider_discount");
    const perWindow = claude.reduce((s, x) => s + x.inputTokens * (3e-6 - 1.5e-6) + x.outputTokens * (1.5e-5 - 7.5e-6), 0);
    expect(c.monthly.usd).toBeCloseTo((perWindow * 30) / 7, 12);
    const m = group("translate");
    expect(m.eligible).toBe(0);
    expect(m.batchPrice).toBe("none");
    expect(m.reasons.join(" ")).toMatch(/no batch price/);
    const a = group("scores");
    expect(a.alreadyBatch).toBe(100 * 7);
    expect(a.eligible).toBe(0);
  });

  it("is deterministic", () => {
    expect(JSON.stringify(analyseBatch([...job, ...tagged], { window }))).toBe(JSON.stringify(analyseBatch([...job, ...tagged], { window })));
  });
});
