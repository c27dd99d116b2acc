"use client";
// Analysis runs with live progress: polls the runs route while a run is queued or running, offers
// "run now" per kind (MEMBER+), and tells the page when runs finish so it reloads the findings.
import { useCallback, useEffect, useRef, useState } from "react";
import type { RunsOverview, RunView } from "@/lib/recommend/analysis-runs";
import { sendJson } from "../send-json";
import styles from "./dashboard.module.css";
import { count, usd } from "./numbers";

const POLL_MS = 1500;

function when(iso: string | null): string {
  if (!iso) return "";
  const s = Math.round((Date.now() - new Date(iso).getTime()) / 1000);
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}

function StatusBadge({ run }: { run: RunView | null }) {
  if (!run) return <span className="badge">never run</span>;
  const cls = run.status === "succeeded" ? "badge badge-ok" : run.status === "failed" ? "badge badge-off" : "badge";
  return <span className={cls}>{run.status}</span>;
}

export function AnalysisRuns(props: { apiUrl: string; initial: RunsOverview; canRun: boolean; onFinished: () => void }) {
  const [runs, setRuns] = useState(props.initial);
  const [error, setError] = useState<string | null>(null);
  const [starting, setStarting] = useState<string | null>(null);
  const wasActive = useRef(props.initial.active);
  const onFinished = useRef(props.onFinished);
  onFinished.current = props.onFinished;

  const refresh = useCallback(async () => {
    try {
      const res = await fetch(props.apiUrl, { credentials: "same-origin", cache: "no-store" });
      if (!res.ok) return;
      const next = (await res.json()) as RunsOverview;
      setRuns(next);
      if (wasActive.current && !next.active) onFinished.current();
      wasActive.current = next.active;
    } catch {
      // transient: the next poll tries again
    }
  }, [props.apiUrl]);

  useEffect(() => {
    if (!runs.active) return;
    const timer = setInterval(() => void refresh(), POLL_MS);
    return () => clearInterval(timer);
  }, [runs.active, refresh]);

  async function runNow(kind: string) {
    setStarting(kind);
    setError(null);
    const res = await sendJson("POST", props.apiUrl, { kind });
    setStarting(null);
    if (!res.ok) return setError(res.error);
    wasActive.current = true;
    await refresh();
  }

  return (
    <div className="stack" style={{ gap: "0.5rem" }}>
      {error ? (
        <div className="form-error" role="alert">
          {error}
        </div>
      ) : null}
      <div className="table-wrap">
        <table className="table" data-testid="analysis-runs">
          <thead>
            <tr>
              <th>Analysis</th>
              <th>Latest run</th>
              <th style={{ width: "30%" }}>Progress</th>
              {props.canRun ? <th aria-label="Actions" /> : null}
            </tr>
          </thead>
          <tbody>
            {runs.kinds.map(({ kind, title, levers, latest }) => {
              const busy = latest && (latest.status === "queued" || latest.status === "running");
              const fraction = latest ? (latest.status === "succeeded" ? 1 : latest.progress) : 0;
              return (
                <tr key={kind} data-run-kind={kind}>
                  <td>
                    <strong>{title}</strong>
                    <div className="muted small">{levers}</div>
                  </td>
                  <td>
                    <StatusBadge run={latest} />
                    {latest ? (
                      <div className="muted small" suppressHydrationWarning>
                        {latest.status === "succeeded"
                          ? `${when(latest.finishedAt)} · ${count(latest.findings)} finding${latest.findings === 1 ? "" : "s"}${latest.costUsd > 0 ? ` · replays ${usd(latest.costUsd)}` : ""}`
                          : latest.status === "failed"
                            ? when(latest.finishedAt ?? latest.createdAt)
                            : `started ${when(latest.startedAt ?? latest.createdAt)}`}
                      </div>
                    ) : null}
                  </td>
                  <td>
                    <div
                      className={styles.progress}
                      role="progressbar"
                      aria-label={`${title} progress`}
                      aria-valuemin={0}
                      aria-valuemax={100}
                      aria-valuenow={Math.round(fraction * 100)}
                      data-testid={`run-progress-${kind}`}
                    >
                      <div className={`${styles.progressBar} ${latest?.status === "failed" ? styles.progressFailed : ""}`} style={{ width: `${Math.round(fraction * 100)}%` }} />
                    </div>
                    <div className="muted small" style={{ marginTop: "0.2rem" }}>
                      {latest?.status === "failed" ? <span style={{ color: "var(--danger)" }}>{latest.error ?? "failed"}</span> : busy ? `${Math.round(fraction * 100)}% · ${latest?.message ?? "waiting for a worker"}` : ""}
                    </div>
                  </td>
                  {props.canRun ? (
                    <td>
                      <button type="button" className="btn btn-secondary btn-small" disabled={!!busy || starting !== null} onClick={() => void runNow(kind)}>
                        {starting === kind ? "Starting…" : busy ? "Running…" : "Run now"}
                      </button>
                    </td>
                  ) : null}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </div>
  );
}
