// Combines the levers' findings into one projection without double counting: levers apply in a fixed
// order (right-size, distil, compress, prefix cache, cache, batch), each on the cost that remains
// after the earlier ones. Two levers acting on the same calls therefore save less together than the
// sum of their stand-alone figures.
import type { LeverFinding } from "../analysis/types";

export const LEVER_ORDER: LeverFinding["lever"][] = ["rightsize", "distill", "compress", "prefix_cache", "cache", "batch"];

export type WaterfallStep = {
  lever: LeverFinding["lever"];
  /** Savings this lever adds on what remains after the earlier levers (point, low, high). */
  savedUsd: number;
  savedLowUsd: number;
  savedHighUsd: number;
  /** Stand-alone figure of the findings, for comparison. */
  standaloneUsd: number;
  remainingUsd: number;
  findings: number;
};

export type Projection = {
  currentMonthlyUsd: number;
  projectedMonthlyUsd: number;
  savedUsd: number;
  savedLowUsd: number;
  savedHighUsd: number;
  steps: WaterfallStep[];
};

/** What each lever saves on the findings given, before any spend is known (see projectSavings). */
export type LeverSavings = Omit<WaterfallStep, "remainingUsd">;

/**
 * Cells of spend (one per call id, or one per scope block) with the cost still left after the levers
 * applied so far, for the point estimate and both interval ends. Stored in flat typed arrays indexed
 * through a Map, because a project can have hundreds of thousands of call ids across its findings.
 */
class Cells {
  private readonly calls = new Map<string, number>();
  private readonly scopes = new Map<string, number>();
  private size = 0;
  point = new Float64Array(1024);
  low = new Float64Array(1024);
  high = new Float64Array(1024);

  private add(cost: number): number {
    if (this.size === this.point.length) {
      const grow = (a: Float64Array) => {
        const b = new Float64Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.point = grow(this.point);
      this.low = grow(this.low);
      this.high = grow(this.high);
    }
    const i = this.size++;
    this.point[i] = cost;
    this.low[i] = cost;
    this.high[i] = cost;
    return i;
  }

  /** The cell of a call; its cost is set by the first finding that names the call. */
  call(id: string, cost: number): number {
    let i = this.calls.get(id);
    if (i === undefined) {
      i = this.add(cost);
      this.calls.set(id, i);
    }
    return i;
  }

  scope(key: string, cost: number): number {
    let i = this.scopes.get(key);
    if (i === undefined) {
      i = this.add(cost);
      this.scopes.set(key, i);
    }
    return i;
  }
}

/**
 * Findings act on calls (callIds, cost spread evenly over them) or, without ids, on a scope
 * (feature/model/prompt) treated as one block. A call outside every finding keeps its cost. Remaining
 * cost is tracked separately for the point estimate and the interval ends (low savings = each lever at
 * its low share, high = at its high share). The result does not depend on the current spend, so it can
 * be kept while the spend moves (projectSavings adds it).
 */
export function leverSavings(findings: LeverFinding[]): LeverSavings[] {
  const cells = new Cells();
  const out: LeverSavings[] = [];
  for (const lever of LEVER_ORDER) {
    const mine = findings.filter((f) => f.lever === lever);
    if (mine.length === 0) continue;
    let savedPoint = 0;
    let savedLow = 0;
    let savedHigh = 0;
    for (const f of mine) {
      const share = clampShare(f.savingsShare);
      const apply = (i: number) => {
        const dp = cells.point[i] * share.point;
        const dl = cells.low[i] * share.low;
        const dh = cells.high[i] * share.high;
        cells.point[i] -= dp;
        cells.low[i] -= dl;
        cells.high[i] -= dh;
        savedPoint += dp;
        savedLow += dl;
        savedHigh += dh;
      };
      if (f.callIds && f.callIds.length > 0) {
        const per = f.affectedMonthlyCostUsd / f.callIds.length;
        for (const id of f.callIds) apply(cells.call(id, per));
      } else {
        apply(cells.scope(`${f.scope.feature ?? "*"}|${f.scope.model ?? "*"}|${f.scope.promptHash ?? "*"}`, f.affectedMonthlyCostUsd));
      }
    }
    out.push({
      lever,
      savedUsd: savedPoint,
      savedLowUsd: savedLow,
      savedHighUsd: savedHigh,
      standaloneUsd: mine.reduce((sum, f) => sum + f.monthly.usd, 0),
      findings: mine.length,
    });
  }
  return out;
}

/** The waterfall from `currentMonthlyUsd` down by each lever's savings, in lever order. */
export function projectSavings(currentMonthlyUsd: number, levers: LeverSavings[]): Projection {
  const steps: WaterfallStep[] = [];
  let remainingPoint = currentMonthlyUsd;
  let remainingLow = currentMonthlyUsd;
  let remainingHigh = currentMonthlyUsd;
  for (const lever of LEVER_ORDER) {
    const l = levers.find((x) => x.lever === lever);
    if (!l) continue;
    remainingPoint -= l.savedUsd;
    remainingLow -= l.savedLowUsd;
    remainingHigh -= l.savedHighUsd;
    steps.push({ ...l, remainingUsd: Math.max(remainingPoint, 0) });
  }
  return {
    currentMonthlyUsd,
    projectedMonthlyUsd: Math.max(remainingPoint, 0),
    savedUsd: currentMonthlyUsd - Math.max(remainingPoint, 0),
    savedLowUsd: currentMonthlyUsd - Math.max(remainingLow, 0),
    savedHighUsd: currentMonthlyUsd - Math.max(remainingHigh, 0),
    steps,
  };
}

/** `currentMonthlyUsd` is the project's monthly spend; see leverSavings for how findings act on it. */
export function combineFindings(currentMonthlyUsd: number, findings: LeverFinding[]): Projection {
  return projectSavings(currentMonthlyUsd, leverSavings(findings));
}

function clampShare(s: LeverFinding["savingsShare"]) {
  const c = (x: number) => Math.min(Math.max(Number.isFinite(x) ? x : 0, 0), 1);
  return { point: c(s.point), low: c(Math.min(s.low, s.point)), high: c(Math.max(s.high, s.point)) };
}
