import type { Metadata } from "next";
import Link from "next/link";
import { formatDateTime } from "@/components/format";
import { requireMembership } from "@/lib/auth/guards";
import { db } from "@/lib/db/client";
import { guardPage } from "@/lib/http/page-guard";

export const metadata: Metadata = { title: "Outbox" };
export const dynamic = "force-dynamic";

export default async function OutboxPage({ params }: { params: Promise<{ org: string }> }) {
  const { org } = await params;
  const { access, messages } = await guardPage(async () => {
    const access = await requireMembership(org, "ADMIN");
    const messages = await db.emailMessage.findMany({
      where: { organizationId: access.organization.id },
      orderBy: { createdAt: "desc" },
      take: 200,
      select: { id: true, kind: true, to: true, subject: true, status: true, providerMessageId: true, emlPath: true, error: true, createdAt: true, sentAt: true },
    });
    return { access, messages };
  }, `/${org}/outbox`);
  const tz = access.organization.timezone;
  const smtp = Boolean(process.env.SMTP_URL);
  return (
    <div className="stack">
      <div className="page-head">
        <div>
          <h1>Outbox</h1>
          <p className="muted small" style={{ margin: 0 }}>
            Every email Spendlens sent or tried to send for {access.organization.name}.{" "}
            {smtp
              ? "Mail goes out over SMTP (SMTP_URL)."
              : "No SMTP server is configured (SMTP_URL), so each message is written as an .eml file in the data directory instead: open one to read it, or set SMTP_URL to deliver them."}
          </p>
        </div>
        <Link className="btn btn-secondary btn-small" href={`/${org}/reports`}>
          Preview the weekly report
        </Link>
      </div>
      <section className="card">
        {messages.length === 0 ? (
          <p className="muted">Nothing sent yet. Weekly reports go out on Mondays; invitations when you invite someone.</p>
        ) : (
          <div className="table-wrap">
            <table className="table" data-testid="outbox-table">
              <thead>
                <tr>
                  <th>When</th>
                  <th>Kind</th>
                  <th>To</th>
                  <th>Subject</th>
                  <th>Status</th>
                </tr>
              </thead>
              <tbody>
                {messages.map((m) => (
                  <tr key={m.id}>
                    <td style={{ whiteSpace: "nowrap" }}>{formatDateTime(m.sentAt ?? m.createdAt, tz)}</td>
                    <td>
                      <span className="badge">{m.kind}</span>
                    </td>
                    <td>{m.to}</td>
                    <td>
                      <Link href={`/${org}/outbox/${m.id}`}>{m.subject}</Link>
                    </td>
                    <td>
                      <span className={m.status === "sent" ? "badge badge-ok" : m.status === "failed" ? "badge badge-off" : "badge"}>{m.status}</span>
                      {m.emlPath ? <div className="muted small">.eml file</div> : m.providerMessageId ? <div className="muted small">SMTP</div> : null}
                      {m.error ? <div className="field-error">{m.error}</div> : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </div>
  );
}
