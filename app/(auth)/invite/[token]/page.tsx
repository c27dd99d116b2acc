import type { Metadata } from "next";
import Link from "next/link";
import { AcceptInvitation } from "@/components/auth/accept-invitation";
import { SignOutButton } from "@/components/auth/sign-out-button";
import { getSessionUser } from "@/lib/auth/guards";
import { findInvitationByToken } from "@/lib/orgs/invitations";

export const metadata: Metadata = { title: "Invitation" };

export default async function InvitePage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const invitation = await findInvitationByToken(token);
  if (!invitation || invitation.state !== "pending") {
    const why = !invitation ? "is not valid" : invitation.state === "expired" ? "has expired" : `has already been ${invitation.state}`;
    return (
      <div className="card auth-card stack">
        <h1>Invitation unavailable</h1>
        <p className="muted">This invitation link {why}. Ask an admin of the organization for a new one.</p>
        <Link href="/" className="btn btn-secondary">Go to Spendlens</Link>
      </div>
    );
  }
  const user = await getSessionUser();
  const back = `/invite/${encodeURIComponent(token)}`;
  const withEmail = `callbackUrl=${encodeURIComponent(back)}&email=${encodeURIComponent(invitation.email)}`;
  return (
    <div className="card auth-card stack">
      <div>
        <h1>Join {invitation.organization.name}</h1>
        <p className="muted">
          You have been invited as <span className="badge">{invitation.role}</span> with <strong>{invitation.email}</strong>.
        </p>
      </div>
      {!user ? (
        <div className="stack">
          <Link className="btn btn-block" href={`/sign-up?${withEmail}`}>Create an account to join</Link>
          <Link className="btn btn-secondary btn-block" href={`/sign-in?${withEmail}`}>I already have an account</Link>
        </div>
      ) : user.email !== invitation.email ? (
        <div className="stack">
          <div className="notice notice-warn">
            You are signed in as <strong>{user.email}</strong>. Sign out, then sign in as {invitation.email} to accept.
          </div>
          <SignOutButton className="btn btn-secondary btn-block" callbackUrl={`/sign-in?${withEmail}`} />
        </div>
      ) : (
        <AcceptInvitation token={token} organizationName={invitation.organization.name} />
      )}
    </div>
  );
}
