"use client";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { Field, FormError, SubmitButton } from "../form-controls";
import { sendJson } from "../send-json";

export function DeleteOrganization({ orgSlug }: { orgSlug: string }) {
  const router = useRouter();
  const [confirm, setConfirm] = useState("");
  const [fields, setFields] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    const res = await sendJson("DELETE", `/api/orgs/${encodeURIComponent(orgSlug)}`, { confirm });
    setBusy(false);
    if (!res.ok) {
      setFields(res.fields);
      setError(res.error);
      return;
    }
    router.replace("/");
    router.refresh();
  }
  return (
    <form className="row-end" onSubmit={submit} noValidate>
      <div style={{ flex: "1 1 16rem" }}>
        <Field label={`Type ${orgSlug} to confirm`} name="confirm" value={confirm} onChange={(e) => setConfirm(e.target.value)} error={fields.confirm} autoComplete="off" />
      </div>
      <SubmitButton busy={busy} className="btn btn-danger" disabled={confirm !== orgSlug}>
        Delete organization
      </SubmitButton>
      <div style={{ flexBasis: "100%" }}>
        <FormError error={error} fields={fields} shown={["confirm"]} />
      </div>
    </form>
  );
}
