"use client";
// The calls explorer's filter form. Filters live in the URL (shareable, back button works); submitting
// navigates to the same page with the new query, which the server renders.
import { usePathname, useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import styles from "./dashboard.module.css";

export type CallFilterValues = {
  from: string;
  to: string;
  model: string;
  feature: string;
  endUser: string;
  status: string;
  minCost: string;
  maxCost: string;
  unpriced: string;
  q: string;
};

const PERIODS = [
  { value: "", label: "Any time" },
  { value: "1", label: "Last 24 hours" },
  { value: "7", label: "Last 7 days" },
  { value: "30", label: "Last 30 days" },
  { value: "custom", label: "Custom" },
];

/** datetime-local wants "YYYY-MM-DDTHH:mm" in local time. */
function toLocalInput(iso: string): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

export function CallFilters(props: { values: CallFilterValues; models: string[]; features: string[]; users: string[]; exportUrl: string }) {
  const router = useRouter();
  const pathname = usePathname();
  const [v, setV] = useState(props.values);
  const [period, setPeriod] = useState(props.values.from || props.values.to ? "custom" : "");
  const set = (k: keyof CallFilterValues) => (e: { target: { value: string } }) => setV({ ...v, [k]: e.target.value });

  function submit(e: FormEvent) {
    e.preventDefault();
    const q = new URLSearchParams();
    let { from, to } = v;
    if (period && period !== "custom") {
      from = new Date(Date.now() - Number(period) * 86_400_000).toISOString();
      to = "";
    }
    const entries: Array<[string, string]> = [
      ["from", from],
      ["to", to],
      ["model", v.model],
      ["feature", v.feature],
      ["endUser", v.endUser],
      ["status", v.status],
      ["minCost", v.minCost],
      ["maxCost", v.maxCost],
      ["unpriced", v.unpriced],
      ["q", v.q],
    ];
    for (const [k, val] of entries) if (val.trim()) q.set(k, val.trim());
    router.push(q.size ? `${pathname}?${q}` : pathname);
  }

  return (
    <form onSubmit={submit} className="stack" style={{ gap: "0.75rem" }} aria-label="Filter calls">
      <div className={styles.filters}>
        <div className="field">
          <label htmlFor="f-period">Time</label>
          <select id="f-period" className="select" value={period} onChange={(e) => setPeriod(e.target.value)}>
            {PERIODS.map((p) => (
              <option key={p.value} value={p.value}>
                {p.label}
              </option>
            ))}
          </select>
        </div>
        {period === "custom" ? (
          <>
            <div className="field">
              <label htmlFor="f-from">From</label>
              <input
                id="f-from"
                className="input"
                type="datetime-local"
                value={toLocalInput(v.from)}
                onChange={(e) => setV({ ...v, from: e.target.value ? new Date(e.target.value).toISOString() : "" })}
              />
            </div>
            <div className="field">
              <label htmlFor="f-to">To</label>
              <input
                id="f-to"
                className="input"
                type="datetime-local"
                value={toLocalInput(v.to)}
                onChange={(e) => setV({ ...v, to: e.target.value ? new Date(e.target.value).toISOString() : "" })}
              />
            </div>
          </>
        ) : null}
        <div className="field">
          <label htmlFor="f-model">Model</label>
          <input id="f-model" className="input" list="f-models" value={v.model} onChange={set("model")} placeholder="any" />
          <datalist id="f-models">{props.models.map((m) => <option key={m} value={m} />)}</datalist>
        </div>
        <div className="field">
          <label htmlFor="f-feature">Feature</label>
          <input id="f-feature" className="input" list="f-features" value={v.feature} onChange={set("feature")} placeholder="any" />
          <datalist id="f-features">{props.features.map((m) => <option key={m} value={m} />)}</datalist>
        </div>
        <div className="field">
          <label htmlFor="f-user">User</label>
          <input id="f-user" className="input" list="f-users" value={v.endUser} onChange={set("endUser")} placeholder="any" />
          <datalist id="f-users">{props.users.map((m) => <option key={m} value={m} />)}</datalist>
        </div>
        <div className="field">
          <label htmlFor="f-status">Status</label>
          <select id="f-status" className="select" value={v.status} onChange={set("status")}>
            <option value="">Any</option>
            <option value="ok">OK</option>
            <option value="error">Error</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="f-min">Min cost ($)</label>
          <input id="f-min" className="input" inputMode="decimal" value={v.minCost} onChange={set("minCost")} placeholder="0" />
        </div>
        <div className="field">
          <label htmlFor="f-max">Max cost ($)</label>
          <input id="f-max" className="input" inputMode="decimal" value={v.maxCost} onChange={set("maxCost")} placeholder="any" />
        </div>
        <div className="field">
          <label htmlFor="f-unpriced">Price</label>
          <select id="f-unpriced" className="select" value={v.unpriced} onChange={set("unpriced")}>
            <option value="">Any</option>
            <option value="1">Unpriced only</option>
          </select>
        </div>
        <div className="field" style={{ gridColumn: "span 2" }}>
          <label htmlFor="f-q">Search text</label>
          <input id="f-q" className="input" type="search" value={v.q} onChange={set("q")} placeholder="in answers, or an exact event id" />
        </div>
      </div>
      <div className="row">
        <button type="submit" className="btn">
          Apply filters
        </button>
        <button
          type="button"
          className="btn btn-secondary"
          onClick={() => {
            setPeriod("");
            setV({ from: "", to: "", model: "", feature: "", endUser: "", status: "", minCost: "", maxCost: "", unpriced: "", q: "" });
            router.push(pathname);
          }}
        >
          Clear
        </button>
        <span className="spacer" />
        <a className="btn btn-secondary" href={props.exportUrl} download data-testid="export-csv">
          Export CSV
        </a>
      </div>
    </form>
  );
}
