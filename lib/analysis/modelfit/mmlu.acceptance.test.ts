// Acceptance (issue 8): the harness against a loopback fake provider answering from the RouteLLM MMLU
// record. Every subject is one feature; the candidate is the "cheap" model, priced by an override.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createReplayClient } from "../replay/client";
import { type FakeProvider, startFakeProvider } from "../replay/fake-provider";
import { testModelFit, type ModelFitOptions, type ModelFitReport } from "./analyse";
import { MMLU_CHEAP, mmluWorld } from "./mmlu-fake";

const world = mmluWorld();
let fake: FakeProvider;
const cheapOverride = { [MMLU_CHEAP]: { litellm_provider: "mistral", mode: "chat", input_cost_per_token: 7e-7, output_cost_per_token: 7e-7 } };

beforeAll(async () => {
  fake = await startFakeProvider({ answer: (r) => world.answerFor(r.model, r.lastUserText) ?? { status: 404, message: "unknown prompt" } });
});
afterAll(async () => fake?.close());

async function run(target: number, extra: Partial<ModelFitOptions> = {}, budgetUsd = 50): Promise<ModelFitReport> {
  const client = createReplayClient({ provider: "openai", baseUrl: fake.openaiBaseUrl, apiKey: "sk-fake" });
  return testModelFit(
    world.loggedCalls(),
    { agreementTarget: target, sampleSize: 200, candidatesPerGroup: 1, candidates: { onlyModels: [MMLU_CHEAP], overrides: cheapOverride }, seed: 1, ...extra },
    { clientFor: (p) => (p === "mistral" ? client : null), budgetUsd, concurrency: 8 },
  );
}

describe("model fit on MMLU (Mixtral vs GPT-4 record)", () => {
  let strict: ModelFitReport;
  let lenient: ModelFitReport;
  beforeAll(async () => {
    strict = await run(0.95);
    lenient = await run(0.75);
  }, 300_000);

  it("profiles every subject as classification and tests the cheap model on it", () => {
    expect(strict.groups).toHaveLength(57);
    for (const g of strict.groups) {
      expect(g.profile.kind).toBe("classification");
      expect(g.candidates[0].model).toBe(MMLU_CHEAP);
      expect(g.candidates[0].test!.compared).toBe(Math.min(200, g.calls));
    }
    // 57 tests: each decision interval is Wilson at 1 - 0.05/57.
    expect(strict.decisionConfidence).toBeCloseTo(1 - 0.05 / 57, 10);
  });

  it("covers the true agreement within the interval on every subject with >= 100 items", () => {
    const misses95: string[] = [];
    for (const g of strict.groups) {
      const subject = g.feature!.replace(/^mmlu-/, "");
      const truth = world.trueAgreement(subject);
      const t = g.candidates[0].test!;
      expect(g.calls).toBeGreaterThanOrEqual(100);
      expect(t.decisionInterval.low, subject).toBeLessThanOrEqual(truth);
      expect(t.decisionInterval.high, subject).toBeGreaterThanOrEqual(truth);
      if (truth < t.agreement.low || truth > t.agreement.high) misses95.push(subject);
    }
    // The per-test 95% intervals are reported too; ~5% of them may miss by design (that is why decisions use the family-wise ones).
    expect(misses95.length).toBeLessThanOrEqual(6);
  });

  it("recommends only where the true agreement clears the target", () => {
    // At 95% no subject's true agreement clears the target (the best, government & politics, is ~94.8%).
    expect(strict.groups.filter((g) => g.candidates[0].status === "recommended")).toHaveLength(0);
    expect(strict.findings.filter((f) => f.monthly.usd > 0)).toHaveLength(0);
    const doesNotFit = strict.groups.filter((g) => g.candidates[0].status === "does_not_fit");
    expect(doesNotFit.length).toBeGreaterThan(40);
    for (const g of doesNotFit) expect(g.candidates[0].test!.disagreements.length).toBeGreaterThan(0);

    const recommended = lenient.groups.filter((g) => g.candidates[0].status === "recommended");
    expect(recommended.length).toBeGreaterThan(0);
    for (const g of recommended) {
      const truth = world.trueAgreement(g.feature!.replace(/^mmlu-/, ""));
      expect(truth, g.feature!).toBeGreaterThanOrEqual(0.75);
      const f = lenient.findings.find((x) => x.scope.feature === g.feature && x.monthly.usd > 0)!;
      expect(f.lever).toBe("rightsize");
      // Conservative: savings never exceed (agreement lower bound x current cost - candidate cost).
      const t = g.candidates[0].test!;
      expect(f.monthly.usd).toBeCloseTo(Math.max(0, g.monthlyCostUsd * t.decisionInterval.low - g.monthlyCostUsd * t.costRatio.point), 6);
      expect(f.monthly.low).toBeLessThanOrEqual(f.monthly.usd);
      expect(f.monthly.high).toBeGreaterThanOrEqual(f.monthly.usd);
    }
    // Subjects whose truth is below the target are never recommended (checked above); some between are undecided.
    expect(lenient.groups.some((g) => g.candidates[0].status === "not_enough_evidence")).toBe(true);
  });

  it("the budget cap stops the run before it spends more than its cap", async () => {
    // At $5 per million tokens (still half the flagship's input price) a replay's worst case is ~$0.003
    // (~300 input + 256 output tokens reserved): a $0.25 cap covers well under 200 of the 9,183 planned replays.
    const pricey = { [MMLU_CHEAP]: { ...cheapOverride[MMLU_CHEAP], input_cost_per_token: 5e-6, output_cost_per_token: 5e-6 } };
    const before = fake.requests.length;
    const report = await run(0.95, { candidates: { onlyModels: [MMLU_CHEAP], overrides: pricey } }, 0.25);
    const sent = fake.requests.length - before;
    expect(report.replaySpentUsd).toBeLessThanOrEqual(0.25);
    // It stopped because the cap bit, not before: the next replay's worst case would not have fitted.
    expect(report.replaySpentUsd).toBeGreaterThan(0.25 - 0.01);
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThan(200);
    // The largest groups are tested first; once the cap is reached the rest are not tested, and say why.
    const notTested = report.groups.filter((g) => g.candidates[0].status === "not_tested");
    expect(notTested.length).toBeGreaterThan(50);
    for (const g of notTested) expect(g.candidates[0].reason).toMatch(/budget cap/);
    expect(report.groups[0].calls).toBe(Math.max(...report.groups.map((g) => g.calls)));
  });
});
