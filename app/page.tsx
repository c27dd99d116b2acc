import Link from "next/link";
import { redirect } from "next/navigation";
import { SignOutButton } from "@/components/auth/sign-out-button";
import { CreateOrganizationForm } from "@/components/orgs/create-organization-form";
import { getSessionUser } from "@/lib/auth/guards";
import { firstProjectPath } from "@/lib/orgs/page-loaders";

export const dynamic = "force-dynamic";

/** "/" sends a signed-in user to their first project; someone in no organization can make one. */
export default async function Home() {
  const user = await getSessionUser();
  if (!user) redirect("/sign-in");
  const path = await firstProjectPath(user.id);
  if (path) redirect(path);
  return (
    <main className="auth-page">
      <Link href="/" className="brand">
        <span className="brand-mark" aria-hidden /> Spendlens
      </Link>
      <div className="card auth-card stack">
        <div>
          <h1>No organization yet</h1>
          <p className="muted">You are not a member of any organization. Create one, or open an invitation link you were sent.</p>
        </div>
        <CreateOrganizationForm />
        <div className="row">
          <span className="muted small">Signed in as {user.email}</span>
          <span className="spacer" />
          <SignOutButton />
        </div>
      </div>
    </main>
  );
}
