// The what-if calculator: start from a monthly spend, pick levers with their parameters, see the
// projection. Each lever becomes a LeverFinding over a share of the spend and goes through the same
// combineFindings as real findings, so the calculator never double counts either. Levers are laid over
// the same slices of spend starting from the first one (the largest possible overlap): the projection
// is the cautious one. Pure and browser-safe (the savings page runs it as the user types).
import type { LeverFinding } from "../analysis/types";
import { combineFindings, LEVER_ORDER, type Projection } from "./combine";

export type WhatIfLever =
  /** Move calls to a cheaper model: it costs priceRatio of the current one; fallbackShare is re-sent to the original. */
  | { lever: "rightsize"; affectedShare: number; priceRatio: number; fallbackShare: number }
  /** A small local model answers `coverage` of the calls (at no provider cost). */
  | { lever: "distill"; affectedShare: number; coverage: number }
  /** Remove tokenReduction of the input tokens; input tokens are inputCostShare of the cost. */
  | { lever: "compress"; affectedShare: number; tokenReduction: number; inputCostShare: number }
  /** cacheableShare of the input tokens read from the provider's prompt cache at `discount` off. */
  | { lever: "prefix_cache"; affectedShare: number; cacheableShare: number; discount: number; inputCostShare: number }
  /** hitRate of the calls answered from a cache. */
  | { lever: "cache"; affectedShare: number; hitRate: number }
  /** Send through the batch API at `discount` off (50% at OpenAI and Anthropic). */
  | { lever: "batch"; affectedShare: number; discount: number };

export type WhatIfInput = { currentMonthlyUsd: number; levers: WhatIfLever[] };

type LeverName = WhatIfLever["lever"];

/** Parameter names, labels and defaults of each lever, for the form and the validation. */
export const WHAT_IF_PARAMETERS: Record<LeverName, Array<{ name: string; label: string; default: number }>> = {
  rightsize: [
    { name: "affectedShare", label: "Share of spend moved", default: 0.4 },
    { name: "priceRatio", label: "Cheaper model's cost ratio", default: 0.15 },
    { name: "fallbackShare", label: "Share sent back to the original", default: 0.05 },
  ],
  distill: [
    { name: "affectedShare", label: "Share of spend (classification calls)", default: 0.2 },
    { name: "coverage", label: "Calls the local model answers", default: 0.7 },
  ],
  compress: [
    { name: "affectedShare", label: "Share of spend with a fixed prompt", default: 0.6 },
    { name: "tokenReduction", label: "Input tokens removed", default: 0.25 },
    { name: "inputCostShare", label: "Input tokens' share of cost", default: 0.7 },
  ],
  prefix_cache: [
    { name: "affectedShare", label: "Share of spend", default: 0.5 },
    { name: "cacheableShare", label: "Input tokens cached", default: 0.5 },
    { name: "discount", label: "Cached-token discount", default: 0.5 },
    { name: "inputCostShare", label: "Input tokens' share of cost", default: 0.7 },
  ],
  cache: [
    { name: "affectedShare", label: "Share of spend cacheable", default: 0.3 },
    { name: "hitRate", label: "Cache hit rate", default: 0.15 },
  ],
  batch: [
    { name: "affectedShare", label: "Share of spend that can wait", default: 0.1 },
    { name: "discount", label: "Batch discount", default: 0.5 },
  ],
};

export const WHAT_IF_LEVERS: LeverName[] = LEVER_ORDER.filter((l) => l in WHAT_IF_PARAMETERS) as LeverName[];

export function defaultLever(lever: LeverName): WhatIfLever {
  const out: Record<string, unknown> = { lever };
  for (const p of WHAT_IF_PARAMETERS[lever]) out[p.name] = p.default;
  return out as WhatIfLever;
}

/** The share of the affected spend a lever removes. */
export function leverSavingsShare(l: WhatIfLever): number {
  switch (l.lever) {
    case "rightsize":
      return (1 - l.fallbackShare) * (1 - l.priceRatio);
    case "distill":
      return l.coverage;
    case "compress":
      return l.tokenReduction * l.inputCostShare;
    case "prefix_cache":
      return l.cacheableShare * l.discount * l.inputCostShare;
    case "cache":
      return l.hitRate;
    case "batch":
      return l.discount;
  }
}

export class WhatIfError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** Checks an untrusted what-if input; errors name the field (levers[1].hitRate). */
export function parseWhatIf(raw: unknown): WhatIfInput {
  const o = (raw && typeof raw === "object" ? raw : {}) as Record<string, unknown>;
  const current = o.currentMonthlyUsd;
  if (typeof current !== "number" || !Number.isFinite(current) || current < 0 || current > 1e12) {
    throw new WhatIfError("currentMonthlyUsd", "currentMonthlyUsd must be a dollar amount of 0 or more.");
  }
  if (!Array.isArray(o.levers)) throw new WhatIfError("levers", "levers must be a list.");
  const seen = new Set<string>();
  const levers = o.levers.map((entry, i): WhatIfLever => {
    const e = (entry && typeof entry === "object" ? entry : {}) as Record<string, unknown>;
    const name = e.lever;
    if (typeof name !== "string" || !(name in WHAT_IF_PARAMETERS)) {
      throw new WhatIfError(`levers[${i}].lever`, `levers[${i}].lever must be one of ${WHAT_IF_LEVERS.join(", ")}.`);
    }
    if (seen.has(name)) throw new WhatIfError(`levers[${i}].lever`, `levers[${i}].lever: ${name} is listed twice.`);
    seen.add(name);
    const out: Record<string, unknown> = { lever: name };
    for (const p of WHAT_IF_PARAMETERS[name as LeverName]) {
      const v = e[p.name] ?? p.default;
      if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || v > 1) {
        throw new WhatIfError(`levers[${i}].${p.name}`, `levers[${i}].${p.name} (${p.label}) must be a fraction between 0 and 1.`);
      }
      out[p.name] = v;
    }
    return out as WhatIfLever;
  });
  return { currentMonthlyUsd: current, levers };
}

// Spend is cut into this many equal slices; a lever on share s acts on the first round(s x SLICES).
const SLICES = 1000;

export function whatIf(input: WhatIfInput): Projection {
  const perSlice = input.currentMonthlyUsd / SLICES;
  const findings: LeverFinding[] = input.levers.flatMap((l) => {
    const n = Math.round(Math.min(Math.max(l.affectedShare, 0), 1) * SLICES);
    if (n === 0) return [];
    const share = Math.min(Math.max(leverSavingsShare(l), 0), 1);
    const affected = perSlice * n;
    return [
      {
        lever: l.lever,
        title: l.lever,
        scope: {},
        callIds: Array.from({ length: n }, (_, i) => `slice:${i}`),
        affectedMonthlyCostUsd: affected,
        savingsShare: { point: share, low: share, high: share },
        monthly: { usd: affected * share, low: affected * share, high: affected * share },
        confidence: "medium",
        evidence: {},
        howToApply: { summary: "" },
      },
    ];
  });
  return combineFindings(input.currentMonthlyUsd, findings);
}

/** The share-setting parameter of each lever (the one a finding's measured share maps onto). */
const MAIN_PARAMETER: Record<LeverName, string> = {
  rightsize: "priceRatio",
  distill: "coverage",
  compress: "tokenReduction",
  prefix_cache: "cacheableShare",
  cache: "hitRate",
  batch: "discount",
};

const clamp01 = (x: number) => Math.min(Math.max(Number.isFinite(x) ? x : 0, 0), 1);

/**
 * Calculator levers that reproduce the project's findings: per lever, the spend its findings act on
 * (as a share of the current spend) and the main parameter set so the lever removes the same share of it
 * as the findings do together. A starting point to play with, not a second estimate.
 */
export function whatIfFromFindings(
  currentMonthlyUsd: number,
  findings: Array<Pick<LeverFinding, "lever" | "affectedMonthlyCostUsd" | "monthly">>,
): WhatIfLever[] {
  const out: WhatIfLever[] = [];
  for (const lever of WHAT_IF_LEVERS) {
    const mine = findings.filter((f) => f.lever === lever && f.affectedMonthlyCostUsd > 0);
    if (mine.length === 0 || currentMonthlyUsd <= 0) continue;
    const affected = Math.min(mine.reduce((s, f) => s + f.affectedMonthlyCostUsd, 0), currentMonthlyUsd);
    const saved = Math.min(mine.reduce((s, f) => s + Math.max(f.monthly.usd, 0), 0), affected);
    const share = affected > 0 ? saved / affected : 0;
    const l = defaultLever(lever) as Record<string, number | string>;
    l.affectedShare = clamp01(affected / currentMonthlyUsd);
    const d = (name: string) => l[name] as number;
    const main = MAIN_PARAMETER[lever];
    // Invert leverSavingsShare for the main parameter, the others at their defaults.
    l[main] = clamp01(
      lever === "rightsize"
        ? 1 - share / Math.max(1 - d("fallbackShare"), 1e-9)
        : lever === "compress"
          ? share / Math.max(d("inputCostShare"), 1e-9)
          : lever === "prefix_cache"
            ? share / Math.max(d("discount") * d("inputCostShare"), 1e-9)
            : share,
    );
    out.push(l as unknown as WhatIfLever);
  }
  return out;
}
