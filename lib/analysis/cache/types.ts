// The semantic-cache report: JSON-serialisable, deterministic for the same calls and options.
import type { Interval } from "../../stats/wilson";
import type { LeverFinding } from "../types";
import type { CurvePoint } from "./calibration";
import type { ExclusionReason } from "./exclusions";

export type TemplateSummary = { where: "system" | "user"; members: number; prefixChars: number; suffixChars: number; sharedLines: number; example: string };

export type ExactDuplicates = {
  hits: number;
  hitRate: number;
  wrongHits: number;
  wrongHitRate: Interval;
  savedUsd: number;
  monthlyUsd: number;
};

export type ClusterEvidence = {
  /** Calls answered by this entry, plus the entry itself. */
  size: number;
  savedUsd: number;
  monthlyUsd: number;
  wrongHits: number;
  entry: { callId: string; prompt: string; response: string };
  examples: Array<{ callId: string; prompt: string; similarity: number; response: string; agreed: boolean }>;
};

export type CacheGroupReport = {
  feature: string | null;
  model: string | null;
  calls: number;
  eligible: number;
  excluded: Partial<Record<ExclusionReason, number>>;
  scopes: number;
  templates: TemplateSummary[];
  /** Free-text responses agree at or above this cosine; "duplicates" when calibrated on identical requests. */
  freeTextAgreement: { value: number; source: "duplicates" | "default"; pairs: number };
  responseKinds: { json: number; label: number; free: number };
  eligibleCostUsd: number;
  /** Embedding + lookup cost of putting every eligible call through the cache, over the window. */
  fixedCostUsd: number;
  exactDuplicates: ExactDuplicates;
  curve: CurvePoint[];
  bootstrapIterations: number;
  recommended: null | {
    threshold: number;
    hits: number;
    hitRate: Interval;
    wrongHitRate: Interval;
    wrongHitUpper: number;
    netSavedUsd: Interval;
    monthly: Interval;
    resampledThreshold: { low: number | null; median: number | null; high: number | null; noneShare: number };
    resampledHitRate: Interval;
  };
  /** Why nothing is recommended (when recommended is null). */
  reason?: string;
  clusters: ClusterEvidence[];
  /** Work done by the similarity index (pairs verified vs all pairs within scopes); exact = no pair can be missing. */
  index: { distinctTexts: number; verifiedPairs: number; allPairs: number; exact: boolean };
};

export type CacheReport = {
  version: 1;
  embedder: { id: string; dims: number; costUsd: number };
  window: { from: string; to: string; days: number };
  settings: {
    thresholds: number[];
    ttlSeconds: number | null;
    tolerance: number;
    productionEmbeddingModel: string;
    productionEmbeddingUsdPerMillionTokens: number;
    cacheCostPerMillionLookupsUsd: number;
    maxTemperature: number;
  };
  totals: {
    calls: number;
    eligible: number;
    excluded: Partial<Record<ExclusionReason, number>>;
    exclusionReasons: Partial<Record<ExclusionReason, string>>;
    costUsd: number;
    exactDuplicateHits: number;
    exactDuplicateMonthlyUsd: number;
    recommendedMonthlyUsd: Interval;
  };
  groups: CacheGroupReport[];
  findings: LeverFinding[];
};
