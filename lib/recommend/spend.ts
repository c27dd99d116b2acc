// The project's current monthly spend, the starting bar of the savings waterfall: the last 30 days of
// the hourly rollup, extrapolated to 30 days when the project has less history than that.
import { getPool } from "../db/client";

export type MonthlySpend = {
  /** Spend per 30 days at the recent rate. */
  monthlyUsd: number;
  /** What was actually spent in the window. */
  observedUsd: number;
  from: string;
  to: string;
  /** Days of data the figure rests on (< 30 means extrapolated). */
  days: number;
};

const WINDOW_DAYS = 30;
const DAY_MS = 86_400_000;

export async function currentMonthlySpend(projectId: string, now: Date = new Date()): Promise<MonthlySpend> {
  const to = new Date(Math.ceil(now.getTime() / 3_600_000) * 3_600_000);
  const from = new Date(to.getTime() - WINDOW_DAYS * DAY_MS);
  const { rows } = await getPool().query<{ cost: number | null; first: Date | null }>(
    `SELECT sum("costUsd") AS cost, min(hour) AS first FROM "UsageHourly" WHERE "projectId" = $1 AND hour >= $2 AND hour < $3`,
    [projectId, from, to],
  );
  const observed = Number(rows[0]?.cost ?? 0);
  const first = rows[0]?.first ? new Date(rows[0].first) : null;
  // Less than a day of history is not extrapolated (one busy hour would read as a huge month).
  const days = first ? Math.max((to.getTime() - first.getTime()) / DAY_MS, 1) : WINDOW_DAYS;
  const span = Math.min(days, WINDOW_DAYS);
  return {
    monthlyUsd: (observed * WINDOW_DAYS) / span,
    observedUsd: observed,
    from: (first && first > from ? first : from).toISOString(),
    to: to.toISOString(),
    days: span,
  };
}
