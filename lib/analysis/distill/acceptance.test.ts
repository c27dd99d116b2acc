// Acceptance (issue 9) on real data: Banking77 (past = train split, future = test split), Bitext
// (free-text replies vs intents in free-text variants) and arena_hard (open prompts).
import { beforeAll, describe, expect, it } from "vitest";
import { normaliseLabel } from "../replay/answers";
import { arenaHardPrompts, banking77Calls, bitextReplyCalls, bitextRows, chatCalls } from "../modelfit/datasets";
import { analyseDistill, type DistillReport } from "./analyse";
import { predictDistilled, scoreText, type DistilledArtifact } from "./artifact";

describe("banking77: train on the past, measure on the future", () => {
  const { train, test } = banking77Calls();
  let report: DistillReport;
  let artifact: DistilledArtifact;
  beforeAll(async () => {
    const out = await analyseDistill([...train, ...test], { testFrom: test[0].timestamp });
    report = out.report;
    artifact = [...out.artifacts.values()][0];
  }, 300_000);

  it("recommends an operating point whose intervals contain an independent count on the future split", () => {
    const g = report.groups[0];
    expect(g.eligible).toBe(true);
    expect(g.labels).toBe(77);
    const ev = g.evaluation!;
    expect(ev.past.calls).toBe(train.length);
    expect(ev.future.calls).toBe(test.length);
    expect(ev.recommended).toBe(true);
    // Count independently: the exported artifact answers each future request, compared with the LLM's answer.
    let answered = 0;
    let agreed = 0;
    for (const call of test) {
      const p = predictDistilled(artifact, call.request);
      if (!p) continue;
      answered++;
      if (p.label === normaliseLabel(call.outputText!)) agreed++;
    }
    const share = answered / test.length;
    const agreement = agreed / answered;
    const at = ev.atThreshold!;
    expect(share).toBeGreaterThanOrEqual(at.share.low);
    expect(share).toBeLessThanOrEqual(at.share.high);
    expect(agreement).toBeGreaterThanOrEqual(at.agreement.low);
    expect(agreement).toBeLessThanOrEqual(at.agreement.high);
    expect(agreement).toBeGreaterThanOrEqual(report.agreementTarget - 0.01);
    // Most future calls are answerable locally at the 95% target.
    expect(share).toBeGreaterThan(0.6);
    const f = report.findings[0];
    expect(f.lever).toBe("distill");
    expect(f.monthly.usd).toBeCloseTo(g.monthlyCostUsd * at.share.point * (1 - report.auditShare), 8);
    expect(f.monthly.low).toBeLessThan(f.monthly.usd);
  });

  it("calibrates confidences and guards against out-of-distribution calls", () => {
    const ev = report.groups[0].evaluation!;
    expect(ev.calibration.eceAfter).toBeLessThan(ev.calibration.eceBefore);
    // Higher thresholds answer fewer calls with higher agreement (the curve is monotone within noise).
    const c = ev.curve;
    expect(c[0].share.point).toBeGreaterThan(c[c.length - 1].share.point);
    expect(c[c.length - 1].agreement.point).toBeGreaterThan(c[0].agreement.point);
    // Open prompts from arena_hard are unlike any banking query: the guard forwards (nearly) all of them.
    const arena = arenaHardPrompts().map((p) => scoreText(artifact, p.prompt));
    expect(arena.filter((s) => s.ood).length / arena.length).toBeGreaterThan(0.9);
    expect(ev.ood.flaggedShare).toBeLessThan(0.1);
  });
});

describe("eligibility", () => {
  it("declares bitext free-text replies ineligible, with the reason", async () => {
    const { report, artifacts } = await analyseDistill(bitextReplyCalls(), {});
    expect(report.groups).toHaveLength(1);
    expect(report.groups[0].eligible).toBe(false);
    expect(report.groups[0].reason).toMatch(/not a classification task \(open generation/);
    expect(artifacts.size).toBe(0);
    expect(report.findings).toHaveLength(0);
  });

  it("normalises bitext intents written in free-text variants into 27 labels and trains on them", async () => {
    const styles = [(s: string) => s, (s: string) => s.replace(/_/g, " "), (s: string) => `Intent: ${s}.`, (s: string) => s.toUpperCase()];
    const calls = chatCalls(
      bitextRows().map((r, i) => ({ system: "Classify the customer's request into one intent.", user: r.instruction, answer: styles[i % 4](r.intent) })),
      { model: "gpt-4o", feature: "intent" },
    );
    const { report } = await analyseDistill(calls, {});
    const g = report.groups[0];
    expect(g.eligible).toBe(true);
    expect(g.labels).toBe(27);
    expect(g.evaluation!.accuracy).toBeGreaterThan(0.9);
  }, 120_000);

  it("declares arena_hard open prompts ineligible", async () => {
    const calls = chatCalls(
      arenaHardPrompts().map((p) => ({ user: p.prompt, answer: "" })),
      { model: "gpt-4o", feature: "chat" },
    ).map((c) => ({ ...c, outputText: null, response: null }));
    const { report } = await analyseDistill(calls, {});
    expect(report.groups[0].eligible).toBe(false);
    expect(report.groups[0].reason).toMatch(/not a classification task \(open generation/);
  });
});
