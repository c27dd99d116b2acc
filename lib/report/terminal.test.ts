import { describe, expect, it } from "vitest";
import { evidenceLine, monthlyText, renderTerminalSummary, usd } from "./terminal";
import type { LeverSection, ReportFinding, SpendlensReport } from "./types";

const finding = (over: Partial<ReportFinding>): ReportFinding => ({
  lever: "cache",
  title: "Semantic cache for classify",
  scope: { feature: "classify", model: "gpt-4o", promptHash: null },
  calls: 10,
  exampleCallIds: [],
  affectedMonthlyCostUsd: 100,
  savingsShare: { point: 0.4, low: 0.3, high: 0.5 },
  monthly: { usd: 40, low: 30, high: 50 },
  confidence: "high",
  evidence: {},
  howToApply: { summary: "x", snippet: null, settings: null },
  ...over,
});

const lever = (over: Partial<LeverSection>): LeverSection => ({
  lever: "cache",
  label: "Cache by meaning",
  analysis: "cache",
  status: "ok",
  reason: null,
  monthly: { usd: 0, low: 0, high: 0 },
  findings: [],
  detail: null,
  ...over,
});

describe("terminal summary", () => {
  it("formats money with sensible precision and says 'up to' for unmeasured potential", () => {
    expect(usd(1234.5)).toBe("$1,235");
    expect(usd(12.345)).toBe("$12.35");
    expect(usd(0.01234)).toBe("$0.012");
    expect(monthlyText({ usd: 5, low: 4, high: 6 })).toBe("$5.00/month [$4.00 – $6.00]");
    expect(monthlyText({ usd: 0, low: 0, high: 44.9 })).toBe("up to $44.90/month (not counted until measured)");
  });

  it("puts the evidence that backs a finding in one line", () => {
    const cache = finding({
      evidence: {
        threshold: 0.88,
        hits: 83,
        eligible: 200,
        hitRate: { point: 0.415, low: 0.35, high: 0.48 },
        wrongHitUpper: 0.009,
        tolerance: 0.01,
        clusters: [{ entry: { prompt: "How do I get a card?" }, examples: [{ prompt: "how to get a card" }] }],
      },
    });
    expect(evidenceLine(cache)).toBe('cosine ≥ 0.88 · 83 of 200 calls hit (41.5% [35.0% – 48.0%]) · wrong answers ≤ 0.9% (tolerance 1.0%) · e.g. "how to get a card" answered by "How do I get a card?"');
    const batch = finding({ lever: "batch", evidence: { calls: 4000, eligible: 3946, signals: { jobFeature: true, noUserShare: 1, burst: { bursts: 32, shareInBursts: 1 } } } });
    expect(evidenceLine(batch)).toBe("3,946 of 4,000 calls eligible · 32 bursts (100% of calls) · feature named like a job · 100% without end user or session");
  });

  it("lists every lever, says why one has no figures, and clips to the width", () => {
    const report = {
      input: { files: [{ name: "a.jsonl" }], calls: 10, badLines: 1, duplicates: 0, unpricedCalls: 0, redactions: {} },
      window: { from: "2026-10-01T00:00:00.000Z", to: "2026-10-31T00:00:00.000Z", days: 30 },
      spend: { windowUsd: 100, monthlyUsd: 100, byFeature: [{ key: "classify", calls: 10, costUsd: 100, monthlyUsd: 100 }], byModel: [], byDay: [] },
      levers: [
        lever({ lever: "rightsize", label: "Right-size the model", status: "not_available", reason: "the modelfit analysis was not run" }),
        lever({ monthly: { usd: 40, low: 30, high: 50 }, findings: [finding({ title: "A very long title ".repeat(10) })] }),
      ],
      combined: { currentMonthlyUsd: 100, projectedMonthlyUsd: 60, saved: { usd: 40, low: 30, high: 50 }, steps: [{ lever: "cache", saved: { usd: 40, low: 30, high: 50 } }] },
      settings: { replay: { enabled: false, spentUsd: 0, budgetUsd: null } },
    } as unknown as SpendlensReport;
    const text = renderTerminalSummary(report, { width: 70 });
    expect(text).toContain("Right-size the model: not available — the modelfit analysis was not run");
    expect(text).toContain("Cache by meaning: $40.00/month [$30.00 – $50.00] · 1 finding");
    expect(text).toContain("Combined, without double counting: $40.00/month [$30.00 – $50.00] of $100 → $60.00/month");
    expect(text).toContain("10 calls from 2026-10-01 to 2026-10-31 (30.0 days); 1 bad line");
    for (const line of text.split("\n")) expect(line.length).toBeLessThanOrEqual(110);
    expect(text.split("\n").find((l) => l.startsWith("  1. "))!.length).toBeLessThanOrEqual(70);
    expect(text).not.toContain("\x1b[");
  });
});
