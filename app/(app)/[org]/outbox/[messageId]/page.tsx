import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import styles from "@/components/dashboard/dashboard.module.css";
import { formatDateTime } from "@/components/format";
import { requireMembership } from "@/lib/auth/guards";
import { db } from "@/lib/db/client";
import { outboxDir } from "@/lib/email/deliver";
import { guardPage } from "@/lib/http/page-guard";

export const metadata: Metadata = { title: "Outbox message" };
export const dynamic = "force-dynamic";

const MAX_EML_CHARS = 400_000;

/** The .eml file of a message, only from inside the outbox directory. */
async function readEml(emlPath: string | null): Promise<{ text: string | null; why?: string }> {
  if (!emlPath) return { text: null, why: "This message was delivered over SMTP; no copy is kept." };
  const dir = path.resolve(outboxDir());
  const file = path.resolve(emlPath);
  if (!file.startsWith(dir + path.sep)) return { text: null, why: "The file is outside this server's outbox directory (written by another data directory)." };
  try {
    const text = await readFile(file, "utf8");
    return { text: text.length > MAX_EML_CHARS ? `${text.slice(0, MAX_EML_CHARS)}\n… (cut at ${MAX_EML_CHARS.toLocaleString("en-US")} characters)` : text };
  } catch {
    return { text: null, why: "The .eml file is no longer on disk." };
  }
}

export default async function OutboxMessagePage({ params }: { params: Promise<{ org: string; messageId: string }> }) {
  const { org, messageId } = await params;
  const { access, message } = await guardPage(async () => {
    const access = await requireMembership(org, "ADMIN");
    const message = await db.emailMessage.findFirst({ where: { id: messageId, organizationId: access.organization.id } });
    return { access, message };
  }, `/${org}/outbox/${messageId}`);
  if (!message) notFound();
  const eml = await readEml(message.emlPath);
  const tz = access.organization.timezone;
  return (
    <div className="stack">
      <div className="page-head">
        <div>
          <p className="small" style={{ margin: 0 }}>
            <Link href={`/${org}/outbox`}>← Outbox</Link>
          </p>
          <h1>{message.subject}</h1>
        </div>
      </div>
      <section className="card">
        <table className={styles.kv}>
          <tbody>
            <tr><th>To</th><td>{message.to}</td></tr>
            <tr><th>Kind</th><td>{message.kind}</td></tr>
            <tr><th>Status</th><td>{message.status}{message.error ? ` — ${message.error}` : ""}</td></tr>
            <tr><th>Created</th><td>{formatDateTime(message.createdAt, tz)}</td></tr>
            <tr><th>Sent</th><td>{formatDateTime(message.sentAt, tz)}</td></tr>
            <tr><th>Message id</th><td className={styles.mono}>{message.providerMessageId ?? "—"}</td></tr>
            <tr><th>Exactly-once key</th><td className={styles.mono}>{message.dedupeKey}</td></tr>
          </tbody>
        </table>
      </section>
      <section className="card">
        <h2>.eml file</h2>
        {eml.text !== null ? (
          <>
            <p className="muted small">
              <code>{message.emlPath}</code> — open it in any mail program to see it as the recipient would.
            </p>
            <pre className={styles.pre} data-testid="eml">{eml.text}</pre>
          </>
        ) : (
          <p className="muted">{eml.why}</p>
        )}
      </section>
    </div>
  );
}
