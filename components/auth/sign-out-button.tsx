"use client";
import { signOut } from "next-auth/react";
import { useRouter } from "next/navigation";

/**
 * Signs out without next-auth's redirect, which would go to NEXTAUTH_URL's host (e.g. localhost)
 * even when the app was opened by another name on the network.
 */
export function SignOutButton({ className = "btn btn-secondary btn-small", callbackUrl = "/sign-in" }: { className?: string; callbackUrl?: string }) {
  const router = useRouter();
  async function signOutHere() {
    await signOut({ redirect: false });
    router.replace(callbackUrl);
    router.refresh();
  }
  return (
    <button type="button" className={className} onClick={signOutHere}>
      Sign out
    </button>
  );
}
