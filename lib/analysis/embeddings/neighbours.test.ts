import { describe, expect, it } from "vitest";
import { banking77 } from "../../datasets/shared-data";
import { randomNormal, seededRandom } from "../../stats/random";
import { denseNeighbourGraph, neighboursOf, sparseNeighbourGraph, SparseSimilarityIndex, type NeighbourGraph } from "./neighbours";
import { fitTfidfAndEmbed } from "./tfidf";
import { denseDot, normaliseDense, sparseDot, type SparseVector } from "./types";

/** Every pair >= minSim by comparing all pairs: the reference the index must match. */
function allPairs(vectors: SparseVector[], minSim: number): Set<string> {
  const out = new Set<string>();
  for (let i = 0; i < vectors.length; i++) for (let j = i + 1; j < vectors.length; j++) if (sparseDot(vectors[i], vectors[j]) >= minSim) out.add(`${i},${j}`);
  return out;
}

function edges(graph: NeighbourGraph): Set<string> {
  const out = new Set<string>();
  for (let i = 0; i < graph.size; i++) {
    const { ids } = neighboursOf(graph, i);
    for (const j of ids) if (i < j) out.add(`${i},${j}`);
  }
  return out;
}

describe("sparse neighbour graph (prefix filtering)", () => {
  const texts = banking77("train").slice(0, 1000).map((r) => r.text);
  const { embedder, vectors } = fitTfidfAndEmbed(texts);
  const df = (f: number) => embedder.documentFrequency(f);

  it("finds exactly the pairs an all-pairs comparison finds, verifying a fraction of them", () => {
    for (const minSim of [0.6, 0.9]) {
      const graph = sparseNeighbourGraph(vectors, { minSim, documentFrequency: df, dims: embedder.dims });
      expect(edges(graph)).toEqual(allPairs(vectors, minSim));
      expect(graph.exact).toBe(true);
      expect(graph.verified).toBeLessThan((texts.length * (texts.length - 1)) / 2 / 5);
    }
  });

  it("sorts each row by similarity, highest first, with the similarity of the pair", () => {
    const graph = sparseNeighbourGraph(vectors, { minSim: 0.7, documentFrequency: df, dims: embedder.dims });
    let rows = 0;
    for (let i = 0; i < graph.size; i++) {
      const { ids, sims } = neighboursOf(graph, i);
      if (ids.length > 1) rows++;
      for (let k = 0; k < ids.length; k++) {
        // Similarities are capped at 1 (float32 rounding can put identical vectors a hair above).
        expect(sims[k]).toBeCloseTo(Math.min(1, sparseDot(vectors[i], vectors[ids[k]])), 12);
        if (k > 0) expect(sims[k]).toBeLessThanOrEqual(sims[k - 1]);
      }
    }
    expect(rows).toBeGreaterThan(10);
  });

  it("gives the same similarities with or without the dense scatter buffer", () => {
    const a = sparseNeighbourGraph(vectors, { minSim: 0.8, documentFrequency: df, dims: embedder.dims });
    const b = sparseNeighbourGraph(vectors, { minSim: 0.8, documentFrequency: df });
    expect(Array.from(b.sims)).toEqual(Array.from(a.sims));
  });

  it("reports itself approximate when a work limit cut the search", () => {
    const limited = sparseNeighbourGraph(vectors, { minSim: 0.6, documentFrequency: df, dims: embedder.dims, maxPrefixFeatures: 2, maxPostings: 4 });
    expect(limited.exact).toBe(false);
    const found = edges(limited);
    const truth = allPairs(vectors, 0.6);
    for (const e of found) expect(truth.has(e)).toBe(true);
    expect(found.size).toBeLessThan(truth.size);
  });

  it("answers queries against an incremental index", () => {
    const index = new SparseSimilarityIndex({ minSim: 0.5, documentFrequency: df, dims: embedder.dims });
    vectors.slice(0, 900).forEach((v) => index.add(v));
    const q = vectors[950];
    const found = index.query(q);
    expect(found.ids.length).toBeGreaterThan(0);
    const expected = vectors.slice(0, 900).map((v, i) => [i, sparseDot(q, v)] as const).filter(([, s]) => s >= 0.5).map(([i]) => i);
    expect(found.ids.slice().sort((a, b) => a - b)).toEqual(expected);
    expect(() => new SparseSimilarityIndex({ minSim: 0, documentFrequency: df })).toThrow(/minSim/);
  });
});

describe("dense neighbour graph (random-hyperplane LSH)", () => {
  it("recovers planted near-duplicates among random vectors", () => {
    const random = seededRandom(5);
    const dims = 64;
    const base = Array.from({ length: 300 }, () => normaliseDense(Float32Array.from({ length: dims }, () => randomNormal(random))));
    // Each base vector gets a twin at cosine ~0.95.
    const twins = base.map((b) => normaliseDense(Float32Array.from(b, (x) => x + (0.33 * randomNormal(random)) / Math.sqrt(dims))));
    const vectors = [...base, ...twins];
    const graph = denseNeighbourGraph(vectors, 0.9, { seed: 1 });
    let expected = 0;
    let found = 0;
    const got = edges(graph);
    for (let i = 0; i < vectors.length; i++)
      for (let j = i + 1; j < vectors.length; j++)
        if (denseDot(vectors[i], vectors[j]) >= 0.9) {
          expected++;
          if (got.has(`${i},${j}`)) found++;
        }
    expect(expected).toBeGreaterThanOrEqual(290);
    expect(found / expected).toBeGreaterThan(0.97);
    expect(graph.exact).toBe(false);
    // Far fewer verifications than all pairs.
    expect(graph.verified).toBeLessThan((vectors.length * (vectors.length - 1)) / 2 / 4);
  });
});
