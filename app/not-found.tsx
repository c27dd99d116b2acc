import Link from "next/link";

export default function NotFound() {
  return (
    <main className="auth-page">
      <div className="card auth-card stack">
        <h1>Not found</h1>
        <p className="muted">This page does not exist, or you do not have access to it.</p>
        <Link href="/" className="btn btn-secondary">Go to Spendlens</Link>
      </div>
    </main>
  );
}
