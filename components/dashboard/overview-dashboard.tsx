"use client";
// The overview of a project with calls: a range picker, the headline figures with their change against
// the previous period of equal length, and spend over time stacked by model, feature or user. All of it
// comes from the overview route (the hourly rollup), refetched when the range changes.
import { useState, type ReactNode } from "react";
import type { Breakdown, Overview } from "@/lib/dashboard/overview";
import styles from "./dashboard.module.css";
import { change, compact, count, ms, pct, seriesColour, usd } from "./numbers";
import { rangeQuery, type RangeChoice, type RangePreset } from "./range";
import { SpendChart } from "./spend-chart";

const BREAKDOWNS: Array<{ key: Breakdown; label: string }> = [
  { key: "model", label: "By model" },
  { key: "feature", label: "By feature" },
  { key: "endUser", label: "By user" },
];
const PRESETS: Array<{ key: RangePreset; label: string }> = [
  { key: "24h", label: "24 hours" },
  { key: "7d", label: "7 days" },
  { key: "30d", label: "30 days" },
];

/** Up is bad for spend, errors and latency: coloured; request volume is neither good nor bad. */
function Delta({ value, neutral = false, format = change }: { value: number | null; neutral?: boolean; format?: (n: number | null) => string }) {
  if (value === null || !Number.isFinite(value)) return <span className={styles.kpiSub}>no previous data</span>;
  return (
    <span className={value === 0 || neutral ? undefined : value > 0 ? styles.up : styles.down}>
      {format(value)} <span className="muted">vs previous</span>
    </span>
  );
}

function Kpi({ label, value, sub, testId }: { label: string; value: string; sub?: ReactNode; testId?: string }) {
  return (
    <div className={styles.kpi} data-testid={testId}>
      <div className={styles.kpiLabel}>{label}</div>
      <div className={styles.kpiValue} title={value}>
        {value}
      </div>
      {sub ? <div className={styles.kpiSub}>{sub}</div> : null}
    </div>
  );
}

function today(offsetDays = 0): string {
  return new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);
}

export function OverviewDashboard(props: { apiUrl: string; initial: { overview: Overview; choice: RangeChoice }; timeZone: string; callsPath: string }) {
  const [data, setData] = useState(props.initial);
  const [breakdown, setBreakdown] = useState<Breakdown>("model");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [custom, setCustom] = useState({ from: today(-14), to: today() });
  const [showCustom, setShowCustom] = useState(props.initial.choice.preset === "custom");

  async function load(choice: RangeChoice) {
    setBusy(true);
    setError(null);
    try {
      const res = await fetch(`${props.apiUrl}?${rangeQuery(choice)}`, { credentials: "same-origin" });
      const body = await res.json();
      if (!res.ok) throw new Error(body.error ?? `Request failed (${res.status}).`);
      setData(body);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  const o = data.overview;
  const t = o.totals;
  const series = o.series[breakdown];
  const totalsByKey = series.keys.map((k) => ({ key: k, cost: series.points.reduce((s, p) => s + (p.values[k] ?? 0), 0) }));
  const seriesTotal = totalsByKey.reduce((s, r) => s + r.cost, 0);
  const current = data.choice.preset;

  return (
    <div className="stack" aria-busy={busy}>
      <div className={styles.toolbar}>
        <div className="tabs" role="tablist" aria-label="Time range" style={{ marginBottom: 0 }}>
          {PRESETS.map((p) => (
            <button
              key={p.key}
              type="button"
              role="tab"
              className="tab"
              aria-selected={current === p.key}
              disabled={busy}
              onClick={() => {
                setShowCustom(false);
                void load({ preset: p.key });
              }}
            >
              {p.label}
            </button>
          ))}
          <button type="button" role="tab" className="tab" aria-selected={current === "custom" || showCustom} onClick={() => setShowCustom(true)}>
            Custom
          </button>
        </div>
        {showCustom ? (
          <form
            className="row-end"
            onSubmit={(e) => {
              e.preventDefault();
              void load({ preset: "custom", from: custom.from, to: custom.to });
            }}
          >
            <div className="field">
              <label htmlFor="range-from">From</label>
              <input id="range-from" className="input" type="date" value={custom.from} onChange={(e) => setCustom({ ...custom, from: e.target.value })} />
            </div>
            <div className="field">
              <label htmlFor="range-to">To (inclusive)</label>
              <input id="range-to" className="input" type="date" value={custom.to} onChange={(e) => setCustom({ ...custom, to: e.target.value })} />
            </div>
            <button type="submit" className="btn btn-secondary" disabled={busy}>
              Apply
            </button>
          </form>
        ) : null}
        <span className="spacer" />
        <span className="muted small">{busy ? "Loading…" : `Compared with the ${o.range.bucket === "hour" ? "previous period" : "previous period of equal length"}`}</span>
      </div>
      {error ? (
        <div className="form-error" role="alert">
          {error}
        </div>
      ) : null}

      <div className={styles.kpis}>
        <Kpi label="Spend" value={usd(t.costUsd)} sub={<Delta value={o.change.costUsd} />} testId="kpi-spend" />
        <Kpi label="Requests" value={count(t.requests)} sub={<Delta value={o.change.requests} neutral />} testId="kpi-requests" />
        <Kpi label="Tokens in / out" value={`${compact(t.inputTokens)} / ${compact(t.outputTokens)}`} sub={t.unpricedRequests ? `${count(t.unpricedRequests)} unpriced calls` : "all calls priced"} />
        <Kpi label="Cached input" value={pct(t.cachedShare)} sub={`${compact(t.cachedInputTokens)} tokens from the provider cache`} />
        <Kpi
          label="Error rate"
          value={pct(t.errorRate, 2)}
          sub={<Delta value={o.change.errorRate} format={(n) => (n === null ? "—" : `${n >= 0 ? "+" : "−"}${Math.abs(n * 100).toFixed(2)} pts`)} />}
        />
        <Kpi label="Latency p50 / p95" value={`${ms(t.latencyP50Ms)} / ${ms(t.latencyP95Ms)}`} sub={<Delta value={o.change.latencyP95Ms} />} />
      </div>

      <section className="card" aria-labelledby="spend-heading">
        <div className="card-head">
          <h2 id="spend-heading">Spend over time</h2>
          <div className="tabs" role="tablist" aria-label="Break spend down" style={{ marginBottom: 0 }}>
            {BREAKDOWNS.map((b) => (
              <button key={b.key} type="button" role="tab" className="tab" aria-selected={breakdown === b.key} onClick={() => setBreakdown(b.key)}>
                {b.label}
              </button>
            ))}
          </div>
        </div>
        {t.requests === 0 ? (
          <p className="muted">No calls in this range. Pick a longer one, or look at the <a href={props.callsPath}>calls</a>.</p>
        ) : (
          <>
            {series.bucket !== o.range.bucket ? (
              <p className="muted small" data-testid="series-grain-note">
                Spend by user is rolled up per UTC day: this chart and table cover the whole days {series.from.slice(0, 10)} to{" "}
                {new Date(Date.parse(series.to) - 1).toISOString().slice(0, 10)}.
              </p>
            ) : null}
            <SpendChart keys={series.keys} points={series.points} bucket={series.bucket} timeZone={props.timeZone} testId="spend-chart" />
            <div className="table-wrap">
              <table className="table" data-testid="breakdown-table">
                <thead>
                  <tr>
                    <th>{BREAKDOWNS.find((b) => b.key === breakdown)!.label.replace("By ", "")}</th>
                    <th className={styles.num}>Spend</th>
                    <th className={styles.num}>Share</th>
                  </tr>
                </thead>
                <tbody>
                  {totalsByKey.map((r, i) => (
                    <tr key={r.key}>
                      <td>
                        <span className={styles.swatch} style={{ background: seriesColour(r.key, i) }} aria-hidden />
                        {r.key}
                      </td>
                      <td className={styles.num}>{usd(r.cost)}</td>
                      <td className={styles.num}>{pct(seriesTotal > 0 ? r.cost / seriesTotal : 0)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        )}
      </section>
    </div>
  );
}
