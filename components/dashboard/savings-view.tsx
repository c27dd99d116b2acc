"use client";
// The savings page: the waterfall from current to projected monthly spend, recommendation cards ranked
// by $/month with their evidence and how to apply them, decisions (accept, dismiss with a reason,
// snooze until a date, reopen), realised savings of accepted ones, analysis runs, the what-if calculator.
// After each decision the summary is reloaded, so the waterfall moves at once.
import { useCallback, useState, type FormEvent } from "react";
import type { RunsOverview } from "@/lib/recommend/analysis-runs";
import type { FindingView, SavingsSummary } from "@/lib/recommend/findings";
import type { RealisedSummary } from "@/lib/recommend/realised";
import { formatDuration } from "../format";
import { sendJson } from "../send-json";
import { AnalysisRuns } from "./analysis-runs";
import styles from "./dashboard.module.css";
import { EvidenceView, GenericValue } from "./evidence";
import { count, LEVER_LABELS, pct, usd, usdRange } from "./numbers";
import { WaterfallChart } from "./waterfall-chart";
import { WhatIfCalculator } from "./what-if-calculator";

export type SavingsData = SavingsSummary & { realised: RealisedSummary };

function ScopeLine({ f }: { f: FindingView }) {
  const parts: string[] = [];
  if (f.scope.feature !== undefined) parts.push(`feature ${f.scope.feature ?? "(untagged)"}`);
  if (f.scope.model) parts.push(`model ${f.scope.model}`);
  if (f.callCount !== null) parts.push(`${count(f.callCount)} calls`);
  if (f.affectedMonthlyCostUsd !== null) parts.push(`acts on ${usd(f.affectedMonthlyCostUsd)}/month`);
  return <>{parts.join(" · ")}</>;
}

/** The model a rightsize finding recommends moving to (model-fit's howToApply.settings.to), if it names one. */
function routeTarget(f: FindingView): string | null {
  if (f.lever !== "rightsize" || typeof f.scope.feature !== "string" || !f.scope.feature || typeof f.scope.model !== "string") return null;
  const to = f.howToApply?.settings?.to;
  return typeof to === "string" && to ? to : null;
}

/** What "Apply in proxy" does for one finding: the API it posts to, what it asks first, what it says after. */
type ProxyApplication = { url: string; confirm: string; done: (created: boolean) => string };

/**
 * The proxy rule a finding can become: a model route (rightsize, lib/proxy/model-routes.ts), a cache
 * rule (cache, lib/proxy/cache-rules.ts) or a prompt rule (a compressed fixed prompt a replay verified,
 * lib/proxy/prompt-rules.ts), or null when the finding cannot be applied in the proxy.
 */
function proxyApplication(f: FindingView, apiBase: string): ProxyApplication | null {
  if (f.status !== "open" && f.status !== "accepted") return null;
  const feature = f.scope.feature;
  const model = f.scope.model;
  const to = routeTarget(f);
  if (to) {
    return {
      url: `${apiBase}/model-routes`,
      confirm: `Let the Spendlens proxy send "${feature}" calls of ${model} to ${to}? 2% keep going to ${model} to keep measuring.`,
      done: (created) => `${created ? "Applied" : "Already applied"} in the proxy: "${feature}" calls of ${model} go to ${to}. Turn it off or delete it in project settings.`,
    };
  }
  if (f.lever === "cache" && typeof feature === "string" && feature && typeof model === "string" && model) {
    const settings = f.howToApply?.settings ?? {};
    const semantic = typeof settings.threshold === "number" && settings.threshold < 1;
    const ttl = typeof settings.ttlSeconds === "number" && settings.ttlSeconds > 0 ? Math.min(Math.max(Math.round(settings.ttlSeconds), 60), 30 * 86_400) : 86_400;
    return {
      url: `${apiBase}/cache-rules`,
      confirm:
        `Let the Spendlens proxy answer repeated "${feature}" calls of ${model} from its cache for ${formatDuration(ttl)}? ` +
        (semantic
          ? "The proxy caches by exact match only (after normalising case and spacing): this semantic recommendation will realise only its exact-duplicate share. "
          : "Requests match when equal after normalising case and spacing. ") +
        `2% of hits still go to ${model} to keep measuring. The cache is in memory per proxy process and is emptied on restart.`,
      done: (created) => `${created ? "Applied" : "Already applied"} in the proxy: repeated "${feature}" calls of ${model} are answered from the cache (exact match). Turn it off or delete it in project settings.`,
    };
  }
  const evidence = f.evidence;
  const verification = evidence.verification as { status?: unknown } | undefined;
  if (
    f.lever === "compress" &&
    evidence.kind === "prompt_compression" &&
    evidence.recommended === true &&
    verification?.status === "verified" &&
    typeof feature === "string" &&
    feature &&
    typeof f.scope.promptHash === "string"
  ) {
    return {
      url: `${apiBase}/prompt-rules`,
      confirm:
        `Let the Spendlens proxy send "${feature}" calls with this fixed prompt with the compressed one instead (${String(evidence.originalTokens ?? "?")} -> ${String(evidence.candidateTokens ?? "?")} tokens)? ` +
        "A replay verified that its answers agree with the original's. 2% keep the original prompt to keep measuring.",
      done: (created) => `${created ? "Applied" : "Already applied"} in the proxy: "${feature}" calls with this prompt are sent with the compressed one. Turn it off or delete it in project settings.`,
    };
  }
  return null;
}

/** "Apply in proxy" on a finding the proxy can act on (a rightsize, cache or verified prompt-compression recommendation). */
function ApplyInProxy({ f, apiBase }: { f: FindingView; apiBase: string }) {
  const application = proxyApplication(f, apiBase);
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<{ ok: boolean; text: string } | null>(null);
  if (!application) return null;
  const { url, confirm, done } = application;

  async function apply() {
    if (!window.confirm(confirm)) return;
    setBusy(true);
    const res = await sendJson<{ created: boolean }>("POST", url, { findingId: f.id });
    setBusy(false);
    if (!res.ok) return setNote({ ok: false, text: res.error });
    setNote({ ok: true, text: done(res.data.created) });
  }

  return (
    <>
      <button type="button" className="btn btn-secondary btn-small" disabled={busy} onClick={() => void apply()} data-testid="apply-in-proxy">
        Apply in proxy
      </button>
      {note ? (
        <span className={note.ok ? "small" : "small form-error"} role={note.ok ? "status" : "alert"}>
          {note.text}
        </span>
      ) : null}
    </>
  );
}

function inAWeek(): string {
  return new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
}

function RecommendationCard(props: {
  f: FindingView;
  rank: number;
  apiBase: string;
  callsPath: string;
  canDecide: boolean;
  canApplyRoutes: boolean;
  onDecided: () => Promise<void>;
}) {
  const { f } = props;
  const [open, setOpen] = useState(false);
  const [calls, setCalls] = useState<string[] | null>(null);
  const [mode, setMode] = useState<"dismiss" | "snooze" | null>(null);
  const [reason, setReason] = useState("");
  const [until, setUntil] = useState(inAWeek());
  const [busy, setBusy] = useState(false);
  const [fields, setFields] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const callHref = (id: string) => `${props.callsPath}/${encodeURIComponent(id)}`;
  const findingUrl = `${props.apiBase}/findings/${encodeURIComponent(f.id)}`;

  async function toggleEvidence() {
    const next = !open;
    setOpen(next);
    if (next && calls === null && f.callCount) {
      const res = await sendJson<{ callIds: string[] }>("GET", findingUrl);
      setCalls(res.ok ? res.data.callIds : []);
    }
  }

  async function decide(body: Record<string, unknown>) {
    setBusy(true);
    setError(null);
    const res = await sendJson("PATCH", findingUrl, body);
    setBusy(false);
    if (!res.ok) {
      setFields(res.fields);
      setError(Object.keys(res.fields).length ? null : res.error);
      return;
    }
    setFields({});
    setMode(null);
    setReason("");
    await props.onDecided();
  }

  const submitDismiss = (e: FormEvent) => {
    e.preventDefault();
    void decide({ action: "dismiss", reason });
  };
  const submitSnooze = (e: FormEvent) => {
    e.preventDefault();
    void decide({ action: "snooze", until });
  };
  const decided = f.status !== "open";

  return (
    <article className={styles.rec} data-testid="recommendation" data-lever={f.lever} data-status={f.status} aria-labelledby={`rec-${f.id}`}>
      <div className={styles.recHead}>
        <div style={{ flex: "1 1 20rem", minWidth: 0 }}>
          <div className={styles.recMeta}>
            {!decided ? <span className="badge">#{props.rank}</span> : null}
            <span className="badge badge-ok">{LEVER_LABELS[f.lever] ?? f.lever}</span>
            {f.confidence ? <span className="badge">{f.confidence} confidence</span> : null}
            {decided ? <span className={f.status === "dismissed" ? "badge badge-off" : "badge"}>{f.status}</span> : null}
          </div>
          <h3 id={`rec-${f.id}`} style={{ margin: "0.35rem 0 0.15rem" }}>
            {f.title}
          </h3>
          <div className="muted small">
            <ScopeLine f={f} />
          </div>
        </div>
        <div>
          <div className={styles.recAmount} data-testid="rec-amount">
            {usd(f.monthlySavingsUsd)}
            <span className="muted small" style={{ fontWeight: 400 }}>
              /month
            </span>
          </div>
          {f.savingsLowUsd !== null && f.savingsHighUsd !== null ? (
            <div className="muted small" style={{ textAlign: "right" }}>
              {usdRange(f.savingsLowUsd, f.savingsHighUsd)}
            </div>
          ) : null}
        </div>
      </div>

      {f.status === "dismissed" && f.dismissReason ? <div className="small">Dismissed: “{f.dismissReason}”</div> : null}
      {f.status === "snoozed" && f.snoozedUntil ? <div className="small">Snoozed until {f.snoozedUntil.slice(0, 10)}</div> : null}
      {f.status === "accepted" && f.acceptedAt ? <div className="small">Accepted on {f.acceptedAt.slice(0, 10)}: its realised savings are tracked below.</div> : null}

      {f.howToApply && !decided ? (
        <div className="stack" style={{ gap: "0.4rem" }}>
          <div>
            <strong className="small">How to apply: </strong>
            <span className="small">{f.howToApply.summary}</span>
          </div>
          {f.howToApply.snippet ? <pre style={{ maxHeight: "14rem", overflow: "auto" }}>{f.howToApply.snippet}</pre> : null}
          {f.howToApply.settings ? (
            <div className="small">
              <GenericValue value={f.howToApply.settings} />
            </div>
          ) : null}
        </div>
      ) : null}

      <div className={styles.recActions}>
        <button type="button" className="btn btn-secondary btn-small" onClick={() => void toggleEvidence()} aria-expanded={open}>
          {open ? "Hide evidence" : "Show evidence"}
        </button>
        {props.canDecide && !decided ? (
          <>
            <button type="button" className="btn btn-small" disabled={busy} onClick={() => void decide({ action: "accept" })}>
              Accept
            </button>
            <button type="button" className="btn btn-secondary btn-small" disabled={busy} onClick={() => setMode(mode === "dismiss" ? null : "dismiss")}>
              Dismiss…
            </button>
            <button type="button" className="btn btn-secondary btn-small" disabled={busy} onClick={() => setMode(mode === "snooze" ? null : "snooze")}>
              Snooze…
            </button>
          </>
        ) : null}
        {props.canDecide && decided ? (
          <button type="button" className="btn btn-secondary btn-small" disabled={busy} onClick={() => void decide({ action: "reopen" })}>
            Reopen
          </button>
        ) : null}
        {props.canApplyRoutes ? <ApplyInProxy f={f} apiBase={props.apiBase} /> : null}
      </div>

      {mode === "dismiss" ? (
        <form className="row-end" onSubmit={submitDismiss} noValidate>
          <div className="field" style={{ flex: "1 1 20rem" }}>
            <label htmlFor={`reason-${f.id}`}>Why dismiss it?</label>
            <input
              id={`reason-${f.id}`}
              className="input"
              value={reason}
              onChange={(e) => setReason(e.target.value)}
              placeholder="e.g. quality matters more than cost here"
              aria-invalid={fields.reason ? true : undefined}
              maxLength={500}
              autoFocus
            />
            {fields.reason ? (
              <span className="field-error" role="alert" data-field-error="reason">
                {fields.reason}
              </span>
            ) : null}
          </div>
          <button type="submit" className="btn btn-danger btn-small" disabled={busy}>
            Dismiss
          </button>
        </form>
      ) : null}
      {mode === "snooze" ? (
        <form className="row-end" onSubmit={submitSnooze} noValidate>
          <div className="field">
            <label htmlFor={`until-${f.id}`}>Bring it back on</label>
            <input id={`until-${f.id}`} className="input" type="date" value={until} onChange={(e) => setUntil(e.target.value)} aria-invalid={fields.until ? true : undefined} />
            {fields.until ? (
              <span className="field-error" role="alert" data-field-error="until">
                {fields.until}
              </span>
            ) : null}
          </div>
          <button type="submit" className="btn btn-secondary btn-small" disabled={busy}>
            Snooze
          </button>
        </form>
      ) : null}
      {error ? (
        <div className="form-error" role="alert">
          {error}
        </div>
      ) : null}

      {open ? (
        <div className={styles.evidence}>
          <EvidenceView lever={f.lever} evidence={f.evidence} callHref={callHref} />
          {calls && calls.length ? (
            <div className="small">
              <strong>Calls it acts on</strong> (first {calls.length} of {count(f.callCount)}):{" "}
              {calls.slice(0, 12).map((id, i) => (
                <span key={id}>
                  {i ? ", " : ""}
                  <a href={callHref(id)} className={styles.mono}>
                    {id}
                  </a>
                </span>
              ))}
              {calls.length > 12 ? " …" : ""}
            </div>
          ) : null}
        </div>
      ) : null}
    </article>
  );
}

function RealisedTable({ realised }: { realised: RealisedSummary }) {
  if (realised.items.length === 0) {
    return <p className="muted small">Accept a recommendation once you have applied it: its savings are then measured against the spend that follows.</p>;
  }
  return (
    <div className="table-wrap">
      <table className="table" data-testid="realised">
        <thead>
          <tr>
            <th>Accepted</th>
            <th>Measured by</th>
            <th className={styles.num}>Expected / month</th>
            <th className={styles.num}>Realised / month</th>
            <th className={styles.num}>Saved so far</th>
          </tr>
        </thead>
        <tbody>
          {realised.items.map((r) => (
            <tr key={r.findingId}>
              <td>
                <div>{r.title}</div>
                <div className="muted small">
                  {LEVER_LABELS[r.lever] ?? r.lever} · {r.acceptedAt.slice(0, 10)}
                </div>
              </td>
              <td className="small">
                {r.method === "per_request" ? "cost per request" : "spend per day"} vs the {r.baseline.days} days before
                {r.scope.feature !== undefined ? ` (feature ${r.scope.feature || "(untagged)"})` : r.scope.model ? ` (model ${r.scope.model})` : " (whole project)"}
              </td>
              <td className={styles.num}>{usd(r.expectedMonthlyUsd)}</td>
              <td className={styles.num}>
                {r.state === "measured" ? (
                  <>
                    {usd(r.realisedMonthlyUsd)}
                    {r.shareOfExpected !== null ? <div className="muted small">{pct(r.shareOfExpected, 0)} of expected</div> : null}
                  </>
                ) : (
                  <span className="muted small">{r.state === "measuring" ? "measuring (needs a day of data)" : "no spend before acceptance"}</span>
                )}
              </td>
              <td className={styles.num}>{r.realisedUsd === null ? "—" : usd(r.realisedUsd)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * `canApplyRoutes`: show "Apply in proxy" on rightsize, cache and verified prompt-compression findings (the API allows it to ADMIN and OWNER).
 */
export function SavingsView(props: { apiBase: string; callsPath: string; initial: SavingsData; runs: RunsOverview; canDecide: boolean; canApplyRoutes: boolean }) {
  const canApplyRoutes = props.canApplyRoutes;
  const [data, setData] = useState(props.initial);
  const [error, setError] = useState<string | null>(null);
  const [showDecided, setShowDecided] = useState(false);

  const reload = useCallback(async () => {
    const res = await sendJson<SavingsData>("GET", `${props.apiBase}/findings`);
    if (res.ok) {
      setData(res.data);
      setError(null);
    } else setError(res.error);
  }, [props.apiBase]);

  const p = data.projection;
  const open = data.findings.filter((f) => f.status === "open");
  const decided = data.findings.filter((f) => f.status !== "open");
  const leverFindings = open.map((f) => ({ lever: f.lever, affectedMonthlyCostUsd: f.affectedMonthlyCostUsd ?? f.monthlySavingsUsd, monthly: { usd: f.monthlySavingsUsd, low: f.savingsLowUsd ?? f.monthlySavingsUsd, high: f.savingsHighUsd ?? f.monthlySavingsUsd } }));

  return (
    <div className="stack">
      {error ? (
        <div className="form-error" role="alert">
          {error}
        </div>
      ) : null}
      <div className={styles.kpis}>
        <div className={styles.kpi}>
          <div className={styles.kpiLabel}>Spend per month now</div>
          <div className={styles.kpiValue} data-testid="waterfall-current">{usd(p.currentMonthlyUsd)}</div>
          <div className={styles.kpiSub}>{data.spend.days < 29.5 ? `from ${data.spend.days.toFixed(1)} days of data` : "last 30 days"}</div>
        </div>
        <div className={styles.kpi}>
          <div className={styles.kpiLabel}>Could save per month</div>
          <div className={styles.kpiValue} data-testid="waterfall-saved">{usd(p.savedUsd)}</div>
          <div className={styles.kpiSub}>{usdRange(p.savedLowUsd, p.savedHighUsd)}</div>
        </div>
        <div className={styles.kpi}>
          <div className={styles.kpiLabel}>Projected per month</div>
          <div className={styles.kpiValue} data-testid="waterfall-projected">{usd(p.projectedMonthlyUsd)}</div>
          <div className={styles.kpiSub}>{pct(p.currentMonthlyUsd > 0 ? p.savedUsd / p.currentMonthlyUsd : 0)} less</div>
        </div>
        <div className={styles.kpi}>
          <div className={styles.kpiLabel}>Realised per month</div>
          <div className={styles.kpiValue}>{data.realised.measured ? usd(data.realised.realisedMonthlyUsd) : "—"}</div>
          <div className={styles.kpiSub}>
            {data.counts.accepted} accepted · {data.counts.dismissed} dismissed · {data.counts.snoozed} snoozed
          </div>
        </div>
      </div>

      <section className="card" aria-labelledby="waterfall-heading">
        <div className="card-head">
          <h2 id="waterfall-heading">From today&apos;s spend to the projection</h2>
          <span className="muted small">Each lever acts on what the ones before it left, so nothing is counted twice.</span>
        </div>
        {p.steps.length === 0 ? (
          <p className="muted small">No open recommendations{data.findings.length ? " (all decided)" : " yet: run the analyses below"}.</p>
        ) : null}
        <WaterfallChart projection={p} />
      </section>

      <section aria-labelledby="recs-heading" className="stack" style={{ gap: "0.75rem" }}>
        <div className="card-head" style={{ marginBottom: 0 }}>
          <h2 id="recs-heading">Recommendations</h2>
          <span className="muted small">
            {open.length} open, ranked by dollars per month{!props.canDecide ? " · viewers can read but not decide" : ""}
          </span>
        </div>
        {open.length === 0 ? <div className="card muted">Nothing open right now.</div> : null}
        {open.map((f, i) => (
          <RecommendationCard key={f.id} f={f} rank={i + 1} apiBase={props.apiBase} callsPath={props.callsPath} canDecide={props.canDecide} canApplyRoutes={canApplyRoutes} onDecided={reload} />
        ))}
        {decided.length ? (
          <div>
            <button type="button" className="btn btn-secondary btn-small" onClick={() => setShowDecided(!showDecided)} aria-expanded={showDecided}>
              {showDecided ? "Hide" : "Show"} {decided.length} decided
            </button>
          </div>
        ) : null}
        {showDecided
          ? decided.map((f, i) => (
              <RecommendationCard key={f.id} f={f} rank={i + 1} apiBase={props.apiBase} callsPath={props.callsPath} canDecide={props.canDecide} canApplyRoutes={canApplyRoutes} onDecided={reload} />
            ))
          : null}
      </section>

      <section className="card" aria-labelledby="realised-heading">
        <div className="card-head">
          <h2 id="realised-heading">Realised savings</h2>
          <span className="muted small">Accepted recommendations against the spend after them, from the hourly rollup.</span>
        </div>
        <RealisedTable realised={data.realised} />
      </section>

      <section className="card" aria-labelledby="runs-heading">
        <div className="card-head">
          <h2 id="runs-heading">Analyses</h2>
          <span className="muted small">Each run replaces the findings of its previous run; your decisions carry over.</span>
        </div>
        <AnalysisRuns apiUrl={`${props.apiBase}/analyses`} initial={props.runs} canRun={props.canDecide} onFinished={() => void reload()} />
      </section>

      <section className="card" aria-labelledby="whatif-heading">
        <div className="card-head">
          <h2 id="whatif-heading">What if…</h2>
          <span className="muted small">Pick levers and their parameters to see a projection.</span>
        </div>
        <WhatIfCalculator currentMonthlyUsd={p.currentMonthlyUsd} findings={leverFindings} />
      </section>
    </div>
  );
}
