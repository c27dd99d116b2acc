"use client";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { Field, FormError, SubmitButton } from "../form-controls";
import { sendJson } from "../send-json";

export function CreateOrganizationForm() {
  const router = useRouter();
  const [name, setName] = useState("");
  const [fields, setFields] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    const res = await sendJson<{ organization: { slug: string }; project: { slug: string } }>("POST", "/api/orgs", { name });
    setBusy(false);
    if (!res.ok) {
      setFields(res.fields);
      setError(res.error);
      return;
    }
    router.push(`/${res.data.organization.slug}/${res.data.project.slug}/overview`);
    router.refresh();
  }
  return (
    <form className="stack" onSubmit={submit} noValidate>
      <Field label="Organization name" name="name" value={name} onChange={(e) => setName(e.target.value)} error={fields.name} />
      <FormError error={error} fields={fields} shown={["name"]} />
      <SubmitButton busy={busy}>Create organization</SubmitButton>
    </form>
  );
}
