"use client";
// Two ways to see the dashboard before wiring an app: send one test call (MEMBER+) through the ingest
// writer, or load realistic demo traffic (ADMIN+) built from public data sets. The demo load runs as a
// background job: the button queues it, then a progress bar polls its status (the same bar and polling
// as the savings page's analysis runs) and the page refreshes when the events are in.
import { useRouter } from "next/navigation";
import { useCallback, useEffect, useState } from "react";
import type { DemoLoadView } from "@/lib/demo/runs";
import { sendJson } from "../send-json";
import styles from "./dashboard.module.css";
import { count, usd } from "./numbers";

const POLL_MS = 1000;

const isActive = (load: DemoLoadView | null) => load !== null && (load.state === "queued" || load.state === "running");

export function OnboardingActions(props: { apiBase: string; canSendTestCall: boolean; canLoadDemo: boolean; compact?: boolean }) {
  const router = useRouter();
  const [busy, setBusy] = useState<"test" | "demo" | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [load, setLoad] = useState<DemoLoadView | null>(null);
  const demoUrl = `${props.apiBase}/demo`;

  const finish = useCallback(
    (next: DemoLoadView) => {
      if (next.state === "done") {
        const inserted = next.inserted ?? 0;
        const duplicates = next.duplicates ?? 0;
        setMessage(`Demo data loaded: ${count(inserted)} calls${duplicates ? ` (${count(duplicates)} were already there)` : ""}.`);
        router.refresh();
      } else if (next.state === "failed") {
        setMessage(null);
        setError(`Loading demo data failed: ${next.error ?? "unknown error"}`);
      }
    },
    [router],
  );

  // Follow the project's latest load: one the user just started, or one already under way (a reload of
  // the page, another admin's click).
  const poll = useCallback(async (): Promise<DemoLoadView | null | undefined> => {
    try {
      const res = await fetch(demoUrl, { credentials: "same-origin", cache: "no-store" });
      if (!res.ok) return undefined;
      return ((await res.json()) as { load: DemoLoadView | null }).load;
    } catch {
      return undefined; // transient: the next poll tries again
    }
  }, [demoUrl]);

  const canLoadDemo = props.canLoadDemo;
  useEffect(() => {
    if (!canLoadDemo) return;
    let cancelled = false;
    void poll().then((latest) => {
      if (!cancelled && latest && isActive(latest)) setLoad((current) => current ?? latest);
    });
    return () => {
      cancelled = true;
    };
  }, [canLoadDemo, poll]);

  const active = isActive(load);
  useEffect(() => {
    if (!active) return;
    let stopped = false;
    const timer = setInterval(() => {
      void poll().then((next) => {
        if (!next || stopped) return;
        setLoad(next);
        if (!isActive(next)) {
          stopped = true;
          finish(next);
        }
      });
    }, POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [active, poll, finish]);

  async function testCall() {
    setBusy("test");
    setError(null);
    const res = await sendJson<{ eventId: string; costUsd: number | null }>("POST", `${props.apiBase}/test-call`);
    setBusy(null);
    if (!res.ok) return setError(res.error);
    setMessage(`Test call ${res.data.eventId} recorded (${usd(res.data.costUsd)}).`);
    router.refresh();
  }

  async function demo() {
    setBusy("demo");
    setError(null);
    setMessage(null);
    const res = await sendJson<{ load: DemoLoadView; started: boolean }>("POST", demoUrl, {});
    setBusy(null);
    if (!res.ok) return setError(res.error);
    setLoad(res.data.load);
    if (!res.data.started) setMessage("A demo load is already under way for this project; this is its progress.");
  }

  if (!props.canSendTestCall && !props.canLoadDemo) return null;
  const fraction = load ? (load.state === "done" ? 1 : load.progress) : 0;
  const demoBusy = busy === "demo" || active;
  return (
    <div className="stack" data-testid="onboarding-actions">
      <div className="row">
        {props.canSendTestCall ? (
          <button type="button" className="btn btn-secondary" onClick={testCall} disabled={busy !== null} aria-busy={busy === "test"}>
            {busy === "test" ? "Sending…" : "Send a test call"}
          </button>
        ) : null}
        {props.canLoadDemo ? (
          <button type="button" className={props.compact ? "btn btn-secondary" : "btn"} onClick={demo} disabled={busy !== null || active} aria-busy={demoBusy}>
            {demoBusy ? "Loading demo data…" : "Load demo data"}
          </button>
        ) : null}
      </div>
      {load ? (
        <div data-testid="demo-progress" data-state={load.state}>
          <div
            className={styles.progress}
            role="progressbar"
            aria-label="Demo data progress"
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={Math.round(fraction * 100)}
          >
            <div className={`${styles.progressBar} ${load.state === "failed" ? styles.progressFailed : ""}`} style={{ width: `${Math.round(fraction * 100)}%` }} />
          </div>
          {active ? (
            <div className="muted small" style={{ marginTop: "0.2rem" }}>
              {load.state === "queued" ? `Queued: ${count(load.count)} events, waiting for a worker` : `${Math.round(fraction * 100)}% · ${load.message ?? "starting"}`}
            </div>
          ) : null}
        </div>
      ) : null}
      {message ? (
        <div className="notice small" role="status">
          {message}
        </div>
      ) : null}
      {error ? (
        <div className="form-error" role="alert">
          {error}
        </div>
      ) : null}
    </div>
  );
}
