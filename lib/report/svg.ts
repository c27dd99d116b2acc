// Small inline SVG charts for the self-contained HTML report: no library, no external resource, text
// escaped. Each function returns one <svg> element sized by its viewBox (the page's CSS makes it fluid).

import { escapeHtml } from "../html/escape";

const fmt = (x: number, digits = 2) => (Number.isFinite(x) ? Number(x.toFixed(digits)).toString() : "0");

/** A "nice" axis maximum (1, 2, 2.5, 5 x 10^k) at or above max. */
export function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

type Frame = { width: number; height: number; left: number; right: number; top: number; bottom: number };

function gridY(f: Frame, max: number, label: (v: number) => string, ticks = 4): string {
  const out: string[] = [];
  for (let i = 0; i <= ticks; i++) {
    const v = (max * i) / ticks;
    const y = f.height - f.bottom - ((f.height - f.top - f.bottom) * i) / ticks;
    out.push(`<line x1="${f.left}" x2="${f.width - f.right}" y1="${fmt(y)}" y2="${fmt(y)}" class="grid"/>`);
    out.push(`<text x="${f.left - 6}" y="${fmt(y + 4)}" text-anchor="end" class="tick">${escapeHtml(label(v))}</text>`);
  }
  return out.join("");
}

export type Bar = { label: string; value: number; title?: string };

/** Vertical bars (e.g. spend per day); every nth label shown so they never overlap. */
export function columnChartSvg(bars: Bar[], opts: { valueLabel: (v: number) => string; ariaLabel: string; width?: number; height?: number }): string {
  const f: Frame = { width: opts.width ?? 760, height: opts.height ?? 220, left: 64, right: 12, top: 12, bottom: 36 };
  const max = niceMax(Math.max(0, ...bars.map((b) => b.value)));
  const plotW = f.width - f.left - f.right;
  const plotH = f.height - f.top - f.bottom;
  const step = bars.length ? plotW / bars.length : plotW;
  const every = Math.max(1, Math.ceil(bars.length / 10));
  const parts = [gridY(f, max, opts.valueLabel)];
  bars.forEach((b, i) => {
    const h = (Math.max(0, b.value) / max) * plotH;
    const x = f.left + i * step;
    parts.push(
      `<rect x="${fmt(x + step * 0.1)}" y="${fmt(f.height - f.bottom - h)}" width="${fmt(step * 0.8)}" height="${fmt(h)}" class="bar"><title>${escapeHtml(b.title ?? `${b.label}: ${opts.valueLabel(b.value)}`)}</title></rect>`,
    );
    if (i % every === 0) parts.push(`<text x="${fmt(x + step / 2)}" y="${f.height - f.bottom + 16}" text-anchor="middle" class="tick">${escapeHtml(b.label)}</text>`);
  });
  return `<svg viewBox="0 0 ${f.width} ${f.height}" role="img" aria-label="${escapeHtml(opts.ariaLabel)}">${parts.join("")}</svg>`;
}

/** Horizontal bars with their labels and values (e.g. spend by feature). */
export function barChartSvg(bars: Bar[], opts: { valueLabel: (v: number) => string; ariaLabel: string; width?: number }): string {
  const width = opts.width ?? 760;
  const rowH = 26;
  const labelW = 220;
  const valueW = 110;
  const height = Math.max(1, bars.length) * rowH + 8;
  const max = Math.max(0, ...bars.map((b) => b.value)) || 1;
  const plotW = width - labelW - valueW - 8;
  const parts = bars.map((b, i) => {
    const y = 4 + i * rowH;
    const w = (Math.max(0, b.value) / max) * plotW;
    const label = b.label.length > 32 ? `${b.label.slice(0, 31)}…` : b.label;
    return (
      `<text x="${labelW - 8}" y="${y + 17}" text-anchor="end" class="label">${escapeHtml(label)}</text>` +
      `<rect x="${labelW}" y="${y + 4}" width="${fmt(Math.max(w, 1))}" height="${rowH - 8}" class="bar"><title>${escapeHtml(b.title ?? `${b.label}: ${opts.valueLabel(b.value)}`)}</title></rect>` +
      `<text x="${fmt(labelW + Math.max(w, 1) + 6)}" y="${y + 17}" class="value">${escapeHtml(opts.valueLabel(b.value))}</text>`
    );
  });
  return `<svg viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(opts.ariaLabel)}">${parts.join("")}</svg>`;
}

export type WaterfallBar = { label: string; start: number; end: number; kind: "total" | "step" };

/** Current spend, one falling step per lever, projected spend. */
export function waterfallSvg(bars: WaterfallBar[], opts: { valueLabel: (v: number) => string; ariaLabel: string; width?: number; height?: number }): string {
  const f: Frame = { width: opts.width ?? 760, height: opts.height ?? 260, left: 72, right: 12, top: 20, bottom: 40 };
  const max = niceMax(Math.max(0, ...bars.flatMap((b) => [b.start, b.end])));
  const plotW = f.width - f.left - f.right;
  const plotH = f.height - f.top - f.bottom;
  const step = bars.length ? plotW / bars.length : plotW;
  const y = (v: number) => f.height - f.bottom - (Math.max(0, v) / max) * plotH;
  const parts = [gridY(f, max, opts.valueLabel)];
  bars.forEach((b, i) => {
    const x = f.left + i * step + step * 0.15;
    const w = step * 0.7;
    const top = y(Math.max(b.start, b.end));
    const h = Math.max(1, Math.abs(y(b.start) - y(b.end)));
    const delta = b.kind === "step" ? b.end - b.start : b.end;
    parts.push(
      `<rect x="${fmt(x)}" y="${fmt(top)}" width="${fmt(w)}" height="${fmt(h)}" class="${b.kind === "total" ? "bar" : "saving"}"><title>${escapeHtml(`${b.label}: ${opts.valueLabel(delta)}`)}</title></rect>`,
    );
    parts.push(`<text x="${fmt(x + w / 2)}" y="${fmt(top - 5)}" text-anchor="middle" class="value">${escapeHtml(opts.valueLabel(delta))}</text>`);
    parts.push(`<text x="${fmt(x + w / 2)}" y="${f.height - f.bottom + 16}" text-anchor="middle" class="tick">${escapeHtml(b.label)}</text>`);
    if (i + 1 < bars.length) {
      parts.push(`<line x1="${fmt(x + w)}" x2="${fmt(x + step)}" y1="${fmt(y(b.end))}" y2="${fmt(y(b.end))}" class="connector"/>`);
    }
  });
  return `<svg viewBox="0 0 ${f.width} ${f.height}" role="img" aria-label="${escapeHtml(opts.ariaLabel)}">${parts.join("")}</svg>`;
}

export type Series = { name: string; className: string; points: Array<{ x: number; y: number; low?: number; high?: number }> };

/**
 * Lines over x (e.g. the cache threshold curve): each series with an optional shaded interval, an optional
 * horizontal reference (the tolerance) and a vertical marker (the recommended threshold).
 */
export function lineChartSvg(
  series: Series[],
  opts: {
    ariaLabel: string;
    xLabel: (v: number) => string;
    yLabel: (v: number) => string;
    yMax?: number;
    reference?: { y: number; label: string };
    marker?: { x: number; label: string };
    width?: number;
    height?: number;
  },
): string {
  const f: Frame = { width: opts.width ?? 360, height: opts.height ?? 200, left: 52, right: 10, top: 14, bottom: 34 };
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const xMin = xs.length ? Math.min(...xs) : 0;
  const xMax = xs.length ? Math.max(...xs) : 1;
  const yMax = opts.yMax ?? niceMax(Math.max(opts.reference?.y ?? 0, ...series.flatMap((s) => s.points.map((p) => Math.max(p.y, p.high ?? 0)))));
  const plotW = f.width - f.left - f.right;
  const plotH = f.height - f.top - f.bottom;
  const X = (v: number) => f.left + (xMax > xMin ? ((v - xMin) / (xMax - xMin)) * plotW : plotW / 2);
  const Y = (v: number) => f.height - f.bottom - (Math.min(Math.max(v, 0), yMax) / yMax) * plotH;
  const parts = [gridY(f, yMax, opts.yLabel)];
  const xTicks: Array<[number, string]> = [
    [xMin, "start"],
    [(xMin + xMax) / 2, "middle"],
    [xMax, "end"],
  ];
  for (const [v, anchor] of xTicks) parts.push(`<text x="${fmt(X(v))}" y="${f.height - f.bottom + 16}" text-anchor="${anchor}" class="tick">${escapeHtml(opts.xLabel(v))}</text>`);
  for (const s of series) {
    const banded = s.points.filter((p) => p.low !== undefined && p.high !== undefined);
    if (banded.length > 1) {
      const upper = banded.map((p) => `${fmt(X(p.x))},${fmt(Y(p.high!))}`);
      const lower = banded.map((p) => `${fmt(X(p.x))},${fmt(Y(p.low!))}`).reverse();
      parts.push(`<polygon points="${[...upper, ...lower].join(" ")}" class="band ${s.className}"/>`);
    }
    if (s.points.length) parts.push(`<polyline points="${s.points.map((p) => `${fmt(X(p.x))},${fmt(Y(p.y))}`).join(" ")}" class="line ${s.className}"><title>${escapeHtml(s.name)}</title></polyline>`);
  }
  if (opts.reference) {
    const y = Y(opts.reference.y);
    parts.push(`<line x1="${f.left}" x2="${f.width - f.right}" y1="${fmt(y)}" y2="${fmt(y)}" class="reference"/>`);
    parts.push(`<text x="${f.width - f.right - 2}" y="${fmt(y - 4)}" text-anchor="end" class="tick">${escapeHtml(opts.reference.label)}</text>`);
  }
  if (opts.marker) {
    const x = X(opts.marker.x);
    parts.push(`<line x1="${fmt(x)}" x2="${fmt(x)}" y1="${f.top}" y2="${f.height - f.bottom}" class="marker"/>`);
    parts.push(`<text x="${fmt(x + 3)}" y="${f.top + 10}" class="tick">${escapeHtml(opts.marker.label)}</text>`);
  }
  return `<svg viewBox="0 0 ${f.width} ${f.height}" role="img" aria-label="${escapeHtml(opts.ariaLabel)}">${parts.join("")}</svg>`;
}
