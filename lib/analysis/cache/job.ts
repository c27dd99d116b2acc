// Job entry of the semantic-cache analysis (queue "analysis", kind "cache"): loads the project's
// production calls of the window, embeds with the configured remote endpoint (EMBEDDINGS_BASE_URL,
// vectors stored per text in the Embedding table) or the local TF-IDF, and stores the report and its
// findings on the run. The input hash covers every call's content, the params, the tolerance and the
// embedding method: a re-run over unchanged data returns the stored result instead of paying again.
import { createHash } from "node:crypto";
import { db } from "../../db/client";
import type { JobContext } from "../../queue/types";
import { embedderFromEnv } from "../embeddings/remote";
import { withEmbeddingStore } from "../embeddings/store";
import { tfidfId } from "../embeddings/tfidf";
import type { Embedder } from "../embeddings/types";
import { loadCallsForAnalysis } from "../load";
import { executeAnalysisRun, hashInputs } from "../runs";
import type { AnalysisCall } from "../types";
import { analyseCache } from "./analyse";
import type { CacheReport } from "./types";

export type CacheParams = {
  /** Days of history analysed. Default 30. */
  sinceDays?: number;
  feature?: string;
  /** Entry lifetime in hours; null = never expire. Default 168 (7 days). */
  ttlHours?: number | null;
  thresholds?: number[];
  /** Overrides Project.cacheWrongHitTolerance for this run. */
  tolerance?: number;
  cacheCostPerMillionLookupsUsd?: number;
  productionEmbeddingModel?: string;
  seed?: number;
};

function num(raw: Record<string, unknown>, field: string, ok: (n: number) => boolean, rule: string): number | undefined {
  const v = raw[field];
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v) || !ok(v)) throw new Error(`params.${field} ${rule}, got ${JSON.stringify(v)}`);
  return v;
}

/** Checks run params; errors name the field. */
export function parseCacheParams(raw: Record<string, unknown> = {}): CacheParams {
  const p: CacheParams = {
    sinceDays: num(raw, "sinceDays", (n) => n > 0 && n <= 366, "must be a number of days in (0, 366]"),
    tolerance: num(raw, "tolerance", (n) => n >= 0 && n < 1, "must be a share in [0, 1)"),
    cacheCostPerMillionLookupsUsd: num(raw, "cacheCostPerMillionLookupsUsd", (n) => n >= 0 && n <= 1e6, "must be a dollar amount >= 0"),
    seed: num(raw, "seed", Number.isInteger, "must be an integer"),
  };
  if (raw.ttlHours === null) p.ttlHours = null;
  else p.ttlHours = num(raw, "ttlHours", (n) => n > 0 && n <= 24 * 366, "must be hours in (0, 8784] or null (never expire)");
  if (raw.feature !== undefined) {
    if (typeof raw.feature !== "string" || raw.feature.length === 0 || raw.feature.length > 200) throw new Error("params.feature must be a feature name");
    p.feature = raw.feature;
  }
  if (raw.thresholds !== undefined) {
    const t = raw.thresholds;
    if (!Array.isArray(t) || t.length === 0 || t.length > 200 || !t.every((x) => typeof x === "number" && x > 0 && x <= 1)) {
      throw new Error("params.thresholds must be a list of 1-200 similarities in (0, 1]");
    }
    p.thresholds = t as number[];
  }
  if (raw.productionEmbeddingModel !== undefined) {
    if (typeof raw.productionEmbeddingModel !== "string" || !raw.productionEmbeddingModel || raw.productionEmbeddingModel.length > 200) {
      throw new Error("params.productionEmbeddingModel must be a model name");
    }
    p.productionEmbeddingModel = raw.productionEmbeddingModel;
  }
  const unknown = Object.keys(raw).filter((k) => !["sinceDays", "feature", "ttlHours", "thresholds", "tolerance", "cacheCostPerMillionLookupsUsd", "productionEmbeddingModel", "seed"].includes(k));
  if (unknown.length) throw new Error(`params.${unknown[0]} is not a cache analysis setting`);
  return p;
}

/** Digest of everything the analysis reads from the calls. */
function digestCalls(calls: readonly AnalysisCall[]): string {
  const h = createHash("sha256");
  for (const c of calls) {
    h.update(
      JSON.stringify([c.id, c.timestamp.toISOString(), c.feature, c.model, c.endpoint, c.status, c.costUsd, c.outputText, c.request, c.response === null]),
    ).update("\u0000");
  }
  return h.digest("hex");
}

export async function runCacheAnalysis(
  data: { projectId: string; runId: string; params?: Record<string, unknown> },
  ctx?: JobContext,
  deps: { embedder?: Embedder | null } = {},
): Promise<CacheReport> {
  const params = parseCacheParams(data.params ?? {});
  return executeAnalysisRun(data.runId, ctx, async (progress) => {
    const project = await db.project.findUniqueOrThrow({ where: { id: data.projectId }, select: { id: true, cacheWrongHitTolerance: true } });
    const until = new Date();
    const since = new Date(until.getTime() - (params.sinceDays ?? 30) * 86_400_000);
    await progress(0.02, "loading calls");
    const calls = await loadCallsForAnalysis(project.id, { since, until, feature: params.feature });
    const remote = deps.embedder === undefined ? embedderFromEnv() : deps.embedder;
    const embedder = remote ? withEmbeddingStore(remote, { projectId: project.id }) : undefined;
    const tolerance = params.tolerance ?? project.cacheWrongHitTolerance;
    const inputHash = hashInputs([digestCalls(calls), { ...params, sinceDays: undefined }, tolerance, embedder?.id ?? tfidfId(), "cache-report-v1"]);

    // Unchanged data and settings: the stored result is the result (and no embedding is paid for twice).
    const previous = await db.analysisRun.findFirst({
      where: { projectId: project.id, kind: "cache", status: "succeeded", inputHash, id: { not: data.runId } },
      orderBy: { finishedAt: "desc" },
      select: { result: true },
    });
    if (previous?.result) {
      const report = previous.result as unknown as CacheReport;
      await progress(1, "unchanged since the last run: result reused");
      return { result: report, findings: report.findings, inputHash, costUsd: 0 };
    }

    const report = await analyseCache(calls, {
      embedder,
      tolerance,
      ttlMs: params.ttlHours === null ? null : params.ttlHours !== undefined ? params.ttlHours * 3_600_000 : undefined,
      thresholds: params.thresholds,
      cacheCostPerMillionLookupsUsd: params.cacheCostPerMillionLookupsUsd,
      productionEmbeddingModel: params.productionEmbeddingModel,
      seed: params.seed,
      onProgress: (f, m) => progress(0.05 + 0.9 * f, m),
    });
    return { result: report, findings: report.findings, inputHash, costUsd: report.embedder.costUsd };
  });
}
