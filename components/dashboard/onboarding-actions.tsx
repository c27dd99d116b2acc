"use client";
// Two ways to see the dashboard before wiring an app: send one test call (MEMBER+) through the ingest
// writer, or load realistic demo traffic (ADMIN+) built from public data sets.
import { useRouter } from "next/navigation";
import { useState } from "react";
import { sendJson } from "../send-json";
import { usd } from "./numbers";

export function OnboardingActions(props: { apiBase: string; canSendTestCall: boolean; canLoadDemo: boolean; compact?: boolean }) {
  const router = useRouter();
  const [busy, setBusy] = useState<"test" | "demo" | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

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
    setMessage("Loading 30 days of demo traffic (about 5,000 calls)… this takes a few seconds.");
    const res = await sendJson<{ inserted: number; duplicates: number }>("POST", `${props.apiBase}/demo`, {});
    setBusy(null);
    if (!res.ok) {
      setMessage(null);
      return setError(res.error);
    }
    setMessage(`Demo data loaded: ${res.data.inserted.toLocaleString("en-US")} calls${res.data.duplicates ? ` (${res.data.duplicates.toLocaleString("en-US")} were already there)` : ""}.`);
    router.refresh();
  }

  if (!props.canSendTestCall && !props.canLoadDemo) return null;
  return (
    <div className="stack" data-testid="onboarding-actions">
      <div className="row">
        {props.canSendTestCall ? (
          <button type="button" className="btn btn-secondary" onClick={testCall} disabled={busy !== null} aria-busy={busy === "test"}>
            {busy === "test" ? "Sending…" : "Send a test call"}
          </button>
        ) : null}
        {props.canLoadDemo ? (
          <button type="button" className={props.compact ? "btn btn-secondary" : "btn"} onClick={demo} disabled={busy !== null} aria-busy={busy === "demo"}>
            {busy === "demo" ? "Loading demo data…" : "Load demo data"}
          </button>
        ) : null}
      </div>
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
