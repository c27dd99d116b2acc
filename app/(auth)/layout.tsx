import Link from "next/link";
import type { ReactNode } from "react";

export default function AuthLayout({ children }: { children: ReactNode }) {
  return (
    <main className="auth-page">
      <Link href="/" className="brand">
        <span className="brand-mark" aria-hidden /> Spendlens
      </Link>
      {children}
    </main>
  );
}
