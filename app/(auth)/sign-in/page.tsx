import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { SignInForm } from "@/components/auth/sign-in-form";
import { getSessionUser } from "@/lib/auth/guards";
import { enabledOAuthProviders } from "@/lib/auth/oauth";
import { safeLocalPath } from "@/lib/http/local-path";

export const metadata: Metadata = { title: "Sign in" };

type Search = Promise<{ callbackUrl?: string; error?: string; email?: string }>;

export default async function SignInPage({ searchParams }: { searchParams: Search }) {
  const sp = await searchParams;
  const callbackUrl = safeLocalPath(sp.callbackUrl, "/");
  if (await getSessionUser()) redirect(callbackUrl);
  const signUpHref = `/sign-up${sp.callbackUrl ? `?callbackUrl=${encodeURIComponent(callbackUrl)}` : ""}${sp.email ? `${sp.callbackUrl ? "&" : "?"}email=${encodeURIComponent(sp.email)}` : ""}`;
  return (
    <div className="card auth-card stack">
      <div>
        <h1>Sign in</h1>
        <p className="muted">Welcome back.</p>
      </div>
      <SignInForm callbackUrl={callbackUrl} oauthProviders={enabledOAuthProviders()} initialEmail={sp.email} initialError={sp.error} />
      <p className="muted small">
        New here? <Link href={signUpHref}>Create an account</Link>
      </p>
    </div>
  );
}
