// Spend alerts per project: monthly budget thresholds (50/80/100%) and spend spikes (the last hour above
// `spikeMultiplier` x the trailing 24 h hourly mean; yesterday above it x the trailing 7-day mean). Each
// alert fires once per window: an AlertEvent row keyed (project, kind, window) is inserted first, and
// only the inserter delivers it (email to owners/admins, Slack-compatible webhook).
import { db, getPool } from "../db/client";
import { deliverEmail } from "../email/deliver";
import { appUrl } from "../email/unsubscribe";
import { escapeHtml } from "../html/escape";

export const BUDGET_THRESHOLDS = [50, 80, 100] as const;

export type Alert = { kind: string; windowKey: string; title: string; detail: string; payload: Record<string, unknown> };

type ProjectRow = { id: string; name: string; slug: string; organizationId: string; monthlyBudgetUsd: number | null; spikeMultiplier: number; alertWebhookUrl: string | null };

async function costBetween(projectId: string, from: Date, to: Date): Promise<number> {
  const { rows } = await getPool().query<{ c: number | null }>(
    `SELECT sum("costUsd") AS c FROM "UsageHourly" WHERE "projectId" = $1 AND hour >= $2 AND hour < $3`,
    [projectId, from, to],
  );
  return Number(rows[0]?.c ?? 0);
}

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** The alerts whose condition holds at `at` (not yet de-duplicated). */
export async function evaluateAlerts(p: ProjectRow, at: Date): Promise<Alert[]> {
  const out: Alert[] = [];
  if (p.monthlyBudgetUsd && p.monthlyBudgetUsd > 0) {
    const monthStart = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
    const spent = await costBetween(p.id, monthStart, at);
    const month = monthStart.toISOString().slice(0, 7);
    for (const t of BUDGET_THRESHOLDS) {
      if (spent >= (p.monthlyBudgetUsd * t) / 100) {
        out.push({
          kind: `budget_${t}`,
          windowKey: month,
          title: `${p.name}: ${t}% of the monthly budget used`,
          detail: `$${spent.toFixed(2)} of $${p.monthlyBudgetUsd.toFixed(2)} spent in ${month}.`,
          payload: { spentUsd: spent, budgetUsd: p.monthlyBudgetUsd, threshold: t, month },
        });
      }
    }
  }
  const hourEnd = new Date(Math.floor(at.getTime() / HOUR) * HOUR);
  const lastHour = await costBetween(p.id, new Date(hourEnd.getTime() - HOUR), hourEnd);
  const trailing = (await costBetween(p.id, new Date(hourEnd.getTime() - 25 * HOUR), new Date(hourEnd.getTime() - HOUR))) / 24;
  // A floor keeps a quiet project's first few cents from paging anyone.
  if (trailing > 0 && lastHour > p.spikeMultiplier * trailing && lastHour >= 1) {
    const hour = new Date(hourEnd.getTime() - HOUR).toISOString().slice(0, 13);
    out.push({
      kind: "spike_hour",
      windowKey: hour,
      title: `${p.name}: spend spike in the last hour`,
      detail: `$${lastHour.toFixed(2)} in the hour from ${hour}:00 UTC, ${(lastHour / trailing).toFixed(1)}x the trailing 24 h hourly mean ($${trailing.toFixed(2)}).`,
      payload: { costUsd: lastHour, baselineUsd: trailing, hour },
    });
  }
  const dayEnd = new Date(Math.floor(at.getTime() / DAY) * DAY);
  const yesterday = await costBetween(p.id, new Date(dayEnd.getTime() - DAY), dayEnd);
  const week = (await costBetween(p.id, new Date(dayEnd.getTime() - 8 * DAY), new Date(dayEnd.getTime() - DAY))) / 7;
  if (week > 0 && yesterday > p.spikeMultiplier * week && yesterday >= 1) {
    const day = new Date(dayEnd.getTime() - DAY).toISOString().slice(0, 10);
    out.push({
      kind: "spike_day",
      windowKey: day,
      title: `${p.name}: spend spike on ${day}`,
      detail: `$${yesterday.toFixed(2)} on ${day}, ${(yesterday / week).toFixed(1)}x the trailing 7-day mean ($${week.toFixed(2)}).`,
      payload: { costUsd: yesterday, baselineUsd: week, day },
    });
  }
  return out;
}

export type Fired = { projectId: string; alertId: string; kind: string; windowKey: string };

async function postWebhook(url: string, alert: Alert): Promise<void> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ text: `*${alert.title}*\n${alert.detail}`, spendlens: { kind: alert.kind, window: alert.windowKey, ...alert.payload } }),
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`webhook answered ${res.status}`);
}

/** Evaluate and deliver the alerts of every project (or one), each once per window. */
export async function runAlertChecks(at: Date, opts: { projectId?: string } = {}): Promise<Fired[]> {
  const projects = await db.project.findMany({
    where: opts.projectId ? { id: opts.projectId } : {},
    select: { id: true, name: true, slug: true, organizationId: true, monthlyBudgetUsd: true, spikeMultiplier: true, alertWebhookUrl: true },
  });
  const fired: Fired[] = [];
  for (const p of projects) {
    for (const alert of await evaluateAlerts(p, at)) {
      const inserted = await getPool().query<{ id: string }>(
        `INSERT INTO "AlertEvent" (id, "projectId", kind, "windowKey", payload, "createdAt")
         VALUES (gen_random_uuid()::text, $1, $2, $3, $4, now()) ON CONFLICT ("projectId", kind, "windowKey") DO NOTHING RETURNING id`,
        [p.id, alert.kind, alert.windowKey, JSON.stringify(alert.payload)],
      );
      const id = inserted.rows[0]?.id;
      if (!id) continue;
      fired.push({ projectId: p.id, alertId: id, kind: alert.kind, windowKey: alert.windowKey });
      const admins = await db.membership.findMany({
        where: { organizationId: p.organizationId, role: { in: ["OWNER", "ADMIN"] } },
        select: { userId: true, user: { select: { email: true } }, organization: { select: { slug: true } } },
      });
      for (const a of admins) {
        const link = `${appUrl()}/${a.organization.slug}/${p.slug}/overview`;
        await deliverEmail({
          dedupeKey: `alert:${id}:${a.userId}`,
          kind: "alert",
          organizationId: p.organizationId,
          to: a.user.email,
          subject: `[Spendlens] ${alert.title}`,
          text: `${alert.detail}\n\n${link}`,
          html: `<p><strong>${escapeHtml(alert.title)}</strong></p><p>${escapeHtml(alert.detail)}</p><p><a href="${link}">Open the project</a></p>`,
        });
      }
      if (p.alertWebhookUrl) await postWebhook(p.alertWebhookUrl, alert).catch((err) => console.error(`[alerts] webhook failed: ${(err as Error).message}`));
    }
  }
  return fired;
}

