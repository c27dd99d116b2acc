"use client";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { Field, FormError, SelectField, SubmitButton } from "../form-controls";
import { sendJson } from "../send-json";

export function OrganizationForm(props: { orgSlug: string; name: string; timezone: string; timezones: string[]; disabled: boolean }) {
  const router = useRouter();
  const [name, setName] = useState(props.name);
  const [timezone, setTimezone] = useState(props.timezone);
  const [fields, setFields] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const zones = props.timezones.includes(props.timezone) ? props.timezones : [props.timezone, ...props.timezones];

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setSaved(false);
    const res = await sendJson("PATCH", `/api/orgs/${encodeURIComponent(props.orgSlug)}`, { name, timezone });
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
    <form className="stack" onSubmit={submit} noValidate>
      <div className="grid-2">
        <Field label="Organization name" name="name" value={name} onChange={(e) => setName(e.target.value)} error={fields.name} disabled={props.disabled} />
        <SelectField
          label="Timezone (for reports and dates)"
          name="timezone"
          value={timezone}
          onChange={setTimezone}
          options={zones.map((z) => ({ value: z, label: z }))}
          error={fields.timezone}
          disabled={props.disabled}
        />
      </div>
      <FormError error={error} fields={fields} shown={["name", "timezone"]} />
      <div className="row">
        <SubmitButton busy={busy} disabled={props.disabled}>Save</SubmitButton>
        {saved ? <span className="muted small" role="status">Saved.</span> : null}
      </div>
    </form>
  );
}
