"use client";
// Switch and delete of one proxy rule: a model route (PATCH / DELETE .../model-routes/<id>), a cache
// rule (.../cache-rules/<id>) or a prompt rule (.../prompt-rules/<id>). The caller words the confirmations.
import { useRouter } from "next/navigation";
import { useState } from "react";
import { sendJson } from "../send-json";

export function ProxyRuleActions(props: { url: string; enabled: boolean; confirmTurnOn: string; confirmDelete: string }) {
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function send(method: "PATCH" | "DELETE", body?: unknown) {
    setBusy(true);
    const res = await sendJson(method, props.url, body);
    setBusy(false);
    if (!res.ok) {
      setError(res.error);
      return;
    }
    setError(null);
    router.refresh();
  }

  function toggle() {
    const turnOn = !props.enabled;
    if (turnOn && !window.confirm(props.confirmTurnOn)) return;
    void send("PATCH", { enabled: turnOn });
  }

  function remove() {
    if (!window.confirm(props.confirmDelete)) return;
    void send("DELETE");
  }

  return (
    <div>
      <div className="row">
        <button type="button" className={props.enabled ? "btn btn-secondary btn-small" : "btn btn-small"} onClick={toggle} disabled={busy} aria-pressed={props.enabled}>
          {props.enabled ? "Turn off" : "Turn on"}
        </button>
        <button type="button" className="btn btn-danger btn-small" onClick={remove} disabled={busy}>
          Delete
        </button>
      </div>
      {error ? (
        <p className="small" role="alert">
          {error}
        </p>
      ) : null}
    </div>
  );
}
