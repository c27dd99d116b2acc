"use client";
import { signOut } from "next-auth/react";

export function SignOutButton({ className = "btn btn-secondary btn-small", callbackUrl = "/sign-in" }: { className?: string; callbackUrl?: string }) {
  return (
    <button type="button" className={className} onClick={() => signOut({ callbackUrl })}>
      Sign out
    </button>
  );
}
