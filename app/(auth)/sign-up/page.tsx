import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { SignUpForm } from "@/components/auth/sign-up-form";
import { getSessionUser } from "@/lib/auth/guards";
import { safeLocalPath } from "@/lib/http/local-path";

export const metadata: Metadata = { title: "Create an account" };

type Search = Promise<{ callbackUrl?: string; email?: string }>;

export default async function SignUpPage({ searchParams }: { searchParams: Search }) {
  const sp = await searchParams;
  const callbackUrl = sp.callbackUrl ? safeLocalPath(sp.callbackUrl, "/") : null;
  if (await getSessionUser()) redirect(callbackUrl ?? "/");
  const signInHref = `/sign-in${callbackUrl ? `?callbackUrl=${encodeURIComponent(callbackUrl)}` : ""}`;
  return (
    <div className="card auth-card stack">
      <div>
        <h1>Create your account</h1>
        <p className="muted">You get an organization and a first project, ready for your first call.</p>
      </div>
      <SignUpForm callbackUrl={callbackUrl} initialEmail={sp.email} />
      <p className="muted small">
        Already have an account? <Link href={signInHref}>Sign in</Link>
      </p>
    </div>
  );
}
