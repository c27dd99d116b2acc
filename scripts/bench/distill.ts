// npm run bench -- distill — the distillation lever on Banking77 (past = train split, future = test
// split, each shuffled with a fixed seed): training time, the recommended operating point, the issue's
// reference point (confidence >= 0.68, and the point at 98.7% agreement), a TF-IDF nearest-neighbour
// cache at the same correctness for comparison, artifact size and serving latency.
import { performance } from "node:perf_hooks";
import { analyseDistill } from "../../lib/analysis/distill/analyse";
import { predictDistilled, scoreText } from "../../lib/analysis/distill/artifact";
import { fitVocabulary, vectorise } from "../../lib/analysis/distill/features";
import { arenaHardPrompts, banking77Calls, banking77Rows } from "../../lib/analysis/modelfit/datasets";
import { normaliseLabel } from "../../lib/analysis/replay/answers";

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const iv = (x: { point: number; low: number; high: number }) => `${pct(x.point)} (${pct(x.low)}–${pct(x.high)})`;

/** Nearest training query by TF-IDF cosine (inverted index), for each test query. */
function nearestNeighbourCache(): { sim: number; correct: boolean }[] {
  const train = banking77Rows("train");
  const test = banking77Rows("test");
  const vocab = fitVocabulary(train.map((r) => r.text));
  const postings: { doc: number; w: number }[][] = Array.from({ length: vocab.terms.length }, () => []);
  train.forEach((r, doc) => {
    const v = vectorise(r.text, vocab);
    for (let k = 0; k < v.indices.length; k++) postings[v.indices[k]].push({ doc, w: v.values[k] });
  });
  const acc = new Float64Array(train.length);
  return test.map((r) => {
    acc.fill(0);
    const v = vectorise(r.text, vocab);
    for (let k = 0; k < v.indices.length; k++) for (const p of postings[v.indices[k]]) acc[p.doc] += p.w * v.values[k];
    let best = 0;
    for (let d = 1; d < acc.length; d++) if (acc[d] > acc[best]) best = d;
    return { sim: acc[best], correct: train[best].label === r.label };
  });
}

/** Largest share answered at >= `precision` when answering the most similar/confident first. */
function shareAtPrecision(items: { score: number; correct: boolean }[], precision: number): { share: number; threshold: number } {
  const sorted = items.slice().sort((a, b) => b.score - a.score);
  let ok = 0;
  let best = { share: 0, threshold: 1 };
  sorted.forEach((x, k) => {
    if (x.correct) ok++;
    if (ok / (k + 1) >= precision) best = { share: (k + 1) / sorted.length, threshold: x.score };
  });
  return best;
}

export async function run(): Promise<string> {
  const { train, test } = banking77Calls();
  const t0 = performance.now();
  const { report, artifacts } = await analyseDistill([...train, ...test], { testFrom: test[0].timestamp });
  const seconds = (performance.now() - t0) / 1000;
  const g = report.groups[0];
  const ev = g.evaluation!;
  const artifact = [...artifacts.values()][0];
  const at = ev.atThreshold!;
  const point68 = ev.curve.find((c) => c.threshold === 0.68)!;

  // Every future call scored once: the reference point at 98.7% agreement, as the issue states it.
  const scored = test.map((c) => {
    const s = scoreText(artifact, (c.request.messages as { content: string }[])[1].content);
    return { score: s.ood ? -1 : s.confidence, correct: s.label === normaliseLabel(c.outputText!) };
  });
  const distillAt987 = shareAtPrecision(scored, 0.987);
  const cache = nearestNeighbourCache();
  const cacheAt987 = shareAtPrecision(cache.map((c) => ({ score: c.sim, correct: c.correct })), 0.987);

  const arena = arenaHardPrompts().map((p) => scoreText(artifact, p.prompt));
  const bytes = Buffer.byteLength(JSON.stringify(artifact));
  const reqs = test.slice(0, 2000).map((c) => c.request);
  predictDistilled(artifact, reqs[0]);
  const t1 = performance.now();
  for (const r of reqs) predictDistilled(artifact, r);
  const perCallUs = ((performance.now() - t1) * 1000) / reqs.length;

  return `## Distillation (lib/analysis/distill): Banking77, past = train split, future = test split

${train.length.toLocaleString("en")} past calls and ${test.length.toLocaleString("en")} future calls of one feature (77 intents; each split shuffled with a fixed seed, since the CSVs are sorted by label). The threshold and temperature are chosen on 3 rolling-origin folds inside the past; the future is only measured. Target agreement 95% (project default). Intervals: bootstrap 95% over future calls.

| figure | measured |
|---|---|
| full analysis (4 trainings: 3 folds + final, evaluation, bootstrap) | ${seconds.toFixed(1)} s |
| accuracy on the future (argmax, every call) | ${pct(ev.accuracy)} |
| temperature / ECE before → after | ${ev.temperature.toFixed(3)} / ${pct(ev.calibration.eceBefore)} → ${pct(ev.calibration.eceAfter)} |
| **recommended point** (confidence >= ${ev.threshold!.toFixed(3)}): share answered locally | **${iv(at.share)}** |
| agreement with the LLM there (Wilson ${pct(at.agreementWilson.low)}–${pct(at.agreementWilson.high)}) | **${iv(at.agreement)}** |
| issue's point, confidence >= 0.68: share / agreement | ${iv(point68.share)} / ${iv(point68.agreement)} (issue: 76.9% / 98.7%) |
| share answered at 98.7% agreement (oracle threshold ${distillAt987.threshold.toFixed(3)} on the future) | ${pct(distillAt987.share)} (issue: 76.9%) |
| TF-IDF nearest-neighbour cache at 98.7% correctness (train cached, test queried; same features as the classifier) | ${pct(cacheAt987.share)} hits at cosine >= ${cacheAt987.threshold.toFixed(3)} (issue: 11.8%; ../shared/data/README: 9.0% at 98.9% with word + char-3 TF-IDF) |
| OOD guard: future banking calls forwarded / arena_hard prompts forwarded | ${pct(ev.ood.flaggedShare)} (their accuracy ${pct(ev.ood.accuracyFlagged ?? 0)} vs ${pct(ev.ood.accuracyKept ?? 0)} kept) / ${pct(arena.filter((a) => a.ood).length / arena.length)} |
| artifact (JSON, int8 weights) | ${(bytes / 1e6).toFixed(2)} MB, ${artifact.features.terms.length.toLocaleString("en")} terms × ${artifact.labels.length} labels |
| predictDistilled per call (decoded artifact cached) | ${perCallUs.toFixed(0)} µs |
| monthly savings at the recommended point (fixture priced as gpt-4o) | $${g.savings!.usd.toFixed(2)} ($${g.savings!.low.toFixed(2)}–$${g.savings!.high.toFixed(2)}) of $${g.monthlyCostUsd.toFixed(2)} |

Reading: at the 95% target the model answers most future calls. The issue's figure (76.9% answered at 98.7% agreement) corresponds here to ${pct(distillAt987.share)} at the same agreement (largest share whose agreement is >= 98.7%, threshold picked on the future itself, so an optimistic reference); our confidences are temperature-calibrated, so the same agreement sits at a different nominal threshold than 0.68 (at 0.68 we answer more calls at lower agreement). A nearest-neighbour cache reaches that correctness on only ${pct(cacheAt987.share)} of calls.

| goal | verdict |
|---|---|
| recommended point's agreement lower bound (Wilson, future) >= 95% target | **${at.agreementWilson.low >= 0.95 ? "met" : "not met"}** |
| local answers beat a similarity cache at the same correctness | **${distillAt987.share > cacheAt987.share ? "met" : "not met"}** |`;
}
