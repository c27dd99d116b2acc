import { describe, expect, it } from "vitest";
import type { NeighbourGraph } from "../embeddings/neighbours";
import { replayCache } from "./replay";

/** A graph from explicit undirected edges with similarities. */
function graph(size: number, edges: Array<[number, number, number]>): NeighbourGraph {
  const rows: Array<Array<[number, number]>> = Array.from({ length: size }, () => []);
  for (const [a, b, s] of edges) {
    rows[a].push([b, s]);
    rows[b].push([a, s]);
  }
  for (const r of rows) r.sort((x, y) => y[1] - x[1] || x[0] - y[0]);
  const offsets = new Uint32Array(size + 1);
  rows.forEach((r, i) => (offsets[i + 1] = offsets[i] + r.length));
  return { size, offsets, ids: Uint32Array.from(rows.flat().map((e) => e[0])), sims: Float64Array.from(rows.flat().map((e) => e[1])), verified: 0, exact: true };
}
const HOUR = 3_600_000;
const scope = (times: number[], textIds: number[], g: NeighbourGraph) => ({ times: Float64Array.from(times), textIds: Int32Array.from(textIds), graph: g });

describe("replayCache", () => {
  it("serves a repeat from the first call and a paraphrase only at or below its similarity", () => {
    const g = graph(2, [[0, 1, 0.93]]);
    const s = scope([0, 1, 2], [0, 0, 1], g);
    const at90 = replayCache(s, 0.9, Infinity);
    expect(Array.from(at90.servedBy)).toEqual([-1, 0, 0]);
    expect(Array.from(at90.sim)).toEqual([0, 1, 0.93]);
    const at95 = replayCache(s, 0.95, Infinity);
    expect(Array.from(at95.servedBy)).toEqual([-1, 0, -1]);
    // Exact-only replay ignores paraphrases entirely.
    expect(Array.from(replayCache(s, Infinity, Infinity).servedBy)).toEqual([-1, 0, -1]);
  });

  it("expires entries after the TTL; the next miss writes a fresh entry that serves later calls", () => {
    const s = scope([0, 1 * HOUR, 5 * HOUR, 6 * HOUR, 6.5 * HOUR], [0, 0, 0, 0, 0], graph(1, []));
    const out = replayCache(s, 0.9, 2 * HOUR);
    // 0 writes; 1 hits 0 (1 h old); 2 misses (0 is 5 h old) and writes; 3 and 4 hit 2.
    expect(Array.from(out.servedBy)).toEqual([-1, 0, -1, 2, 2]);
    // A hit does not refresh the entry: entry 2 expires 2 h after it was written, not after its last hit.
    const s2 = scope([0, 1.5 * HOUR, 2.5 * HOUR], [0, 0, 0], graph(1, []));
    expect(Array.from(replayCache(s2, 0.9, 2 * HOUR).servedBy)).toEqual([-1, 0, -1]);
  });

  it("writes entries only on misses, so a chain of drifting texts does not hit beyond its first link", () => {
    // 0 ~ 1 (0.92), 1 ~ 2 (0.92), 0 ~ 2 (0.8): 1 is served by 0 and never becomes an entry, so 2 misses.
    const s = scope([0, 1, 2], [0, 1, 2], graph(3, [[0, 1, 0.92], [1, 2, 0.92], [0, 2, 0.8]]));
    expect(Array.from(replayCache(s, 0.9, Infinity).servedBy)).toEqual([-1, 0, -1]);
    expect(Array.from(replayCache(s, 0.75, Infinity).servedBy)).toEqual([-1, 0, 0]);
  });

  it("serves the most similar live entry, and the older one on a tie", () => {
    const g = graph(4, [[3, 0, 0.91], [3, 1, 0.97], [3, 2, 0.97]]);
    const s = scope([0, 1, 2, 3], [0, 1, 2, 3], g);
    expect(replayCache(s, 0.9, Infinity).servedBy[3]).toBe(1);
    // With entry 1 expired, the best live one is 2.
    const s2 = scope([0, 10, 20, 25], [0, 1, 2, 3], g);
    expect(replayCache(s2, 0.9, 14).servedBy[3]).toBe(2);
    // An entry exactly TTL old is still live.
    expect(replayCache(s2, 0.9, 15).servedBy[3]).toBe(1);
  });
});
