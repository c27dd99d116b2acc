import type { ReactNode } from "react";
import Link from "next/link";
import { SignOutButton } from "@/components/auth/sign-out-button";
import { requireSession } from "@/lib/auth/guards";
import { guardPage } from "@/lib/http/page-guard";

export const dynamic = "force-dynamic";

/** The user's own pages (not tied to one organization): a plain frame with the way back. */
export default async function AccountLayout({ children }: { children: ReactNode }) {
  const user = await guardPage(() => requireSession(), "/account/email");
  return (
    <>
      <header className="shell-top">
        <div className="shell-bar">
          <Link href="/" className="brand" aria-label="Spendlens home">
            <span className="brand-mark" aria-hidden /> Spendlens
          </Link>
          <span className="spacer" />
          <div className="shell-user">
            <span title={user.email}>{user.name ?? user.email}</span>
            <SignOutButton />
          </div>
        </div>
      </header>
      <main className="shell-main">{children}</main>
    </>
  );
}
