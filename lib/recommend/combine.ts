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

type Cell = { cost: number; point: number; low: number; high: number };

/**
 * `currentMonthlyUsd` is the project's monthly spend. Findings act on calls (callIds, cost spread evenly
 * over them) or, without ids, on a scope (feature/model) treated as one block. A call outside every
 * finding keeps its cost. Remaining cost is tracked separately for the point estimate and the interval
 * ends (low savings = each lever at its low share, high = at its high share).
 */
export function combineFindings(currentMonthlyUsd: number, findings: LeverFinding[]): Projection {
  const cells = new Map<string, Cell>();
  const cellFor = (key: string, cost: number): Cell => {
    let c = cells.get(key);
    if (!c) {
      c = { cost, point: cost, low: cost, high: cost };
      cells.set(key, c);
    }
    return c;
  };
  const steps: WaterfallStep[] = [];
  let remainingPoint = currentMonthlyUsd;
  let remainingLow = currentMonthlyUsd;
  let remainingHigh = currentMonthlyUsd;

  for (const lever of LEVER_ORDER) {
    const mine = findings.filter((f) => f.lever === lever);
    let savedPoint = 0;
    let savedLow = 0;
    let savedHigh = 0;
    for (const f of mine) {
      const share = clampShare(f.savingsShare);
      const targets: Cell[] = [];
      if (f.callIds && f.callIds.length > 0) {
        const per = f.affectedMonthlyCostUsd / f.callIds.length;
        for (const id of f.callIds) targets.push(cellFor(`call:${id}`, per));
      } else {
        targets.push(cellFor(`scope:${f.scope.feature ?? "*"}|${f.scope.model ?? "*"}|${f.scope.promptHash ?? "*"}`, f.affectedMonthlyCostUsd));
      }
      for (const c of targets) {
        const dp = c.point * share.point;
        const dl = c.low * share.low;
        const dh = c.high * share.high;
        c.point -= dp;
        c.low -= dl;
        c.high -= dh;
        savedPoint += dp;
        savedLow += dl;
        savedHigh += dh;
      }
    }
    remainingPoint -= savedPoint;
    remainingLow -= savedLow;
    remainingHigh -= savedHigh;
    if (mine.length > 0) {
      steps.push({
        lever,
        savedUsd: savedPoint,
        savedLowUsd: savedLow,
        savedHighUsd: savedHigh,
        standaloneUsd: mine.reduce((s, f) => s + f.monthly.usd, 0),
        remainingUsd: Math.max(remainingPoint, 0),
        findings: mine.length,
      });
    }
  }
  const saved = currentMonthlyUsd - Math.max(remainingPoint, 0);
  return {
    currentMonthlyUsd,
    projectedMonthlyUsd: Math.max(remainingPoint, 0),
    savedUsd: saved,
    savedLowUsd: currentMonthlyUsd - Math.max(remainingLow, 0),
    savedHighUsd: currentMonthlyUsd - Math.max(remainingHigh, 0),
    steps,
  };
}

function clampShare(s: LeverFinding["savingsShare"]) {
  const c = (x: number) => Math.min(Math.max(Number.isFinite(x) ? x : 0, 0), 1);
  return { point: c(s.point), low: c(Math.min(s.low, s.point)), high: c(Math.max(s.high, s.point)) };
}
