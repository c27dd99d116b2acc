import type { Metadata } from "next";
import Link from "next/link";
import { requireSession } from "@/lib/auth/guards";
import { db } from "@/lib/db/client";
import { guardPage } from "@/lib/http/page-guard";
import { setWeeklyReport } from "./actions";

export const metadata: Metadata = { title: "Email preferences" };
export const dynamic = "force-dynamic";

export default async function EmailPreferencesPage() {
  const { user, memberships } = await guardPage(async () => {
    const user = await requireSession();
    const memberships = await db.membership.findMany({
      where: { userId: user.id },
      orderBy: { createdAt: "asc" },
      select: { id: true, role: true, weeklyReport: true, organization: { select: { name: true, slug: true, timezone: true } } },
    });
    return { user, memberships };
  }, "/account/email");
  return (
    <div className="stack" style={{ maxWidth: 760 }}>
      <div className="page-head">
        <div>
          <h1>Email preferences</h1>
          <p className="muted small" style={{ margin: 0 }}>
            Weekly reports go to <strong>{user.email}</strong> on Mondays at 08:00 in each organization&apos;s time zone. Every report also has a
            one-click unsubscribe link.
          </p>
        </div>
      </div>
      <section className="card">
        <table className="table" data-testid="email-preferences">
          <thead>
            <tr>
              <th>Organization</th>
              <th>Weekly report</th>
              <th aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {memberships.map((m) => (
              <tr key={m.id} data-org={m.organization.slug}>
                <td>
                  <div>{m.organization.name}</div>
                  <div className="muted small">
                    {m.role} · {m.organization.timezone} · <Link href={`/${m.organization.slug}/reports`}>preview</Link>
                  </div>
                </td>
                <td>{m.weeklyReport ? <span className="badge badge-ok">subscribed</span> : <span className="badge">off</span>}</td>
                <td>
                  <form action={setWeeklyReport}>
                    <input type="hidden" name="membershipId" value={m.id} />
                    {m.weeklyReport ? null : <input type="hidden" name="weeklyReport" value="on" />}
                    <button type="submit" className="btn btn-secondary btn-small">
                      {m.weeklyReport ? "Unsubscribe" : "Subscribe"}
                    </button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}
