"use client";
// The on/off switch of one distilled model version (PATCH .../distilled/<id> { enabled }).
import { useRouter } from "next/navigation";
import { useState } from "react";
import { sendJson } from "../send-json";

export function DistilledModelToggle(props: { url: string; enabled: boolean; feature: string; version: number }) {
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function toggle() {
    const turnOn = !props.enabled;
    if (turnOn && !window.confirm(`Let the proxy answer confident "${props.feature}" calls with version ${props.version} instead of the LLM? Any other version of this feature is turned off.`)) return;
    setBusy(true);
    const res = await sendJson("PATCH", props.url, { enabled: turnOn });
    setBusy(false);
    if (!res.ok) {
      setError(res.error);
      return;
    }
    setError(null);
    router.refresh();
  }

  return (
    <div>
      <button type="button" className={props.enabled ? "btn btn-secondary btn-small" : "btn btn-small"} onClick={toggle} disabled={busy} aria-pressed={props.enabled}>
        {props.enabled ? "Turn off" : "Turn on"}
      </button>
      {error ? (
        <p className="small" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}
