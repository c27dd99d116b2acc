// The cache simulation over a project's calls: exclusions and template stripping, one embedding per
// distinct compared text, a similarity graph per scope down to the lowest threshold, and the
// time-ordered replay at every threshold (plus exact duplicates). It says which call would have been
// answered by which earlier call; judging those answers and pricing them is analyse.ts's job.
import { hashSeed } from "../../stats/random";
import { denseNeighbourGraph, sparseNeighbourGraph, type LshOptions, type NeighbourGraph, type SparseIndexOptions } from "../embeddings/neighbours";
import { fitTfidfAndEmbed, tfidfId, type TfidfOptions } from "../embeddings/tfidf";
import { isSparseEmbedder, type Embedder, type SparseVector } from "../embeddings/types";
import type { AnalysisCall } from "../types";
import { prepareComparedCalls, type ComparedCall, type GroupTemplates } from "./compared";
import { replayCache, type ScopeCalls } from "./replay";
import type { TemplateOptions } from "./template";

/** 0.80-0.88 in steps of 0.02, then 0.900-1.000 in steps of 0.005 (where TF-IDF operating points fall). */
export const DEFAULT_THRESHOLDS: number[] = [
  ...Array.from({ length: 5 }, (_, i) => Math.round((0.8 + i * 0.02) * 1000) / 1000),
  ...Array.from({ length: 21 }, (_, i) => Math.round((0.9 + i * 0.005) * 1000) / 1000),
];

export const DEFAULT_TTL_MS = 7 * 86_400_000;

/**
 * Work limits of the sparse index (see SparseIndexOptions): per query at most 16 prefix features and the
 * newest 256 entries of a posting list, so at most 4,096 candidates per text (linear overall). On the
 * 100k-call benchmark they cut the long-prompt group's index from 31 s to 5 s CPU and kept 100.0% of
 * the pairs at cosine >= 0.8 (docs/analysis-cache.md). Pass Infinity for exact search.
 */
export const DEFAULT_INDEX_LIMITS: Pick<SparseIndexOptions, "maxPrefixFeatures" | "maxPostings"> = { maxPrefixFeatures: 16, maxPostings: 256 };

export type SimulationOptions = {
  /** Default: the local TF-IDF embedder, fitted per group (feature + model) on its distinct compared texts. */
  embedder?: Embedder;
  tfidf?: TfidfOptions;
  thresholds?: number[];
  /** Entry lifetime; null = entries never expire. Default 7 days. */
  ttlMs?: number | null;
  /** Calls with a higher temperature are creative generation and excluded. Default 0.7. */
  maxTemperature?: number;
  template?: TemplateOptions;
  lsh?: LshOptions;
  /** Approximate-search limits for the sparse index. Default DEFAULT_INDEX_LIMITS. */
  index?: Pick<SparseIndexOptions, "maxPrefixFeatures" | "maxPostings">;
  onProgress?: (fraction: number, message: string) => void | Promise<void>;
};

/** Hits of one replay, in time order: members[hits[k]] is answered with members[served[k]]'s response. */
export type HitList = { threshold: number; hits: number[]; served: number[]; sims: number[] };

export type SimulatedGroup = {
  key: string;
  feature: string | null;
  model: string | null;
  /** Every call of the group, excluded ones included, in replay order. */
  calls: ComparedCall[];
  /** The calls a cache may serve, in replay order (hit indices point here). */
  members: ComparedCall[];
  templates: GroupTemplates | undefined;
  scopes: number;
  index: { distinctTexts: number; verifiedPairs: number; allPairs: number; exact: boolean };
  exact: HitList;
  byThreshold: HitList[];
};

export type CacheSimulation = {
  thresholds: number[];
  ttlMs: number;
  embedder: { id: string; dims: number; costUsd: number };
  calls: ComparedCall[];
  groups: SimulatedGroup[];
};

export function resolveTtl(ttlMs: number | null | undefined): number {
  const ttl = ttlMs === undefined ? DEFAULT_TTL_MS : ttlMs === null ? Infinity : ttlMs;
  if (!(ttl > 0)) throw new Error(`ttlMs must be > 0 or null, got ${ttlMs}`);
  return ttl;
}

export async function simulateCache(calls: readonly AnalysisCall[], opts: SimulationOptions = {}): Promise<CacheSimulation> {
  const thresholds = [...new Set(opts.thresholds ?? DEFAULT_THRESHOLDS)].sort((a, b) => a - b);
  if (thresholds.length === 0) throw new Error("thresholds must not be empty");
  for (const t of thresholds) if (!(t > 0 && t <= 1)) throw new Error(`thresholds must be in (0, 1], got ${t}`);
  const ttlMs = resolveTtl(opts.ttlMs);
  const progress = async (f: number, m: string) => opts.onProgress?.(f, m);

  await progress(0.02, "stripping templates and exclusions");
  const prep = prepareComparedCalls(calls, { maxTemperature: opts.maxTemperature, template: opts.template });

  // One embedding per distinct normalised compared text (the first wording seen represents it). The
  // local TF-IDF is fitted per group (feature + model) on that group's distinct texts, so document
  // frequencies reflect the feature's own vocabulary; a remote embedder embeds every text once.
  const repOf = new Map<string, number>();
  const reps: string[] = [];
  for (const c of prep.calls) {
    if (!c.excluded && !repOf.has(c.normalised)) {
      repOf.set(c.normalised, reps.length);
      reps.push(c.compared);
    }
  }
  await progress(0.1, `embedding ${reps.length} distinct texts`);
  const injected = opts.embedder;
  const dense = injected && !isSparseEmbedder(injected) ? (reps.length ? await injected.embed(reps) : []) : null;
  const embedderId = injected?.id ?? tfidfId(opts.tfidf);
  const embedderDims = injected?.dims ?? 2 ** (opts.tfidf?.hashBits ?? 20);
  const minSim = Math.max(0.05, thresholds[0] - 0.01);

  const byGroup = new Map<string, ComparedCall[]>();
  for (const c of prep.calls) {
    const list = byGroup.get(c.groupKey) ?? [];
    list.push(c);
    byGroup.set(c.groupKey, list);
  }
  const groupKeys = [...byGroup.keys()].sort();
  const groups: SimulatedGroup[] = [];
  for (let g = 0; g < groupKeys.length; g++) {
    const key = groupKeys[g];
    await progress(0.15 + (0.8 * g) / groupKeys.length, `replaying group ${g + 1} of ${groupKeys.length}`);
    const all = byGroup.get(key)!;
    const members = all.filter((c) => !c.excluded);

    // Scopes with their distinct texts (ids into the group's distinct texts).
    const groupRepOf = new Map<string, number>();
    const groupReps: string[] = [];
    const groupRepNorm: string[] = [];
    const scopeMap = new Map<string, { members: number[]; textIds: number[]; reps: number[]; local: Map<string, number> }>();
    members.forEach((c, i) => {
      let s = scopeMap.get(c.scopeKey);
      if (!s) scopeMap.set(c.scopeKey, (s = { members: [], textIds: [], reps: [], local: new Map() }));
      let id = s.local.get(c.normalised);
      if (id === undefined) {
        id = s.reps.length;
        s.local.set(c.normalised, id);
        let r = groupRepOf.get(c.normalised);
        if (r === undefined) {
          r = groupReps.length;
          groupRepOf.set(c.normalised, r);
          groupReps.push(c.compared);
          groupRepNorm.push(c.normalised);
        }
        s.reps.push(r);
      }
      s.members.push(i);
      s.textIds.push(id);
    });

    let sparse: SparseVector[] | null = null;
    let documentFrequency: (f: number) => number = () => 0;
    if (!dense && groupReps.length > 1) {
      if (injected && isSparseEmbedder(injected)) {
        sparse = injected.embedSparse(groupReps);
        documentFrequency = (f) => injected.documentFrequency(f);
      } else {
        const fitted = fitTfidfAndEmbed(groupReps, opts.tfidf);
        sparse = fitted.vectors;
        documentFrequency = (f) => fitted.embedder.documentFrequency(f);
      }
    }

    const scopes: Array<{ members: number[]; calls: ScopeCalls }> = [];
    const index = { distinctTexts: 0, verifiedPairs: 0, allPairs: 0, exact: true };
    for (const scopeKey of [...scopeMap.keys()].sort()) {
      const s = scopeMap.get(scopeKey)!;
      let graph: NeighbourGraph;
      if (s.reps.length < 2) graph = { size: s.reps.length, offsets: new Uint32Array(s.reps.length + 1), ids: new Uint32Array(0), sims: new Float64Array(0), verified: 0, exact: true };
      else if (sparse) {
        const sp = sparse;
        graph = sparseNeighbourGraph(
          s.reps.map((r) => sp[r]),
          { minSim, documentFrequency, dims: embedderDims, ...DEFAULT_INDEX_LIMITS, ...opts.index },
        );
      } else {
        const dn = dense!;
        graph = denseNeighbourGraph(s.reps.map((r) => dn[repOf.get(groupRepNorm[r])!]), minSim, { seed: hashSeed(scopeKey), ...opts.lsh });
      }
      index.verifiedPairs += graph.verified;
      index.allPairs += (s.reps.length * (s.reps.length - 1)) / 2;
      index.distinctTexts += s.reps.length;
      index.exact &&= graph.exact;
      scopes.push({
        members: s.members,
        calls: { times: Float64Array.from(s.members, (i) => members[i].call.timestamp.getTime()), textIds: Int32Array.from(s.textIds), graph },
      });
    }

    const replayAll = (threshold: number): HitList => {
      const hits: number[] = [];
      const served: number[] = [];
      const sims: number[] = [];
      for (const s of scopes) {
        const out = replayCache(s.calls, threshold, ttlMs);
        for (let i = 0; i < out.servedBy.length; i++) {
          if (out.servedBy[i] < 0) continue;
          hits.push(s.members[i]);
          served.push(s.members[out.servedBy[i]]);
          sims.push(out.sim[i]);
        }
      }
      // Hits in time order, whatever their scope.
      const order = hits.map((_, k) => k).sort((a, b) => hits[a] - hits[b]);
      return { threshold, hits: order.map((k) => hits[k]), served: order.map((k) => served[k]), sims: order.map((k) => sims[k]) };
    };

    groups.push({
      key,
      feature: all[0].call.feature,
      model: all[0].call.model,
      calls: all,
      members,
      templates: prep.groups.get(key),
      scopes: scopes.length,
      index,
      exact: { ...replayAll(Infinity), threshold: 1 },
      byThreshold: thresholds.map(replayAll),
    });
  }
  return { thresholds, ttlMs, embedder: { id: embedderId, dims: embedderDims, costUsd: injected?.costUsd() ?? 0 }, calls: prep.calls, groups };
}
