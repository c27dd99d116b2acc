import { describe, expect, it } from "vitest";
import { banking77 } from "../../datasets/shared-data";
import { hitsAtPrecision, nearestCached } from "./compare";
import { fitTfidfAndEmbed, fitTfidfEmbedder, tokenize } from "./tfidf";
import { sparseDot } from "./types";

const norm = (values: Float32Array) => Math.sqrt(values.reduce((s, v) => s + v * v, 0));

describe("TF-IDF embedder", () => {
  it("gives unit vectors whose dot product is the cosine, identical for identical token streams", () => {
    const e = fitTfidfEmbedder(["How do I top up my card?", "Where is my new card?", "fees for top-ups", "fees for top ups"]);
    const [a, b, c, d] = e.embedSparse(["How do I top up my card?", "Where is my new card?", "fees for top-ups", "fees for top ups"]);
    for (const v of [a, b, c, d]) expect(norm(v.values)).toBeCloseTo(1, 6);
    expect(sparseDot(a, a)).toBeCloseTo(1, 6);
    // Same tokens, different punctuation: the example of near-identical wordings.
    expect(sparseDot(c, d)).toBeCloseTo(1, 6);
    expect(sparseDot(a, b)).toBeGreaterThan(0);
    expect(sparseDot(a, b)).toBeLessThan(0.6);
    // Sorted, distinct indices (the index and the dot product rely on it).
    for (const v of [a, b]) for (let i = 1; i < v.indices.length; i++) expect(v.indices[i]).toBeGreaterThan(v.indices[i - 1]);
  });

  it("weights rare features above common ones (document frequency from the fitted corpus)", () => {
    const corpus = ["card card", "card arrived", "card lost", "card stolen", "refund please"];
    const e = fitTfidfEmbedder(corpus, { charNgrams: [] });
    const [v] = e.embedSparse(["card refund"]);
    const [card] = e.embedSparse(["card"]).map((x) => x.indices[0]);
    const [refund] = e.embedSparse(["refund"]).map((x) => x.indices[0]);
    const weight = (f: number) => v.values[v.indices.indexOf(f)];
    expect(e.documentFrequency(card)).toBe(4);
    expect(e.documentFrequency(refund)).toBe(1);
    expect(weight(refund)).toBeGreaterThan(weight(card));
  });

  it("tokenises any script, so CJK prompts get vectors too", () => {
    expect(tokenize("Hello, Wörld! 火影忍者 3D")).toEqual(["hello", "wörld", "火影忍者", "3d"]);
    const e = fitTfidfEmbedder(["火影忍者女性角色", "吉卜力工作室"]);
    const [v] = e.embedSparse(["火影忍者女性角色"]);
    expect(v.indices.length).toBeGreaterThan(3);
  });

  it("featurises the corpus once with the same result as fit-then-embed", () => {
    const texts = banking77("test").slice(0, 300).map((r) => r.text);
    const a = fitTfidfEmbedder(texts, { combine: "separate", wordWeight: 0.3 }).embedSparse(texts);
    const b = fitTfidfAndEmbed(texts, { combine: "separate", wordWeight: 0.3 }).vectors;
    expect(b.map((v) => Array.from(v.values))).toEqual(a.map((v) => Array.from(v.values)));
  });

  it("refuses bad options, naming them", () => {
    expect(() => fitTfidfEmbedder([], { hashBits: 40 })).toThrow(/hashBits/);
    expect(() => fitTfidfEmbedder([], { charNgrams: [9] })).toThrow(/charNgrams/);
    expect(() => fitTfidfEmbedder([], { wordNgrams: [], charNgrams: [] })).toThrow(/both be empty/);
  });

  it("reproduces the issue's banking77 figure: 98% correct hits from threshold 0.936 with 11.8% hits", () => {
    const train = banking77("train");
    const test = banking77("test");
    const { embedder, vectors } = fitTfidfAndEmbed([...train.map((r) => r.text), ...test.map((r) => r.text)]);
    const cached = vectors.slice(0, train.length);
    const queries = vectors.slice(train.length);
    const nn = nearestCached(cached, queries, (f) => embedder.documentFrequency(f), 0.8, embedder.dims);
    const correct = test.map((q, i) => nn.index[i] >= 0 && train[nn.index[i]].label === q.label);
    const point = hitsAtPrecision(nn.sim, correct, 0.98);
    expect(point.threshold).toBeCloseTo(0.936, 3);
    expect(point.share).toBeCloseTo(0.118, 3);
    expect(point.precision).toBeGreaterThanOrEqual(0.98);
    // The README's other facts: 0.95 -> 9.0% hits, 98.9% of them right (here within a rounding step).
    const at95 = Array.from(nn.sim).filter((s) => s >= 0.95).length / test.length;
    expect(at95).toBeCloseTo(0.09, 2);
  });
});
