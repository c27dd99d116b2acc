// npm run bench -- modelfit — the model-fit harness on the RouteLLM MMLU record: 57 subjects logged on
// the "flagship" (GPT-4-1106's recorded correctness), replayed on the "cheap" model (Mixtral's) through
// a loopback OpenAI-compatible fake via the real openai SDK. Reports interval coverage of the true
// per-subject agreement, decisions at two targets, replay throughput and the planning time on Banking77.
import { performance } from "node:perf_hooks";
import { testModelFit, analyseModelFit, type ModelFitReport } from "../../lib/analysis/modelfit/analyse";
import { banking77Calls } from "../../lib/analysis/modelfit/datasets";
import { MMLU_CHEAP, mmluWorld } from "../../lib/analysis/modelfit/mmlu-fake";
import { createReplayClient } from "../../lib/analysis/replay/client";
import { startFakeProvider } from "../../lib/analysis/replay/fake-provider";

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

export async function run(): Promise<string> {
  const world = mmluWorld();
  const fake = await startFakeProvider({ answer: (r) => world.answerFor(r.model, r.lastUserText) ?? { status: 404 } });
  const client = createReplayClient({ provider: "openai", baseUrl: fake.openaiBaseUrl, apiKey: "sk-bench" });
  const overrides = { [MMLU_CHEAP]: { litellm_provider: "mistral", mode: "chat", input_cost_per_token: 7e-7, output_cost_per_token: 7e-7 } };
  const calls = world.loggedCalls();
  const runAt = async (target: number): Promise<{ report: ModelFitReport; seconds: number; replays: number }> => {
    const before = fake.requests.length;
    const t0 = performance.now();
    const report = await testModelFit(
      calls,
      { agreementTarget: target, sampleSize: 200, candidatesPerGroup: 1, candidates: { onlyModels: [MMLU_CHEAP], overrides }, seed: 1 },
      { clientFor: (p) => (p === "mistral" ? client : null), budgetUsd: 50, concurrency: 8 },
    );
    return { report, seconds: (performance.now() - t0) / 1000, replays: fake.requests.length - before };
  };
  const strict = await runAt(0.95);
  const lenient = await runAt(0.75);
  await fake.close();

  let coveredFw = 0;
  let covered95 = 0;
  let width = 0;
  const rows: string[] = [];
  for (const g of strict.report.groups) {
    const subject = g.feature!.replace(/^mmlu-/, "");
    const truth = world.trueAgreement(subject);
    const t = g.candidates[0].test!;
    if (t.decisionInterval.low <= truth && truth <= t.decisionInterval.high) coveredFw++;
    if (t.agreement.low <= truth && truth <= t.agreement.high) covered95++;
    width += t.decisionInterval.high - t.decisionInterval.low;
    const lenientStatus = lenient.report.groups.find((x) => x.key === g.key)!.candidates[0].status;
    rows.push(`| ${subject} | ${g.calls} | ${t.compared} | ${pct(truth)} | ${pct(t.agreement.point)} | ${pct(t.agreement.low)}–${pct(t.agreement.high)} | ${pct(t.decisionInterval.low)}–${pct(t.decisionInterval.high)} | ${g.candidates[0].status} | ${lenientStatus} |`);
  }
  const n = strict.report.groups.length;
  const recLenient = lenient.report.groups.filter((g) => g.candidates[0].status === "recommended");
  const wrongRec = recLenient.filter((g) => world.trueAgreement(g.feature!.replace(/^mmlu-/, "")) < 0.75);
  const eligibleLenient = lenient.report.groups.filter((g) => world.trueAgreement(g.feature!.replace(/^mmlu-/, "")) >= 0.75).length;

  const bank = [...banking77Calls().train, ...banking77Calls().test];
  const t0 = performance.now();
  const plan = analyseModelFit(bank);
  const planSeconds = (performance.now() - t0) / 1000;

  return `## Model fit (lib/analysis/modelfit + replay): MMLU acceptance figures

Logged calls: all 14,042 RouteLLM MMLU prompts as one feature per subject (57 groups, 100–1,534 items), answered by the "flagship" as GPT-4-1106 was recorded (right/wrong; a wrong answer is one of the three other letters, fixed per model and prompt). Candidate: the "cheap" model answering as Mixtral-8x7B was recorded. Each group replays a stratified sample of min(200, items) through the real \`openai\` SDK against a loopback fake (concurrency 8). True agreement = the cheap model's agreement with the logged answers over every item of the subject. Decision intervals are Wilson at 1 − 0.05/57 (family-wise over the run's 57 tests); the per-test Wilson 95% intervals are reported as well.

| figure | measured |
|---|---|
| subjects whose decision interval covers the true agreement | **${coveredFw}/${n}** |
| subjects whose per-test 95% interval covers it | ${covered95}/${n} (nominal ~95% each) |
| mean decision-interval width | ${pct(width / n)} |
| recommended at target 95% (no subject's true agreement reaches 95%) | ${strict.report.groups.filter((g) => g.candidates[0].status === "recommended").length} |
| does not fit / not enough evidence at 95% | ${strict.report.groups.filter((g) => g.candidates[0].status === "does_not_fit").length} / ${strict.report.groups.filter((g) => g.candidates[0].status === "not_enough_evidence").length} |
| recommended at target 75% (of ${eligibleLenient} subjects whose truth is >= 75%) | ${recLenient.length}, of which wrong: **${wrongRec.length}** |
| replays per run / wall time / throughput | ${strict.replays} / ${strict.seconds.toFixed(1)} s / ${(strict.replays / strict.seconds).toFixed(0)} replays/s |
| planning (profile + candidates + samples) on Banking77, 13,083 calls | ${planSeconds.toFixed(2)} s (${plan.groups.length} group, ${plan.groups[0]?.candidates.length ?? 0} candidates) |

| goal | verdict |
|---|---|
| decision interval covers the truth on every subject with >= 100 items | **${coveredFw === n ? "met" : "not met"}** |
| recommends only where the true agreement clears the target | **${wrongRec.length === 0 ? "met" : "not met"}** |

<details><summary>Per subject (target 95% / 75%)</summary>

| subject | items | compared | true | estimate | 95% interval | decision interval | at 95% | at 75% |
|---|---|---|---|---|---|---|---|---|
${rows.join("\n")}

</details>`;
}
