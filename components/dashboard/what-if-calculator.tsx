"use client";
// The what-if calculator: a monthly spend, levers with their parameters, the projection. Runs the same
// combination as the real findings (lib/recommend/what-if.ts over combineFindings) in the browser.
import { useMemo, useState } from "react";
import { defaultLever, whatIf, whatIfFromFindings, WHAT_IF_LEVERS, WHAT_IF_PARAMETERS, type WhatIfLever } from "@/lib/recommend/what-if";
import type { LeverFinding } from "@/lib/analysis/types";
import styles from "./dashboard.module.css";
import { LEVER_LABELS, pct, usd } from "./numbers";

type LeverName = WhatIfLever["lever"];
type Form = Record<LeverName, { on: boolean; values: Record<string, number> }>;

function formFrom(levers: WhatIfLever[]): Form {
  const form = {} as Form;
  for (const name of WHAT_IF_LEVERS) {
    const given = levers.find((l) => l.lever === name);
    const l = (given ?? defaultLever(name)) as unknown as Record<string, number>;
    form[name] = { on: !!given, values: Object.fromEntries(WHAT_IF_PARAMETERS[name].map((p) => [p.name, l[p.name]])) };
  }
  return form;
}

export function WhatIfCalculator(props: { currentMonthlyUsd: number; findings: Array<Pick<LeverFinding, "lever" | "affectedMonthlyCostUsd" | "monthly">> }) {
  const fromFindings = useMemo(() => whatIfFromFindings(props.currentMonthlyUsd, props.findings), [props.currentMonthlyUsd, props.findings]);
  const [spend, setSpend] = useState(String(Math.round(props.currentMonthlyUsd * 100) / 100));
  const [form, setForm] = useState<Form>(() => formFrom(fromFindings));
  const current = Number(spend);
  const valid = Number.isFinite(current) && current >= 0;
  const levers = WHAT_IF_LEVERS.filter((n) => form[n].on).map((n) => ({ lever: n, ...form[n].values }) as unknown as WhatIfLever);
  const projection = valid ? whatIf({ currentMonthlyUsd: current, levers }) : null;

  const setValue = (lever: LeverName, name: string, percent: string) => {
    const v = Math.min(Math.max(Number(percent) / 100, 0), 1);
    if (!Number.isFinite(v)) return;
    setForm({ ...form, [lever]: { ...form[lever], values: { ...form[lever].values, [name]: v } } });
  };

  return (
    <div className="stack" data-testid="what-if">
      <div className="row-end">
        <div className="field" style={{ maxWidth: "14rem" }}>
          <label htmlFor="wi-spend">Monthly spend ($)</label>
          <input id="wi-spend" className="input" inputMode="decimal" value={spend} onChange={(e) => setSpend(e.target.value)} aria-invalid={!valid || undefined} />
        </div>
        <button type="button" className="btn btn-secondary btn-small" onClick={() => setForm(formFrom(fromFindings))} disabled={fromFindings.length === 0}>
          Start from this project&apos;s findings
        </button>
        <button type="button" className="btn btn-secondary btn-small" onClick={() => setForm(formFrom([]))}>
          Clear
        </button>
      </div>
      {!valid ? <span className="field-error">Monthly spend must be a dollar amount of 0 or more.</span> : null}
      <div>
        {WHAT_IF_LEVERS.map((name) => (
          <div key={name} className={styles.leverRow}>
            <label className="row" style={{ gap: "0.4rem", fontWeight: 600 }}>
              <input
                type="checkbox"
                checked={form[name].on}
                onChange={(e) => setForm({ ...form, [name]: { ...form[name], on: e.target.checked } })}
                aria-label={`Include ${LEVER_LABELS[name]}`}
              />
              {LEVER_LABELS[name]}
            </label>
            <div className={styles.params} style={{ opacity: form[name].on ? 1 : 0.5 }}>
              {WHAT_IF_PARAMETERS[name].map((p) => (
                <div key={p.name} className="field">
                  <label htmlFor={`wi-${name}-${p.name}`} className="small">
                    {p.label} (%)
                  </label>
                  <input
                    id={`wi-${name}-${p.name}`}
                    className="input"
                    type="number"
                    min={0}
                    max={100}
                    step={1}
                    disabled={!form[name].on}
                    value={Math.round(form[name].values[p.name] * 1000) / 10}
                    onChange={(e) => setValue(name, p.name, e.target.value)}
                  />
                </div>
              ))}
            </div>
          </div>
        ))}
      </div>
      {projection ? (
        <div className="stack" style={{ gap: "0.5rem" }}>
          <div className={styles.kpis}>
            <div className={styles.kpi}>
              <div className={styles.kpiLabel}>Projected monthly spend</div>
              <div className={styles.kpiValue} data-testid="what-if-projected">{usd(projection.projectedMonthlyUsd)}</div>
            </div>
            <div className={styles.kpi}>
              <div className={styles.kpiLabel}>Saved per month</div>
              <div className={styles.kpiValue}>{usd(projection.savedUsd)}</div>
              <div className={styles.kpiSub}>{pct(current > 0 ? projection.savedUsd / current : 0)} of the spend</div>
            </div>
          </div>
          {projection.steps.length ? (
            <table className="table">
              <thead>
                <tr>
                  <th>Lever (applied in this order)</th>
                  <th className={styles.num}>On its own</th>
                  <th className={styles.num}>After the ones above</th>
                  <th className={styles.num}>Left to spend</th>
                </tr>
              </thead>
              <tbody>
                {projection.steps.map((s) => (
                  <tr key={s.lever}>
                    <td>{LEVER_LABELS[s.lever]}</td>
                    <td className={styles.num}>{usd(s.standaloneUsd)}</td>
                    <td className={styles.num}>−{usd(s.savedUsd)}</td>
                    <td className={styles.num}>{usd(s.remainingUsd)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <p className="muted small">Tick a lever to see what it would save.</p>
          )}
          <p className="muted small">
            Levers are laid over the same spend as far as their shares allow (the most overlap, so the cautious projection), and each acts on
            what the earlier ones left.
          </p>
        </div>
      ) : null}
    </div>
  );
}
