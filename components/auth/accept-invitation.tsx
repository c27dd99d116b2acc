"use client";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { FormError } from "../form-controls";
import { sendJson } from "../send-json";

export function AcceptInvitation({ token, organizationName }: { token: string; organizationName: string }) {
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function accept() {
    setBusy(true);
    const res = await sendJson<{ path: string }>("POST", `/api/invitations/${encodeURIComponent(token)}/accept`);
    if (!res.ok) {
      setError(res.error);
      setBusy(false);
      return;
    }
    router.replace(res.data.path);
    router.refresh();
  }
  return (
    <div className="stack">
      <FormError error={error} />
      <button type="button" className="btn btn-block" onClick={accept} disabled={busy}>
        {busy ? "Joining…" : `Join ${organizationName}`}
      </button>
    </div>
  );
}
