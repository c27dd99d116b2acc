import Link from "next/link";

export default function Forbidden() {
  return (
    <main className="auth-page">
      <div className="card auth-card stack">
        <h1>Not allowed</h1>
        <p className="muted">Your role in this organization does not allow this. Ask an admin or owner.</p>
        <Link href="/" className="btn btn-secondary">Go to Spendlens</Link>
      </div>
    </main>
  );
}
