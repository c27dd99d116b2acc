"use client";
// One-field rename form (project name), saved with PATCH.
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { Field, FormError, SubmitButton } from "../form-controls";
import { sendJson } from "../send-json";

export function RenameForm(props: { url: string; label: string; initialName: string; disabled: boolean }) {
  const router = useRouter();
  const [name, setName] = useState(props.initialName);
  const [fields, setFields] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setSaved(false);
    const res = await sendJson("PATCH", props.url, { name });
    setBusy(false);
    if (!res.ok) {
      setFields(res.fields);
      setError(res.error);
      return;
    }
    setFields({});
    setError(null);
    setSaved(true);
    router.refresh();
  }
  return (
    <form className="row-end" onSubmit={submit} noValidate>
      <div style={{ flex: "1 1 16rem" }}>
        <Field label={props.label} name="name" value={name} onChange={(e) => setName(e.target.value)} error={fields.name} disabled={props.disabled} />
      </div>
      <SubmitButton busy={busy} disabled={props.disabled}>Save</SubmitButton>
      {saved ? <span className="muted small" role="status">Saved.</span> : null}
      <div style={{ flexBasis: "100%" }}>
        <FormError error={error} fields={fields} shown={["name"]} />
      </div>
    </form>
  );
}
