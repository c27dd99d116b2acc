// npm run bench -- cache — the semantic-cache analysis at scale and the embedding methods compared.
//  1. 10k and 100k calls of production-like traffic (real texts from ../shared/data recurring with edits,
//     six features; lib/analysis/cache/fixtures.ts) through analyseCache with the local embedder: index
//     build + replay (the simulation) and the calibration, wall and CPU time, peak memory, growth.
//     Each size runs in its own process so peak memory belongs to it. Goal: 100k < 60 s, growth ~linear.
//  2. What the index's work limits cost in recall at 100k (exact prefix filtering vs the defaults).
//  3. Embedding methods compared as a cache uses them on banking77 (train cached, test queried): hit
//     share at >= 98% correct hits, with a bootstrap interval and the paired difference to the baseline.
//  4. Banking77 replayed as a logged classifier: the calibration curve around the operating point.
// The machine is shared, so the load average is printed with every timing and CPU time beside wall time.
import { spawnSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { analyseCache } from "../../lib/analysis/cache/analyse";
import { prepareComparedCalls } from "../../lib/analysis/cache/compared";
import { cacheTraffic } from "../../lib/analysis/cache/fixtures";
import { DEFAULT_INDEX_LIMITS } from "../../lib/analysis/cache/simulate";
import { compareCacheMethods } from "../../lib/analysis/embeddings/compare";
import { sparseNeighbourGraph, type NeighbourGraph } from "../../lib/analysis/embeddings/neighbours";
import { fitTfidfAndEmbed, fitTfidfEmbedder, type TfidfOptions } from "../../lib/analysis/embeddings/tfidf";
import { banking77Calls } from "../../lib/analysis/modelfit/datasets";
import { banking77 } from "../../lib/datasets/shared-data";

const CHILD_ENV = "SPENDLENS_CACHE_BENCH_CHILD";
const GOAL_SECONDS = 60;
const load = () => os.loadavg()[0].toFixed(1);
const cpuMs = (since: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
};
const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

type ScaleResult = {
  calls: number;
  distinctTexts: number;
  verifiedPairs: number;
  allPairs: number;
  exact: boolean;
  simulateWallMs: number;
  simulateCpuMs: number;
  totalWallMs: number;
  totalCpuMs: number;
  maxRssMb: number;
  loadBefore: string;
  loadAfter: string;
  recommendedGroups: number;
  exactDuplicateHits: number;
};

/** One size, in this (child) process: generate, then analyse with timings from the progress messages. */
async function measureScale(n: number): Promise<ScaleResult> {
  const calls = cacheTraffic({ calls: n });
  const loadBefore = load();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let simulateWallMs = 0;
  let simulateCpuMs = 0;
  const report = await analyseCache(calls, {
    onProgress: (_f, m) => {
      if (!simulateWallMs && m.startsWith("calibrating")) {
        simulateWallMs = performance.now() - t0;
        simulateCpuMs = cpuMs(cpu0);
      }
    },
  });
  const totalWallMs = performance.now() - t0;
  const totalCpuMs = cpuMs(cpu0);
  const sum = (f: (g: (typeof report.groups)[number]) => number) => report.groups.reduce((s, g) => s + f(g), 0);
  return {
    calls: n,
    distinctTexts: sum((g) => g.index.distinctTexts),
    verifiedPairs: sum((g) => g.index.verifiedPairs),
    allPairs: sum((g) => g.index.allPairs),
    exact: report.groups.every((g) => g.index.exact),
    simulateWallMs,
    simulateCpuMs,
    totalWallMs,
    totalCpuMs,
    maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    loadBefore,
    loadAfter: load(),
    recommendedGroups: report.groups.filter((g) => g.recommended).length,
    exactDuplicateHits: report.totals.exactDuplicateHits,
  };
}

type RecallRow = { feature: string; texts: number; exactCpuMs: number; limitedCpuMs: number; exactVerified: number; limitedVerified: number; recall80: number; recall90: number };

/** Exact prefix filtering vs the default work limits on two groups of the 100k traffic. */
function measureRecall(): RecallRow[] {
  const prep = prepareComparedCalls(cacheTraffic({ calls: 100_000 }));
  const rows: RecallRow[] = [];
  for (const feature of ["support-intent", "quiz"]) {
    const texts = [...new Set(prep.calls.filter((c) => c.call.feature === feature && !c.excluded).map((c) => c.normalised))];
    const { embedder, vectors } = fitTfidfAndEmbed(texts);
    const build = (limits: object) => {
      const c0 = process.cpuUsage();
      const graph = sparseNeighbourGraph(vectors, { minSim: 0.79, documentFrequency: (f) => embedder.documentFrequency(f), dims: embedder.dims, ...limits });
      return { graph, cpu: cpuMs(c0) };
    };
    const pairs = (g: NeighbourGraph, t: number) => g.sims.reduce((n, s) => n + (s >= t ? 1 : 0), 0);
    const exact = build({});
    const limited = build(DEFAULT_INDEX_LIMITS);
    rows.push({
      feature,
      texts: texts.length,
      exactCpuMs: exact.cpu,
      limitedCpuMs: limited.cpu,
      exactVerified: exact.graph.verified,
      limitedVerified: limited.graph.verified,
      recall80: pairs(limited.graph, 0.8) / Math.max(1, pairs(exact.graph, 0.8)),
      recall90: pairs(limited.graph, 0.9) / Math.max(1, pairs(exact.graph, 0.9)),
    });
  }
  return rows;
}

function inChild<T>(task: string): T {
  const self = fileURLToPath(import.meta.url);
  const res = spawnSync(process.execPath, ["--import", "tsx", self], {
    env: { ...process.env, [CHILD_ENV]: task },
    encoding: "utf8",
    maxBuffer: 1 << 24,
    timeout: 15 * 60_000,
  });
  const line = res.stdout.split("\n").find((l) => l.startsWith("RESULT "));
  if (res.status !== 0 || !line) throw new Error(`cache bench child "${task}" failed (${res.status}): ${res.stderr.slice(-2000)}`);
  return JSON.parse(line.slice(7)) as T;
}

const METHODS: Array<{ name: string; opts: TfidfOptions }> = [
  { name: "baseline: words + char 3-grams, joint (issue)", opts: {} },
  { name: "words and chars separately, word weight 0.3", opts: { combine: "separate", wordWeight: 0.3 } },
  { name: "… plus BM25 saturation (k1 0.8)", opts: { combine: "separate", wordWeight: 0.3, tf: "bm25", bm25K1: 0.8 } },
  { name: "char 3+4-grams", opts: { charNgrams: [3, 4] } },
  { name: "char 2+3-grams", opts: { charNgrams: [2, 3] } },
  { name: "word 1+2-grams", opts: { wordNgrams: [1, 2] } },
  { name: "baseline hashed into 2^16", opts: { hashBits: 16 } },
];

export async function run(): Promise<string> {
  const out: string[] = ["### Semantic-cache analysis (local TF-IDF embedder)"];

  // 1. Scale.
  const small = inChild<ScaleResult>("scale:10000");
  const large = inChild<ScaleResult>("scale:100000");
  const growth = large.totalCpuMs / small.totalCpuMs;
  out.push(
    "",
    "Production-like traffic: real texts from banking77, bitext, MMLU, STS-B, MRPC and Arena-Hard in six features, recurring with Zipf-like popularity and 30% small edits (`cacheTraffic`). Whole `analyseCache` (templates, exclusions, embedding, index, replay at 26 thresholds + exact, judging, bootstrap, findings), one process per size.",
    "",
    "| calls | distinct texts | pairs verified / all pairs in scopes | index + replay (wall / CPU) | whole analysis (wall / CPU) | peak RSS | load avg before / after |",
    "|---|---|---|---|---|---|---|",
    ...[small, large].map(
      (r) =>
        `| ${r.calls.toLocaleString("en")} | ${r.distinctTexts.toLocaleString("en")} | ${r.verifiedPairs.toLocaleString("en")} / ${r.allPairs.toExponential(2)} (${(r.verifiedPairs / r.allPairs * 100).toFixed(2)}%) | ${sec(r.simulateWallMs)} / ${sec(r.simulateCpuMs)} | ${sec(r.totalWallMs)} / ${sec(r.totalCpuMs)} | ${r.maxRssMb} MB | ${r.loadBefore} / ${r.loadAfter} |`,
    ),
    "",
    `Growth 10k → 100k: calls ×10, distinct texts ×${(large.distinctTexts / small.distinctTexts).toFixed(1)}, CPU time ×${growth.toFixed(1)}, wall time ×${(large.totalWallMs / small.totalWallMs).toFixed(1)}, verified pairs ×${(large.verifiedPairs / small.verifiedPairs).toFixed(1)} (all pairs ×${(large.allPairs / small.allPairs).toFixed(0)}).`,
    "",
    `**Goal: 100k calls < ${GOAL_SECONDS} s, growth close to linear. Verdict: ${large.totalWallMs < GOAL_SECONDS * 1000 ? "met" : "NOT met"}** (${sec(large.totalWallMs)} wall, ${sec(large.totalCpuMs)} CPU; growth ×${growth.toFixed(1)} CPU for ×10 calls${growth <= 12 ? ", near-linear" : ", super-linear"}).`,
  );

  // 2. Recall of the default work limits.
  const recall = inChild<RecallRow[]>("recall");
  out.push(
    "",
    `Index work limits (${DEFAULT_INDEX_LIMITS.maxPrefixFeatures} prefix features, newest ${DEFAULT_INDEX_LIMITS.maxPostings} postings per feature) against exact prefix filtering, on the two largest groups of the 100k traffic (graph down to cosine 0.79):`,
    "",
    "| group | distinct texts | exact: CPU / verified | limited: CPU / verified | pairs kept at ≥ 0.8 | at ≥ 0.9 |",
    "|---|---|---|---|---|---|",
    ...recall.map((r) => `| ${r.feature} | ${r.texts.toLocaleString("en")} | ${sec(r.exactCpuMs)} / ${r.exactVerified.toLocaleString("en")} | ${sec(r.limitedCpuMs)} / ${r.limitedVerified.toLocaleString("en")} | ${pct(r.recall80)} | ${pct(r.recall90)} |`),
  );

  // 3. Embedding methods, as a cache uses them.
  const loadBefore = load();
  const results = compareCacheMethods(
    METHODS.map((m) => ({ name: m.name, fit: (corpus: string[]) => fitTfidfEmbedder(corpus, m.opts) })),
    banking77("train"),
    banking77("test"),
    { targetPrecision: 0.98, iterations: 200, minSim: 0.8, seed: 1 },
  );
  out.push(
    "",
    `Embedding methods on banking77 as a cache (train cached, test queried, nearest cached text, no label voting): share of test queries that hit at the lowest threshold where ≥ 98% of hits carry the right intent. Intervals: 200 bootstrap resamples of the queries, re-choosing the threshold in each; the difference is paired (same resamples). Load ${loadBefore}.`,
    "",
    "| method | threshold | hit share (95% interval) | vs baseline (95% interval) | embed time |",
    "|---|---|---|---|---|",
    ...results.map(
      (r) =>
        `| ${r.method} | ${r.threshold.toFixed(3)} | ${pct(r.hitShare.point)} (${pct(r.hitShare.low)}–${pct(r.hitShare.high)}) | ${r.vsBaseline ? `${r.vsBaseline.point >= 0 ? "+" : ""}${(r.vsBaseline.point * 100).toFixed(1)} pt (${(r.vsBaseline.low * 100).toFixed(1)} to ${(r.vsBaseline.high * 100).toFixed(1)})` : "—"} | ${Math.round(r.embedMs)} ms |`,
    ),
  );

  // 4. Banking77 replayed as a logged classifier.
  const { train, test } = banking77Calls();
  const report = await analyseCache([...train, ...test], { ttlMs: null, tolerance: 0.04 });
  const g = report.groups[0];
  const rows = g.curve.filter((p) => [0.8, 0.9, 0.93, 0.95, 0.97, 1].includes(p.threshold));
  out.push(
    "",
    `Banking77 replayed in time order (10,003 train then 3,080 test calls to a classifier; the logged answer is the intent; no TTL): ${g.exactDuplicates.hits} exact duplicates. At the default 1% tolerance no threshold qualifies (near-identical wordings carry different intents); at 4% the recommendation is ${g.recommended ? `${g.recommended.threshold} (hit rate ${pct(g.recommended.hitRate.point)}, ${pct(g.recommended.hitRate.low)}–${pct(g.recommended.hitRate.high)}; resampled choices ${g.recommended.resampledThreshold.low}–${g.recommended.resampledThreshold.high})` : "none"}.`,
    "",
    "| threshold | hits | hit rate (95%) | wrong hits | wrong-hit rate (95%) | upper bound used |",
    "|---|---|---|---|---|---|",
    ...rows.map((p) => `| ${p.threshold} | ${p.hits} | ${pct(p.hitRate.point)} (${pct(p.hitRate.low)}–${pct(p.hitRate.high)}) | ${p.wrongHits} | ${pct(p.wrongHitRate.point)} (${pct(p.wrongHitRate.low)}–${pct(p.wrongHitRate.high)}) | ${pct(p.wrongHitUpper)} |`),
  );
  return out.join("\n");
}

// Child mode: `node --import tsx scripts/bench/cache.ts` with the task in the environment.
if (process.env[CHILD_ENV] && path.resolve(process.argv[1] ?? "") === fileURLToPath(import.meta.url)) {
  const task = process.env[CHILD_ENV]!;
  const result = task.startsWith("scale:") ? measureScale(Number(task.slice(6))) : Promise.resolve(measureRecall());
  result.then(
    (r) => console.log(`RESULT ${JSON.stringify(r)}`),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
