"use client";
import { signIn } from "next-auth/react";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { Field, FormError, SubmitButton } from "../form-controls";

const PROVIDER_LABELS: Record<string, string> = { github: "GitHub", google: "Google" };

function describeError(code: string | null | undefined): string | null {
  if (!code) return null;
  if (code === "CredentialsSignin") return "Email or password is incorrect.";
  if (code === "OAuthEmail") return "That account has no verified email address we can use.";
  if (/^[A-Z][A-Za-z]+$/.test(code)) return "Sign-in failed. Please try again.";
  return code; // our own messages, e.g. the lockout notice
}

export function SignInForm(props: { callbackUrl: string; oauthProviders: string[]; initialEmail?: string; initialError?: string }) {
  const router = useRouter();
  const [email, setEmail] = useState(props.initialEmail ?? "");
  const [password, setPassword] = useState("");
  const [fields, setFields] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(describeError(props.initialError));
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const missing: Record<string, string> = {};
    if (!email.trim()) missing.email = "Email is required.";
    if (!password) missing.password = "Password must not be empty.";
    setFields(missing);
    setError(null);
    if (Object.keys(missing).length) return;
    setBusy(true);
    const res = await signIn("credentials", { email, password, redirect: false });
    if (!res || res.error) {
      setBusy(false);
      setError(describeError(res?.error ?? "CredentialsSignin"));
      return;
    }
    router.replace(props.callbackUrl);
    router.refresh();
  }

  return (
    <form className="stack" onSubmit={submit} noValidate>
      <Field label="Email" name="email" type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)} error={fields.email} autoFocus />
      <Field label="Password" name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} error={fields.password} />
      <FormError error={error} />
      <SubmitButton busy={busy} className="btn btn-block">
        Sign in
      </SubmitButton>
      {props.oauthProviders.length > 0 ? (
        <>
          <div className="divider">or</div>
          {props.oauthProviders.map((p) => (
            <button key={p} type="button" className="btn btn-secondary btn-block" onClick={() => signIn(p, { callbackUrl: props.callbackUrl })}>
              Continue with {PROVIDER_LABELS[p] ?? p}
            </button>
          ))}
        </>
      ) : null}
    </form>
  );
}
