import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import styles from "@/components/dashboard/dashboard.module.css";
import { count, ms, usd } from "@/components/dashboard/numbers";
import { formatDateTime } from "@/components/format";
import { requestMessages } from "@/lib/analysis/messages";
import { requireSession } from "@/lib/auth/guards";
import { getCallDetail } from "@/lib/dashboard/calls";
import { guardPage } from "@/lib/http/page-guard";
import { restoreRequest } from "@/lib/ingest/stored";
import { loadProjectPage } from "@/lib/orgs/page-loaders";

export const metadata: Metadata = { title: "Call" };

const BREAKDOWN_LABELS: Record<string, string> = {
  input: "Input tokens",
  cachedInput: "Cached input tokens",
  cacheWrite: "Cache writes",
  output: "Output tokens",
  reasoning: "Reasoning tokens",
};

function json(v: unknown): string {
  return JSON.stringify(v, null, 2) ?? "";
}

export default async function CallDetailPage(props: { params: Promise<{ org: string; project: string; eventId: string }> }) {
  const { org, project, eventId: rawId } = await props.params;
  const eventId = decodeURIComponent(rawId);
  const back = `/${org}/${project}/calls`;
  const { access, detail } = await guardPage(async () => {
    const access = await loadProjectPage((await requireSession()).id, org, project);
    return { access, detail: await getCallDetail(access.project.id, eventId) };
  }, `${back}/${rawId}`);
  if (!detail) notFound();
  const c = detail.call;
  const tz = access.organization.timezone;
  const prompts = new Map(c.promptHash && detail.staticPrompt !== null ? [[c.promptHash, detail.staticPrompt]] : []);
  const request = restoreRequest(c.request, c.promptHash, prompts);
  const messages = requestMessages(request);
  const breakdown = c.costBreakdown && typeof c.costBreakdown === "object" ? (c.costBreakdown as Record<string, unknown>) : null;
  const redactions = Array.isArray(c.redactions) ? (c.redactions as Array<Record<string, unknown>>) : [];
  const tags = c.tags && typeof c.tags === "object" ? Object.entries(c.tags as Record<string, unknown>) : [];

  return (
    <div className="stack">
      <div className="page-head">
        <div>
          <p className="small" style={{ margin: 0 }}>
            <Link href={back}>← Calls</Link>
          </p>
          <h1 className={styles.mono} style={{ fontSize: "1.2rem" }}>
            {c.eventId}
          </h1>
          <p className="muted small" style={{ margin: 0 }}>
            {formatDateTime(c.timestamp, tz)} · {c.provider} {c.endpoint} · via {c.source}
            {c.replayRunId ? " · replay (not production spend)" : ""}
          </p>
        </div>
        <div className="row">
          {c.status >= 400 ? <span className="badge badge-off">HTTP {c.status}</span> : <span className="badge badge-ok">HTTP {c.status}</span>}
          {c.batch ? <span className="badge">batch</span> : null}
          {c.truncated ? <span className="badge" title="Bodies were cut to the size limit">truncated</span> : null}
        </div>
      </div>

      <div className={styles.kpis}>
        <div className={styles.kpi}>
          <div className={styles.kpiLabel}>Cost</div>
          <div className={styles.kpiValue} data-testid="call-cost">{c.costUsd === null ? "unpriced" : usd(c.costUsd)}</div>
          <div className={styles.kpiSub}>{c.priceVersion ? `prices ${c.priceVersion}` : ""}</div>
        </div>
        <div className={styles.kpi}>
          <div className={styles.kpiLabel}>Model</div>
          <div className={styles.kpiValue} style={{ fontSize: "1.05rem" }}>{c.model ?? "—"}</div>
          <div className={styles.kpiSub}>{c.serviceTier ? `tier ${c.serviceTier}` : c.finishReason ? `finish: ${c.finishReason}` : ""}</div>
        </div>
        <div className={styles.kpi}>
          <div className={styles.kpiLabel}>Tokens in / out</div>
          <div className={styles.kpiValue}>
            {count(c.inputTokens)} / {count(c.outputTokens)}
          </div>
          <div className={styles.kpiSub}>{c.tokensEstimated ? "estimated (no usage in the response)" : "reported by the provider"}</div>
        </div>
        <div className={styles.kpi}>
          <div className={styles.kpiLabel}>Latency</div>
          <div className={styles.kpiValue}>{ms(c.latencyMs)}</div>
          <div className={styles.kpiSub}>{c.ttftMs !== null ? `first token after ${ms(c.ttftMs)}` : ""}</div>
        </div>
      </div>

      <div className="grid-2">
        <section className="card">
          <h2>Tokens and cost</h2>
          <table className="table">
            <tbody>
              <tr><td>Input tokens</td><td className={styles.num}>{count(c.inputTokens)}</td></tr>
              <tr><td>of which cached</td><td className={styles.num}>{count(c.cachedInputTokens)}</td></tr>
              <tr><td>Cache writes (1 h TTL)</td><td className={styles.num}>{count(c.cacheWriteTokens)} ({count(c.cacheWrite1hTokens)})</td></tr>
              <tr><td>Output tokens</td><td className={styles.num}>{count(c.outputTokens)}</td></tr>
              <tr><td>of which reasoning</td><td className={styles.num}>{count(c.reasoningTokens)}</td></tr>
            </tbody>
          </table>
          <h3 style={{ marginTop: "1rem" }}>Cost breakdown</h3>
          {breakdown && c.costUsd !== null ? (
            <table className="table" data-testid="cost-breakdown">
              <tbody>
                {Object.entries(BREAKDOWN_LABELS)
                  .filter(([k]) => typeof breakdown[k] === "number")
                  .map(([k, label]) => (
                    <tr key={k}>
                      <td>{label}</td>
                      <td className={styles.num}>{usd(breakdown[k] as number)}</td>
                    </tr>
                  ))}
                <tr>
                  <td><strong>Total</strong></td>
                  <td className={styles.num}><strong>{usd(c.costUsd)}</strong></td>
                </tr>
              </tbody>
            </table>
          ) : (
            <p className="muted small">
              No price for this model{breakdown && "error" in breakdown ? `: ${String(breakdown.error)}` : ""}. Add a price override in the organization settings to price it.
            </p>
          )}
          {breakdown && typeof breakdown.matchedModel === "string" ? (
            <p className="muted small">
              Priced as <code>{breakdown.matchedModel}</code>
              {typeof breakdown.tier === "string" ? ` (${breakdown.tier} tier)` : ""}.
            </p>
          ) : null}
        </section>

        <section className="card">
          <h2>Tags</h2>
          <table className={styles.kv}>
            <tbody>
              <tr><th>Feature</th><td>{c.feature ?? "—"}</td></tr>
              <tr><th>User</th><td>{c.endUser ?? "—"}</td></tr>
              <tr><th>Session</th><td>{c.session ?? "—"}</td></tr>
              <tr><th>Environment</th><td>{c.environment ?? "—"}</td></tr>
              {tags
                .filter(([k]) => !["feature", "user", "session", "environment"].includes(k))
                .map(([k, v]) => (
                  <tr key={k}><th>{k}</th><td>{String(v)}</td></tr>
                ))}
            </tbody>
          </table>
          <h3 style={{ marginTop: "1rem" }}>Redactions</h3>
          {redactions.length === 0 ? (
            <p className="muted small">Nothing was redacted from this call.</p>
          ) : (
            <table className="table" data-testid="redactions">
              <thead><tr><th>Where</th><th>What</th></tr></thead>
              <tbody>
                {redactions.map((r, i) => (
                  <tr key={i}>
                    <td className={styles.mono}>{String(r.path ?? "")}</td>
                    <td>{String(r.kind ?? "")}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {c.errorMessage ? (
            <>
              <h3 style={{ marginTop: "1rem" }}>Error</h3>
              <pre className={styles.pre}>{c.errorMessage}</pre>
            </>
          ) : null}
        </section>
      </div>

      <section className="card" aria-labelledby="prompt-heading">
        <h2 id="prompt-heading">Prompt</h2>
        {messages.length === 0 ? <p className="muted small">No chat messages in this request (see the raw request below).</p> : null}
        <div className="stack" style={{ gap: "0.5rem" }} data-testid="prompt-messages">
          {messages.map((m, i) => (
            <div key={i} className={styles.message}>
              <div className={styles.role}>{m.role}</div>
              <div style={{ whiteSpace: "pre-wrap", wordBreak: "break-word" }}>{m.text}</div>
            </div>
          ))}
        </div>
        {detail.staticPrompt !== null ? <p className="muted small">The fixed prompt of this call is stored once and shared by every call that sends it.</p> : null}
      </section>

      <section className="card" aria-labelledby="response-heading">
        <h2 id="response-heading">Response</h2>
        {c.outputText ? <div className={styles.message} style={{ whiteSpace: "pre-wrap" }} data-testid="response-text">{c.outputText}</div> : <p className="muted small">No text output.</p>}
      </section>

      <section className="card">
        <details>
          <summary>Raw request</summary>
          <pre className={styles.pre}>{json(request)}</pre>
        </details>
        <details style={{ marginTop: "0.5rem" }}>
          <summary>Raw response</summary>
          <pre className={styles.pre}>{json(c.response)}</pre>
        </details>
      </section>
    </div>
  );
}
