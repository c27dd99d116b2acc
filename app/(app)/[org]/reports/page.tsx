import type { Metadata } from "next";
import Link from "next/link";
import { ReportFrame } from "@/components/dashboard/report-frame";
import { requireMembership } from "@/lib/auth/guards";
import { roleAtLeast } from "@/lib/auth/roles";
import { guardPage } from "@/lib/http/page-guard";
import { appUrl, unsubscribeUrl } from "@/lib/email/unsubscribe";
import { buildWeeklyReport } from "@/lib/reports/weekly";
import { previewMoment } from "./preview-moment";

export const metadata: Metadata = { title: "Weekly report" };
export const dynamic = "force-dynamic";

export default async function ReportPreviewPage(props: { params: Promise<{ org: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { org } = await props.params;
  const sp = await props.searchParams;
  const { access, report } = await guardPage(async () => {
    const access = await requireMembership(org, "VIEWER");
    return { access, report: await buildWeeklyReport(access.organization.id, previewMoment(sp.week)) };
  }, `/${org}/reports`);
  // The same links as the email this member receives (their own unsubscribe link).
  const links = { app: `${appUrl()}/${access.organization.slug}`, unsubscribe: unsubscribeUrl({ membershipId: access.membership.id, list: "weekly" }) };
  const week = report.week;
  const prev = new Date(new Date(week.start).getTime() - 7 * 86_400_000).toISOString().slice(0, 10);
  const next = new Date(new Date(week.start).getTime() + 7 * 86_400_000);
  return (
    <div className="stack">
      <div className="page-head">
        <div>
          <h1>Weekly report</h1>
          <p className="muted small" style={{ margin: 0 }}>
            The email members of {access.organization.name} get on Mondays at 08:00 ({access.organization.timezone}), for week {week.label} (
            {week.start.slice(0, 10)} to {new Date(new Date(week.end).getTime() - 1).toISOString().slice(0, 10)}).
          </p>
        </div>
        <div className="row">
          <Link className="btn btn-secondary btn-small" href={`/${org}/reports?week=${prev}`}>
            ← Earlier week
          </Link>
          {next.getTime() + 7 * 86_400_000 <= Date.now() ? (
            <Link className="btn btn-secondary btn-small" href={`/${org}/reports?week=${next.toISOString().slice(0, 10)}`}>
              Later week →
            </Link>
          ) : null}
          <Link className="btn btn-secondary btn-small" href="/account/email">
            Your email preferences
          </Link>
          {roleAtLeast(access.membership.role, "ADMIN") ? (
            <Link className="btn btn-secondary btn-small" href={`/${org}/outbox`}>
              Outbox
            </Link>
          ) : null}
        </div>
      </div>
      <ReportFrame report={report} links={links} title={`Weekly report ${week.label}`} />
    </div>
  );
}
