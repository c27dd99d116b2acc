"use client";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { Field, FormError, SubmitButton } from "../form-controls";
import { sendJson } from "../send-json";

export function CreateProjectForm({ orgSlug }: { orgSlug: string }) {
  const router = useRouter();
  const [name, setName] = useState("");
  const [fields, setFields] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    const res = await sendJson<{ project: { slug: string } }>("POST", `/api/orgs/${encodeURIComponent(orgSlug)}/projects`, { name });
    setBusy(false);
    if (!res.ok) {
      setFields(res.fields);
      setError(res.error);
      return;
    }
    router.push(`/${orgSlug}/${res.data.project.slug}/overview`);
    router.refresh();
  }
  return (
    <form className="row-end" onSubmit={submit} noValidate>
      <div style={{ flex: "1 1 16rem" }}>
        <Field label="New project name" name="projectName" placeholder="e.g. Support bot" value={name} onChange={(e) => setName(e.target.value)} error={fields.name} />
      </div>
      <SubmitButton busy={busy}>Create project</SubmitButton>
      <div style={{ flexBasis: "100%" }}>
        <FormError error={error} fields={fields} shown={["name"]} />
      </div>
    </form>
  );
}
