"use client";
// A finding's evidence. Each analysis stores its own JSON; the most useful parts of the known levers get
// a dedicated view (cache clusters, the prompt diff of a compression, the model-fit figures and
// disagreements), and everything else is shown generically: arrays of objects as tables, objects as
// key/value lists, long text as blocks. An analysis added later needs nothing here to be readable.
import { Fragment, type ReactNode } from "react";
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { diffPrompts } from "@/lib/recommend/prompt-diff";
import styles from "./dashboard.module.css";
import { count, pct, usd } from "./numbers";

type Json = unknown;
type Obj = Record<string, Json>;

const isObj = (v: Json): v is Obj => !!v && typeof v === "object" && !Array.isArray(v);
const isInterval = (v: Json): v is { point: number; low: number; high: number } =>
  isObj(v) && typeof v.point === "number" && typeof v.low === "number" && typeof v.high === "number" && Object.keys(v).length <= 4;

/** camelCase / snake_case key -> "Camel case". */
export function humanKey(key: string): string {
  const words = key.replace(/_/g, " ").replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase().trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function formatNumber(key: string, n: number): string {
  if (/usd|cost|saved|spend|price/i.test(key)) return usd(n);
  if (/rate|share|agreement|ratio|similarity|threshold|tolerance|confidence/i.test(key) && n >= 0 && n <= 1) {
    return /threshold|similarity/i.test(key) ? n.toFixed(3) : pct(n, 1);
  }
  return Number.isInteger(n) ? count(n) : n.toLocaleString("en-US", { maximumSignificantDigits: 4 });
}

function short(v: Json, key: string, max = 140): string {
  if (v === null || v === undefined) return "—";
  if (typeof v === "number") return formatNumber(key, v);
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (typeof v === "string") return v.length > max ? `${v.slice(0, max)}…` : v;
  if (isInterval(v)) return `${formatNumber(key, v.point)} (${formatNumber(key, v.low)} – ${formatNumber(key, v.high)})`;
  const s = JSON.stringify(v);
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

function Table({ rows, name }: { rows: Obj[]; name: string }) {
  const columns: string[] = [];
  for (const r of rows.slice(0, 20)) for (const k of Object.keys(r)) if (!columns.includes(k) && columns.length < 8) columns.push(k);
  const shown = rows.slice(0, 25);
  return (
    <div className="table-wrap">
      <table className="table" data-evidence-table={name}>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c}>{humanKey(c)}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {shown.map((r, i) => (
            <tr key={i}>
              {columns.map((c) => (
                <td key={c} className={typeof r[c] === "number" ? styles.num : undefined} title={typeof r[c] === "string" && (r[c] as string).length > 140 ? (r[c] as string) : undefined}>
                  {short(r[c], c)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length > shown.length ? <p className="muted small">and {count(rows.length - shown.length)} more</p> : null}
    </div>
  );
}

/** Any JSON value, readably. */
export function GenericValue({ value, name = "", depth = 0 }: { value: Json; name?: string; depth?: number }): ReactNode {
  if (Array.isArray(value)) {
    if (value.length === 0) return <span className="muted">none</span>;
    if (value.every(isObj) && !value.every(isInterval)) return <Table rows={value as Obj[]} name={name} />;
    if (value.every((x) => typeof x !== "object" || x === null)) {
      const list = value.slice(0, 30).map((x) => short(x, name, 80));
      return <span>{list.join(", ")}{value.length > 30 ? ` and ${value.length - 30} more` : ""}</span>;
    }
    return <pre className={`${styles.pre} ${styles.mono}`}>{JSON.stringify(value, null, 2).slice(0, 4000)}</pre>;
  }
  if (isObj(value) && !isInterval(value)) {
    if (depth >= 3) return <code>{short(value, name, 200)}</code>;
    const entries = Object.entries(value);
    if (entries.length === 0) return <span className="muted">—</span>;
    return (
      <table className={styles.kv}>
        <tbody>
          {entries.map(([k, v]) => (
            <tr key={k}>
              <th>{humanKey(k)}</th>
              <td>
                <GenericValue value={v} name={k} depth={depth + 1} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    );
  }
  if (typeof value === "string" && (value.length > 200 || value.includes("\n"))) return <pre className={styles.pre}>{value}</pre>;
  return <span>{short(value, name, 400)}</span>;
}

export function PromptDiff({ original, candidate }: { original: string; candidate: string }) {
  const { parts, unit } = diffPrompts(original, candidate);
  const removed = parts.filter((p) => p.kind === "removed").reduce((s, p) => s + p.text.length, 0);
  return (
    <div className="stack" style={{ gap: "0.4rem" }}>
      <div className="muted small">
        Prompt diff by {unit}: <span className={styles.removed}>removed</span> <span className={styles.added}>added</span> · {count(original.length)} → {count(candidate.length)} characters
        {removed ? ` (${pct(removed / Math.max(original.length, 1), 0)} removed)` : ""}
      </div>
      <div className={styles.diff} data-testid="prompt-diff">
        {parts.map((p, i) =>
          p.kind === "same" ? <Fragment key={i}>{p.text}</Fragment> : <span key={i} className={p.kind === "removed" ? styles.removed : styles.added}>{p.text}</span>,
        )}
      </div>
    </div>
  );
}

function Figures({ evidence, keys }: { evidence: Obj; keys: string[] }) {
  const present = keys.filter((k) => evidence[k] !== undefined && evidence[k] !== null);
  if (present.length === 0) return null;
  return (
    <table className={styles.kv}>
      <tbody>
        {present.map((k) => (
          <tr key={k}>
            <th>{humanKey(k)}</th>
            <td>{short(evidence[k], k, 300)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function CacheClusters({ clusters, callHref }: { clusters: Obj[]; callHref: (id: string) => string }) {
  return (
    <div className="stack" style={{ gap: "0.6rem" }} data-testid="cache-clusters">
      <h4 style={{ margin: 0 }}>Questions answered before ({count(clusters.length)} clusters)</h4>
      {clusters.slice(0, 6).map((c, i) => {
        const entry = isObj(c.entry) ? c.entry : {};
        const examples = Array.isArray(c.examples) ? (c.examples as Obj[]) : [];
        return (
          <div key={i} className={styles.message}>
            <div className={`${styles.recMeta} small`}>
              {count(c.size as number)} calls · saves {usd(c.monthlyUsd as number)}/month · {count((c.wrongHits as number) ?? 0)} wrong hits
            </div>
            <div>
              <strong>Cached:</strong> {short(entry.prompt, "prompt", 300)}{" "}
              {typeof entry.callId === "string" ? <a href={callHref(entry.callId)}>call</a> : null}
            </div>
            <div className="muted small">Answer: {short(entry.response, "response", 200)}</div>
            {examples.length ? (
              <table className="table" style={{ marginTop: "0.4rem" }}>
                <thead>
                  <tr>
                    <th>Later question</th>
                    <th className={styles.num}>Similarity</th>
                    <th>Same answer</th>
                  </tr>
                </thead>
                <tbody>
                  {examples.slice(0, 5).map((e, j) => (
                    <tr key={j}>
                      <td>
                        {typeof e.callId === "string" ? <a href={callHref(e.callId)}>{short(e.prompt, "prompt", 160)}</a> : short(e.prompt, "prompt", 160)}
                      </td>
                      <td className={styles.num}>{typeof e.similarity === "number" ? e.similarity.toFixed(3) : "—"}</td>
                      <td>{e.agreed ? <span className="badge badge-ok">yes</span> : <span className="badge badge-off">no</span>}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : null}
          </div>
        );
      })}
    </div>
  );
}

function Disagreements({ rows, callHref }: { rows: Obj[]; callHref: (id: string) => string }) {
  return (
    <div className="table-wrap">
      <h4 style={{ margin: "0 0 0.3rem" }}>Where the cheaper model answered differently</h4>
      <table className="table" data-testid="disagreements">
        <thead>
          <tr>
            <th>Call</th>
            <th>Logged answer</th>
            <th>Candidate answer</th>
          </tr>
        </thead>
        <tbody>
          {rows.slice(0, 15).map((d, i) => (
            <tr key={i}>
              <td>{typeof d.callId === "string" ? <a href={callHref(d.callId)}>{short(d.input ?? d.callId, "input", 80)}</a> : "—"}</td>
              <td>{short(d.reference ?? d.logged, "reference", 160)}</td>
              <td>{short(d.candidate ?? d.replayed, "candidate", 160)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const isHours = (v: Json): v is number[] => Array.isArray(v) && v.length === 24 && v.every((x) => typeof x === "number");

/** Calls per hour of day (UTC): all calls of the group against those no one waits for. */
function ArrivalChart({ all, eligible }: { all: number[]; eligible: number[] | null }) {
  const data = all.map((n, h) => ({ hour: `${String(h).padStart(2, "0")}h`, other: Math.max(n - (eligible?.[h] ?? 0), 0), eligible: eligible?.[h] ?? 0 }));
  return (
    <div>
      <h4 style={{ margin: "0 0 0.3rem" }}>Arrival pattern (calls per hour of day, UTC)</h4>
      <div className={styles.chartSmall} data-testid="arrival-chart">
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e2e5ea" />
            <XAxis dataKey="hour" tick={{ fontSize: 11, fill: "#5c6470" }} tickLine={false} interval={2} />
            <YAxis tick={{ fontSize: 11, fill: "#5c6470" }} tickLine={false} axisLine={false} width={40} />
            <Tooltip contentStyle={{ borderRadius: 8, borderColor: "#e2e5ea", fontSize: 13 }} />
            <Legend wrapperStyle={{ fontSize: 12 }} />
            <Bar dataKey="eligible" name="can wait (batch)" stackId="a" fill="#0f766e" isAnimationActive={false} />
            <Bar dataKey="other" name="someone waits" stackId="a" fill="#cbd5e1" isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </div>
    </div>
  );
}

const RIGHTSIZE_FIGURES = ["status", "task", "taskReason", "method", "compared", "agreed", "agreement", "decisionInterval", "target", "costRatio", "projectedMonthlyCostUsd", "reason"];
const CACHE_FIGURES = ["threshold", "embedder", "hits", "eligible", "hitRate", "wrongHitRate", "wrongHitUpper", "tolerance", "exactDuplicates", "semanticReason"];
const COMPRESS_FIGURES = ["kind", "method", "recommended", "originalTokens", "candidateTokens", "tokensExact"];

/** Keys shown by a dedicated view (not repeated in "All evidence"). */
const SHOWN = new Set(["clusters", "original", "candidate", "disagreements", "savingsShare", "callIds", "affectedMonthlyCostUsd", "hourHistogram", "eligibleHourHistogram"]);

export function EvidenceView({ lever, evidence, callHref }: { lever: string; evidence: Obj; callHref: (id: string) => string }) {
  const clusters = Array.isArray(evidence.clusters) ? (evidence.clusters as Obj[]) : null;
  const hasDiff = typeof evidence.original === "string" && typeof evidence.candidate === "string";
  const test = isObj(evidence.test) ? evidence.test : null;
  const disagreements = Array.isArray(evidence.disagreements) ? (evidence.disagreements as Obj[]) : test && Array.isArray(test.disagreements) ? (test.disagreements as Obj[]) : null;
  const hours = isHours(evidence.hourHistogram) ? evidence.hourHistogram : null;
  const figureKeys = lever === "rightsize" ? RIGHTSIZE_FIGURES : lever === "cache" ? CACHE_FIGURES : lever === "compress" ? COMPRESS_FIGURES : [];
  const rest = Object.fromEntries(Object.entries(evidence).filter(([k]) => !SHOWN.has(k) && !figureKeys.includes(k)));
  return (
    <div className="stack" style={{ gap: "0.75rem" }} data-testid="evidence">
      {figureKeys.length ? <Figures evidence={evidence} keys={figureKeys} /> : null}
      {hasDiff ? <PromptDiff original={evidence.original as string} candidate={evidence.candidate as string} /> : null}
      {hours ? <ArrivalChart all={hours} eligible={isHours(evidence.eligibleHourHistogram) ? evidence.eligibleHourHistogram : null} /> : null}
      {clusters && clusters.length ? <CacheClusters clusters={clusters} callHref={callHref} /> : null}
      {disagreements && disagreements.length ? <Disagreements rows={disagreements} callHref={callHref} /> : null}
      {Object.keys(rest).length ? (
        <details open={figureKeys.length === 0 && !hasDiff && !clusters && !hours}>
          <summary className="small">{figureKeys.length || hasDiff || clusters || hours ? "All evidence" : "Evidence"}</summary>
          <div style={{ marginTop: "0.5rem" }}>
            <GenericValue value={rest} />
          </div>
        </details>
      ) : null}
    </div>
  );
}
