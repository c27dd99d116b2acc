// The replay: walk one scope's calls in time order as a semantic cache would. A call whose best live
// entry (similarity >= threshold, created within the TTL) exists is a hit and is answered with that
// entry's logged response; otherwise it misses, goes to the model, and its response becomes the entry
// for its text. Entries are only written on misses, so the outcome at each threshold is path-dependent
// and is replayed per threshold rather than derived from pair counts.
import { SIM_EPSILON, type NeighbourGraph } from "../embeddings/neighbours";

export type ScopeCalls = {
  /** Call times in ms, non-decreasing (the caller sorts by time, then id). */
  times: Float64Array;
  /** Distinct-text id of each call (0..graph.size-1); equal ids are exact duplicates. */
  textIds: Int32Array;
  /** Neighbours between distinct texts, built at or below the lowest threshold replayed. */
  graph: NeighbourGraph;
};

export type ReplayOutcome = {
  /** Index (within the scope) of the call whose response is served, or -1 for a miss. */
  servedBy: Int32Array;
  /** Similarity of the serving entry (1 for an exact duplicate), 0 for a miss. */
  sim: Float64Array;
};

/**
 * Replays one scope at `threshold` (Infinity: exact duplicates only) with entries expiring `ttlMs`
 * after they were written (Infinity: never). Best entry = highest similarity; ties go to the older entry.
 */
export function replayCache(scope: ScopeCalls, threshold: number, ttlMs: number): ReplayOutcome {
  const n = scope.times.length;
  const servedBy = new Int32Array(n).fill(-1);
  const sim = new Float64Array(n);
  const entryCall = new Int32Array(scope.graph.size).fill(-1);
  const entryTime = new Float64Array(scope.graph.size);
  const { offsets, ids, sims } = scope.graph;
  const minSim = threshold - 1e-9;
  for (let i = 0; i < n; i++) {
    const u = scope.textIds[i];
    const now = scope.times[i];
    let best = -1;
    let bestSim = 0;
    if (entryCall[u] >= 0 && now - entryTime[u] <= ttlMs) {
      best = entryCall[u];
      bestSim = 1;
    }
    if (threshold <= 1) {
      for (let k = offsets[u]; k < offsets[u + 1]; k++) {
        const s = sims[k];
        if (s < minSim) break; // rows are sorted by similarity, highest first
        const v = ids[k];
        const e = entryCall[v];
        if (e < 0 || now - entryTime[v] > ttlMs) continue;
        if (best < 0 || s > bestSim + SIM_EPSILON || (Math.abs(s - bestSim) <= SIM_EPSILON && e < best)) {
          best = e;
          bestSim = s;
        }
      }
    }
    if (best >= 0) {
      servedBy[i] = best;
      sim[i] = bestSim;
    } else {
      entryCall[u] = i;
      entryTime[u] = now;
    }
  }
  return { servedBy, sim };
}
