import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import styles from "@/components/dashboard/dashboard.module.css";
import { formatDateTime } from "@/components/format";
import { EmailMessageView } from "@/components/outbox/email-message-view";
import { requireMembership } from "@/lib/auth/guards";
import { db } from "@/lib/db/client";
import { readOutboxEml } from "@/lib/email/outbox-eml";
import { withLinksInNewWindow } from "@/lib/email/preview-html";
import { guardPage } from "@/lib/http/page-guard";

export const metadata: Metadata = { title: "Outbox message" };
export const dynamic = "force-dynamic";

export default async function OutboxMessagePage({ params }: { params: Promise<{ org: string; messageId: string }> }) {
  const { org, messageId } = await params;
  const { access, message } = await guardPage(async () => {
    const access = await requireMembership(org, "ADMIN");
    const message = await db.emailMessage.findFirst({ where: { id: messageId, organizationId: access.organization.id } });
    return { access, message };
  }, `/${org}/outbox/${messageId}`);
  if (!message) notFound();
  const eml = await readOutboxEml(message.emlPath);
  const mail = eml.ok ? eml.parsed : null;
  const tz = access.organization.timezone;
  return (
    <div className="stack">
      <div className="page-head">
        <div>
          <p className="small" style={{ margin: 0 }}>
            <Link href={`/${org}/outbox`}>← Outbox</Link>
          </p>
          <h1>{mail?.subject ?? message.subject}</h1>
        </div>
      </div>
      <section className="card" aria-label="Email">
        <table className={styles.kv} data-testid="email-headers">
          <tbody>
            <tr><th>From</th><td>{mail?.from ?? "—"}</td></tr>
            <tr><th>To</th><td>{mail?.to ?? message.to}</td></tr>
            {mail?.cc ? <tr><th>Cc</th><td>{mail.cc}</td></tr> : null}
            <tr><th>Subject</th><td>{mail?.subject ?? message.subject}</td></tr>
            <tr><th>Date</th><td>{mail ? (mail.date ? formatDateTime(mail.date, tz) : mail.dateHeader ?? "—") : formatDateTime(message.sentAt, tz)}</td></tr>
            {mail && mail.attachments.length > 0 ? (
              <tr>
                <th>Attachments</th>
                <td>{mail.attachments.map((a) => `${a.filename ?? "(no name)"} (${a.contentType}, ${a.size.toLocaleString("en-US")} bytes)`).join(", ")}</td>
              </tr>
            ) : null}
          </tbody>
        </table>
        <div style={{ marginTop: "1rem" }}>
          {eml.ok ? (
            <EmailMessageView
              html={eml.parsed.html === null ? null : withLinksInNewWindow(eml.parsed.html)}
              text={eml.parsed.text}
              raw={eml.raw}
              fileName={eml.fileName}
            />
          ) : (
            <p className="muted">{eml.why}</p>
          )}
        </div>
      </section>
      <section className="card" aria-labelledby="delivery-heading">
        <h2 id="delivery-heading">Delivery</h2>
        <table className={styles.kv}>
          <tbody>
            <tr><th>Kind</th><td>{message.kind}</td></tr>
            <tr><th>Status</th><td>{message.status}{message.error ? ` — ${message.error}` : ""}</td></tr>
            <tr><th>Created</th><td>{formatDateTime(message.createdAt, tz)}</td></tr>
            <tr><th>Sent</th><td>{formatDateTime(message.sentAt, tz)}</td></tr>
            <tr><th>Message id</th><td className={styles.mono}>{message.providerMessageId ?? "—"}</td></tr>
            <tr><th>Exactly-once key</th><td className={styles.mono}>{message.dedupeKey}</td></tr>
            {message.emlPath ? <tr><th>File</th><td className={styles.mono}>{message.emlPath}</td></tr> : null}
          </tbody>
        </table>
      </section>
    </div>
  );
}
