// Arrival patterns: bursts (a job firing calls back to back) found from inter-arrival times, and
// hour-of-day histograms. A burst is a run of calls whose gaps are all far shorter than the feature's
// average gap (window / calls), so a busy interactive feature — many calls, Poisson-like gaps — does
// not look bursty just because it is busy, while a nightly job does.

export type Burst = { start: number; end: number; size: number; firstIndex: number };

export type BurstOptions = {
  /** A gap counts as "back to back" when shorter than averageGap / ratio. Default 10. */
  ratio?: number;
  /** Gaps longer than this never join a burst. Default 60 s. */
  maxGapMs?: number;
  /** Fewest calls in a burst. Default 20. */
  minSize?: number;
  /** Window the average gap is measured over (default: first to last arrival). */
  windowMs?: number;
};

export type BurstStats = {
  bursts: number;
  callsInBursts: number;
  shareInBursts: number;
  medianSize: number;
  medianDurationSec: number;
  /** Median gap between calls inside bursts, seconds. */
  medianGapInBurstSec: number;
  /** Coefficient of variation of all gaps (1 for Poisson arrivals, well above 1 for bursty ones). */
  gapCv: number;
  /** The gap threshold used, seconds. */
  thresholdSec: number;
};

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const s = values.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Bursts in ascending arrival times, and for each arrival the index of its burst (-1 when none). */
export function detectBursts(timesMs: readonly number[], opts: BurstOptions = {}): { bursts: Burst[]; burstOf: number[]; stats: BurstStats } {
  const n = timesMs.length;
  for (let i = 1; i < n; i++) if (timesMs[i] < timesMs[i - 1]) throw new Error("detectBursts: times must be in ascending order");
  const minSize = opts.minSize ?? 20;
  const span = opts.windowMs ?? (n > 1 ? timesMs[n - 1] - timesMs[0] : 0);
  const averageGap = n > 1 ? span / (n - 1) : Infinity;
  const threshold = Math.min(opts.maxGapMs ?? 60_000, averageGap / (opts.ratio ?? 10));
  const burstOf = new Array<number>(n).fill(-1);
  const bursts: Burst[] = [];
  const gaps: number[] = [];
  let runStart = 0;
  const close = (endIndex: number) => {
    const size = endIndex - runStart + 1;
    if (size >= minSize) {
      const b = bursts.length;
      bursts.push({ start: timesMs[runStart], end: timesMs[endIndex], size, firstIndex: runStart });
      for (let k = runStart; k <= endIndex; k++) burstOf[k] = b;
    }
  };
  for (let i = 1; i < n; i++) {
    const gap = timesMs[i] - timesMs[i - 1];
    gaps.push(gap);
    if (gap > threshold) {
      close(i - 1);
      runStart = i;
    }
  }
  if (n > 0) close(n - 1);
  const inBurst = burstOf.filter((b) => b >= 0).length;
  const burstGaps: number[] = [];
  for (let i = 1; i < n; i++) if (burstOf[i] >= 0 && burstOf[i] === burstOf[i - 1]) burstGaps.push(timesMs[i] - timesMs[i - 1]);
  const mean = gaps.length ? gaps.reduce((a, b) => a + b, 0) / gaps.length : 0;
  const sd = gaps.length ? Math.sqrt(gaps.reduce((s, g) => s + (g - mean) ** 2, 0) / gaps.length) : 0;
  return {
    bursts,
    burstOf,
    stats: {
      bursts: bursts.length,
      callsInBursts: inBurst,
      shareInBursts: n ? inBurst / n : 0,
      medianSize: median(bursts.map((b) => b.size)),
      medianDurationSec: median(bursts.map((b) => (b.end - b.start) / 1000)),
      medianGapInBurstSec: median(burstGaps) / 1000,
      gapCv: mean > 0 ? sd / mean : 0,
      thresholdSec: Number.isFinite(threshold) ? threshold / 1000 : 0,
    },
  };
}

/** Calls per hour of day (UTC), 24 bins. */
export function hourHistogram(timesMs: readonly number[]): number[] {
  const bins = new Array<number>(24).fill(0);
  for (const t of timesMs) bins[new Date(t).getUTCHours()]++;
  return bins;
}

/** Calls per UTC day in the window, as [YYYY-MM-DD, count]. */
export function dayHistogram(timesMs: readonly number[], from: number, to: number): Array<[string, number]> {
  const day = 86_400_000;
  const start = Math.floor(from / day) * day;
  const out: Array<[string, number]> = [];
  for (let d = start; d <= to; d += day) out.push([new Date(d).toISOString().slice(0, 10), 0]);
  for (const t of timesMs) {
    const i = Math.floor((t - start) / day);
    if (i >= 0 && i < out.length) out[i][1]++;
  }
  return out;
}
