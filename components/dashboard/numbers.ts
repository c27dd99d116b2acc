// Number formats of the dashboard: dollars with as many decimals as small amounts need, percentages,
// latencies, counts. Browser-safe, locale fixed (en-US) so server and client render the same text.
export function usd(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "—";
  const a = Math.abs(n);
  const digits = a >= 100 ? 0 : a >= 1 ? 2 : a >= 0.01 ? 3 : a === 0 ? 2 : 5;
  return `${n < 0 ? "−" : ""}$${a.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })}`;
}

export function usdRange(low: number | null | undefined, high: number | null | undefined): string {
  if (low === null || low === undefined || high === null || high === undefined) return "";
  return `${usd(low)} – ${usd(high)}`;
}

export function pct(n: number | null | undefined, digits = 1): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "—";
  return `${(n * 100).toFixed(digits)}%`;
}

/** A relative change, signed ("+12.0%"), or "—" when there was nothing to compare with. */
export function change(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "—";
  return `${n >= 0 ? "+" : "−"}${Math.abs(n * 100).toFixed(1)}%`;
}

export function count(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "—";
  return Math.round(n).toLocaleString("en-US");
}

/** 1234567 -> "1.23M". */
export function compact(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "—";
  const a = Math.abs(n);
  if (a >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  if (a >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (a >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return count(n);
}

export function ms(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "—";
  return n >= 10_000 ? `${(n / 1000).toFixed(1)} s` : `${Math.round(n).toLocaleString("en-US")} ms`;
}

export const LEVER_LABELS: Record<string, string> = {
  rightsize: "Right-size",
  distill: "Distil",
  compress: "Compress",
  prefix_cache: "Prefix cache",
  cache: "Cache",
  batch: "Batch",
};

/** Colours of chart series: distinct, colour-blind friendly-ish, "other" grey. */
export const SERIES_COLOURS = ["#0f766e", "#2563eb", "#d97706", "#7c3aed", "#db2777", "#65a30d", "#0891b2", "#9ca3af"];
export function seriesColour(key: string, index: number): string {
  return key === "other" ? "#9ca3af" : SERIES_COLOURS[index % (SERIES_COLOURS.length - 1)];
}
