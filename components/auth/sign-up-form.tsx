"use client";
import { signIn } from "next-auth/react";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { Field, FormError, SubmitButton } from "../form-controls";
import { sendJson } from "../send-json";

type Created = { organization: { slug: string }; project: { slug: string } };

export function SignUpForm(props: { callbackUrl: string | null; initialEmail?: string }) {
  const router = useRouter();
  const [name, setName] = useState("");
  const [email, setEmail] = useState(props.initialEmail ?? "");
  const [password, setPassword] = useState("");
  const [fields, setFields] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    // The server checks everything; its messages name the field and are shown under each input.
    const res = await sendJson<Created>("POST", "/api/sign-up", { name, email, password });
    if (!res.ok) {
      setFields(res.fields);
      setError(res.error);
      setBusy(false);
      return;
    }
    setFields({});
    const signedIn = await signIn("credentials", { email, password, redirect: false });
    if (!signedIn || signedIn.error) {
      router.replace("/sign-in");
      return;
    }
    router.replace(props.callbackUrl ?? `/${res.data.organization.slug}/${res.data.project.slug}/overview`);
    router.refresh();
  }

  return (
    <form className="stack" onSubmit={submit} noValidate>
      <Field label="Name" name="name" autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} error={fields.name} autoFocus />
      <Field label="Email" name="email" type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)} error={fields.email} />
      <Field
        label="Password"
        name="password"
        type="password"
        autoComplete="new-password"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        error={fields.password}
        hint="At least 8 characters."
      />
      <FormError error={error} fields={fields} shown={["name", "email", "password"]} />
      <SubmitButton busy={busy} className="btn btn-block">
        Create account
      </SubmitButton>
    </form>
  );
}
