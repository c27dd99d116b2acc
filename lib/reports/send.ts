// Sends an organization's weekly report to every member who opted in, exactly once per (member, week).
import { db } from "../db/client";
import { deliverEmail } from "../email/deliver";
import { renderWeeklyReportHtml, renderWeeklyReportText } from "../email/templates/weekly-report";
import { appUrl, listUnsubscribeHeaders, unsubscribeUrl } from "../email/unsubscribe";
import { isReportHour } from "./week";
import { buildWeeklyReport } from "./weekly";

export type SendSummary = { organizationId: string; week: string; sent: number; skipped: number };

export async function sendWeeklyReport(organizationId: string, at: Date): Promise<SendSummary> {
  const report = await buildWeeklyReport(organizationId, at);
  const members = await db.membership.findMany({
    where: { organizationId, weeklyReport: true },
    select: { id: true, userId: true, user: { select: { email: true } } },
    orderBy: { createdAt: "asc" },
  });
  const app = `${appUrl()}/${report.organization.slug}`;
  let sent = 0;
  let skipped = 0;
  for (const m of members) {
    const target = { membershipId: m.id, list: "weekly" as const };
    const links = { app, unsubscribe: unsubscribeUrl(target) };
    const result = await deliverEmail({
      dedupeKey: `weekly:${organizationId}:${report.week.label}:${m.userId}`,
      kind: "weekly-report",
      organizationId,
      to: m.user.email,
      subject: `Spendlens ${report.week.label}: $${report.totals.costUsd.toFixed(2)} spent${report.totals.change === null ? "" : ` (${report.totals.change >= 0 ? "+" : ""}${(report.totals.change * 100).toFixed(0)}%)`}`,
      html: renderWeeklyReportHtml(report, links),
      text: renderWeeklyReportText(report, links),
      headers: listUnsubscribeHeaders(target),
    });
    if (result.status === "sent") sent++;
    else skipped++;
  }
  return { organizationId, week: report.week.label, sent, skipped };
}

/** The hourly tick: sends to every organization for which it is Monday 08:xx local time. */
export async function weeklyReportTick(at: Date): Promise<SendSummary[]> {
  const orgs = await db.organization.findMany({ select: { id: true, timezone: true } });
  const due = orgs.filter((o) => isReportHour(at, o.timezone));
  const out: SendSummary[] = [];
  for (const o of due) out.push(await sendWeeklyReport(o.id, at));
  return out;
}
