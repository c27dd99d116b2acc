// A total observed over a window, extrapolated to a longer period (30 days for "$ per month"), with a
// seeded bootstrap interval. Resampling whole days keeps the day-to-day swing of traffic in the interval
// (a nightly job that ran on 3 of 7 days is uncertain; a steady stream is not); days without any value
// count as zero days. With fewer than 3 days in the window, single items are resampled instead (for
// 2,000 items or more, the normal approximation of that resampled sum).
import { bootstrapInterval, type BootstrapOptions } from "./bootstrap";
import { zForConfidence, type Interval } from "./wilson";

export type TimedValue = { time: number; value: number };

const DAY_MS = 86_400_000;
/** Item counts from which the sum's interval uses the normal approximation instead of resampling. */
const LARGE_SAMPLE = 2000;

export function periodTotal(
  items: readonly TimedValue[],
  window: { from: number; to: number },
  opts: BootstrapOptions & { periodDays?: number } = {},
): Interval {
  if (!(window.to >= window.from)) throw new Error(`window.to must not be before window.from (${window.from} > ${window.to})`);
  const periodDays = opts.periodDays ?? 30;
  // Same rule as perMonth in lib/analysis/types.ts: windows shorter than a day count as one day.
  const windowDays = Math.max((window.to - window.from) / DAY_MS, 1);
  const scale = periodDays / windowDays;
  const total = items.reduce((s, it) => s + it.value, 0);
  const dayCount = Math.ceil(windowDays);
  if (items.length === 0) return { point: 0, low: 0, high: 0 };
  if (dayCount >= 3) {
    const days = new Array<number>(dayCount).fill(0);
    for (const it of items) {
      const d = Math.min(dayCount - 1, Math.max(0, Math.floor((it.time - window.from) / DAY_MS)));
      days[d] += it.value;
    }
    const iv = bootstrapInterval(days, (sample) => sample.reduce((s, v) => s + v, 0), opts);
    // The day sums add to `total`; a day-resampled sum estimates the window total.
    return { point: total * scale, low: iv.low * scale, high: iv.high * scale };
  }
  const values = items.map((it) => it.value);
  if (values.length >= LARGE_SAMPLE) {
    // The resampled sum of many items is normal to within bootstrap noise (central limit theorem); the
    // closed form avoids iterations x items work on 100k-call windows.
    const mean = total / values.length;
    const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length;
    const half = zForConfidence(opts.confidence ?? 0.95) * Math.sqrt(values.length * variance);
    return { point: total * scale, low: (total - half) * scale, high: (total + half) * scale };
  }
  const iv = bootstrapInterval(values, (sample) => sample.reduce((s, v) => s + v, 0), opts);
  return { point: total * scale, low: iv.low * scale, high: iv.high * scale };
}
