// Acceptance tests of the cache analysis on real data (../shared/data): banking77 as a classifier whose
// logged answer is the intent (train then test in time order), bitext_support with free-text answers,
// and WildChat's shared template.
import { beforeAll, describe, expect, it } from "vitest";
import { fitTfidfAndEmbed } from "../embeddings/tfidf";
import { banking77Calls, bitextReplyCalls, bitextRows } from "../modelfit/datasets";
import { analyseCache } from "./analyse";
import { normaliseForMatch } from "./compared";
import { wildchatCalls } from "./fixtures";
import { createResponseJudge } from "./judge";
import { simulateCache } from "./simulate";
import type { CacheReport } from "./types";

describe("banking77: train cached, test queried", () => {
  const { train, test } = banking77Calls();
  const calls = [...train, ...test];
  const labels = calls.map((c) => c.outputText!);
  let report: CacheReport;
  const TOLERANCE = 0.04;

  beforeAll(async () => {
    report = await analyseCache(calls, { ttlMs: null, tolerance: TOLERANCE });
    allPairs(Math.min(...report.groups[0].curve.map((p) => p.threshold)) - 0.01);
  }, 120_000);

  /**
   * Independent count: the same embedding method, but every pair's similarity from an exhaustive
   * inverted index (every feature, no prefix filtering, no work limits) and a plain replay over a map
   * of entries.
   */
  let neighbours: Array<Map<number, number>> = [];
  let textOf: number[] = [];
  function allPairs(minT: number): void {
    const norm = calls.map((c) => normaliseForMatch((c.request.messages as Array<{ role: string; content: string }>)[1].content));
    const ids = new Map<string, number>();
    const reps: string[] = [];
    textOf = norm.map((n, i) => {
      if (!ids.has(n)) {
        ids.set(n, reps.length);
        reps.push((calls[i].request.messages as Array<{ role: string; content: string }>)[1].content);
      }
      return ids.get(n)!;
    });
    const { vectors } = fitTfidfAndEmbed(reps);
    // Postings of every feature as flat typed arrays (documents in id order).
    const df = new Map<number, number>();
    for (const v of vectors) for (const f of v.indices) df.set(f, (df.get(f) ?? 0) + 1);
    const start = new Map<number, number>();
    let total = 0;
    for (const [f, n] of df) (start.set(f, total), (total += n));
    const fill = new Map(start);
    const docs = new Int32Array(total);
    const weights = new Float64Array(total);
    vectors.forEach((v, i) => v.indices.forEach((f, k) => {
      const at = fill.get(f)!;
      docs[at] = i;
      weights[at] = v.values[k];
      fill.set(f, at + 1);
    }));
    neighbours = vectors.map(() => new Map());
    const acc = new Float64Array(vectors.length);
    const touched = new Int32Array(vectors.length);
    vectors.forEach((v, i) => {
      let nTouched = 0;
      v.indices.forEach((f, k) => {
        const from = start.get(f)!;
        const to = from + df.get(f)!;
        for (let p = from; p < to && docs[p] < i; p++) {
          const j = docs[p];
          if (acc[j] === 0) touched[nTouched++] = j;
          acc[j] += v.values[k] * weights[p];
        }
      });
      for (let q = 0; q < nTouched; q++) {
        const j = touched[q];
        const s = Math.min(1, acc[j]);
        if (s >= minT) (neighbours[i].set(j, s), neighbours[j].set(i, s));
        acc[j] = 0;
      }
    });
  }

  function bruteForceCurve(thresholds: number[]): Array<{ threshold: number; hits: number; wrong: number }> {
    return thresholds.map((t) => {
      const entryOf = new Map<number, number>(); // text -> call that wrote its entry (no TTL here)
      let hits = 0;
      let wrong = 0;
      calls.forEach((_, i) => {
        const u = textOf[i];
        let best = -1;
        let bestSim = -1;
        const consider = (v: number, s: number) => {
          const e = entryOf.get(v);
          if (e === undefined || s < t - 1e-9) return;
          if (s > bestSim + 1e-12 || (Math.abs(s - bestSim) <= 1e-12 && e < best)) ((best = e), (bestSim = s));
        };
        consider(u, 1);
        for (const [v, s] of neighbours[u]) consider(v, s);
        if (best >= 0) {
          hits++;
          if (labels[best] !== labels[i]) wrong++;
        } else entryOf.set(u, i);
      });
      return { threshold: t, hits, wrong };
    });
  }

  it("counts the same hits and wrong hits at every threshold as a brute-force replay", () => {
    const group = report.groups[0];
    expect(report.groups).toHaveLength(1);
    expect(group.scopes).toBe(1);
    expect(group.templates).toEqual([]);
    expect(group.responseKinds.label).toBe(calls.length);
    const expected = bruteForceCurve(group.curve.map((p) => p.threshold));
    expect(group.curve.map((p) => ({ threshold: p.threshold, hits: p.hits, wrong: p.wrongHits }))).toEqual(expected);
    // The curve is not trivial: hits fall and precision rises with the threshold.
    expect(expected[0].hits).toBeGreaterThan(2000);
    expect(expected[expected.length - 1].hits).toBeLessThan(200);
  }, 120_000);

  it("recommends a threshold whose wrong-hit rate stays under the tolerance, with intervals", () => {
    const group = report.groups[0];
    const rec = group.recommended!;
    expect(rec).not.toBeNull();
    expect(rec.wrongHitUpper).toBeLessThanOrEqual(TOLERANCE);
    const independent = bruteForceCurve([rec.threshold])[0];
    expect(independent.wrong / independent.hits).toBeLessThanOrEqual(TOLERANCE);
    expect(rec.hitRate.low).toBeLessThan(rec.hitRate.point);
    expect(rec.hitRate.high).toBeGreaterThan(rec.hitRate.point);
    expect(rec.monthly.point).toBeGreaterThan(0);
    expect(rec.monthly.low).toBeLessThan(rec.monthly.point);
    // Banking77 holds near-identical wordings with different intents: no threshold is safe at 1%.
    expect(group.curve.every((p) => p.wrongHitUpper > 0.01)).toBe(true);
    // The finding serves exactly the hit calls and prices them from the logs.
    const finding = report.findings[0];
    expect(finding.lever).toBe("cache");
    expect(finding.callIds).toHaveLength(rec.hits);
    expect(finding.monthly.usd).toBeCloseTo(rec.monthly.point, 10);
    expect(finding.evidence.clusters).toEqual(group.clusters);
    expect(group.clusters.length).toBeGreaterThan(0);
    expect(group.clusters[0].examples[0].similarity).toBeGreaterThanOrEqual(rec.threshold);
  }, 120_000);

  it("is deterministic and JSON-serialisable", async () => {
    expect(JSON.parse(JSON.stringify(report))).toStrictEqual(report);
    const again = await analyseCache(calls.slice(0, 3000), { ttlMs: null, tolerance: TOLERANCE });
    const twice = await analyseCache([...calls.slice(0, 3000)].reverse(), { ttlMs: null, tolerance: TOLERANCE });
    expect(twice).toEqual(again);
  }, 120_000);
});

describe("bitext_support: free-text answers", () => {
  const calls = bitextReplyCalls();
  const intents = bitextRows().map((r) => r.intent);

  it("calibrates free-text agreement on identical requests and judges paraphrase hits by meaning", async () => {
    const report = await analyseCache(calls, { ttlMs: null });
    const group = report.groups[0];
    expect(group.responseKinds.free).toBeGreaterThan(4000);
    expect(group.freeTextAgreement.source).toBe("duplicates");
    expect(group.freeTextAgreement.pairs).toBeGreaterThanOrEqual(20);
    expect(group.freeTextAgreement.value).toBeGreaterThan(0.2);
    expect(group.freeTextAgreement.value).toBeLessThan(0.6);
    expect(group.curve[0].hits).toBeGreaterThan(100);
    if (group.recommended) expect(group.recommended.wrongHitUpper).toBeLessThanOrEqual(0.01);
    else expect(group.reason).toMatch(/tolerance|cost/);

    // The judge accepts answers to the same intent and rejects answers to unrelated intents. (Hits across
    // near-synonymous intents, get_invoice vs check_invoice, get answers that overlap too much for a
    // lexical judge to tell apart: see docs/analysis-cache.md.)
    const sim = await simulateCache(calls, { ttlMs: null });
    const lowest = sim.groups[0].byThreshold[0];
    expect(lowest.hits.length).toBe(group.curve[0].hits);
    const members = sim.groups[0].members;
    const judge = createResponseJudge(members.map((c) => c.call.outputText!));
    const intentOf = members.map((c) => intents[Number(c.call.id.split("-").pop())]);
    const agreement = group.freeTextAgreement.value;
    let same = 0;
    let sameAgreed = 0;
    lowest.hits.forEach((h, k) => {
      if (intentOf[h] !== intentOf[lowest.served[k]]) return;
      same++;
      if (judge.agree(lowest.served[k], h, agreement)) sameAgreed++;
    });
    expect(same).toBeGreaterThan(1000);
    expect(sameAgreed / same).toBeGreaterThan(0.85);
    let unrelated = 0;
    let unrelatedAgreed = 0;
    for (let i = 0; i + 7 < members.length; i += 3) {
      const j = i + 7;
      if (intentOf[i] === intentOf[j]) continue;
      unrelated++;
      if (judge.agree(j, i, agreement)) unrelatedAgreed++;
    }
    expect(unrelated).toBeGreaterThan(1000);
    expect(unrelatedAgreed / unrelated).toBeLessThan(0.1);
  }, 120_000);
});

describe("wildchat_sample: a shared template", () => {
  const calls = wildchatCalls();
  const templated = new Set(calls.filter((c) => JSON.stringify(c.request).includes("Midjourney")).map((c) => c.id));

  it("does not report the 18 template prompts as duplicates of each other", async () => {
    expect(templated.size).toBe(18);
    const report = await analyseCache(calls, { ttlMs: null });
    const group = report.groups[0];
    expect(group.templates).toEqual([expect.objectContaining({ where: "user", members: 18 })]);
    expect(group.exactDuplicates.hits).toBe(0);
    const sim = await simulateCache(calls, { ttlMs: null });
    const ids = sim.groups[0].members.map((c) => c.call.id);
    for (const r of [sim.groups[0].exact, ...sim.groups[0].byThreshold])
      r.hits.forEach((h, k) => expect(templated.has(ids[h]) && templated.has(ids[r.served[k]])).toBe(false));
  });

  it("would report them as near-duplicates if the template were compared whole", async () => {
    const sim = await simulateCache(calls, { ttlMs: null, template: { minMembers: 1000 } });
    const ids = sim.groups[0].members.map((c) => c.call.id);
    const at95 = sim.groups[0].byThreshold.find((r) => r.threshold === 0.95)!;
    const templateHits = at95.hits.filter((h, k) => templated.has(ids[h]) && templated.has(ids[at95.served[k]]));
    expect(templateHits.length).toBeGreaterThanOrEqual(10);
  });
});
