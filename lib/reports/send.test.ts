import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "../db/client";
import { useTestDatabase } from "../db/testing";
import { useSmtpForTests } from "../email/deliver";
import { unsubscribe } from "../email/unsubscribe";
import { LATENCY_BUCKET_COUNT } from "../ingest/rollup";
import { startTestSmtp } from "../../tests/smtp";
import { sendWeeklyReport, weeklyReportTick } from "./send";

useTestDatabase();
let smtp: Awaited<ReturnType<typeof startTestSmtp>>;
let orgId = "";
const monday = new Date("2026-11-30T08:15:00Z"); // report hour in UTC; covers Nov 23-30

beforeAll(async () => {
  process.env.NEXTAUTH_SECRET = "test-secret";
  process.env.NEXTAUTH_URL = "http://localhost:3999";
  smtp = await startTestSmtp();
  useSmtpForTests(smtp.url);
  const org = await db.organization.create({ data: { name: "Acme AI", slug: `acme-${Date.now()}`, timezone: "UTC" } });
  orgId = org.id;
  const project = await db.project.create({ data: { organizationId: org.id, name: "Support bot", slug: "support" } });
  const people = [
    { email: "owner@acme.test", weekly: true, role: "OWNER" as const },
    { email: "dev@acme.test", weekly: true, role: "MEMBER" as const },
    { email: "quiet@acme.test", weekly: false, role: "VIEWER" as const },
  ];
  for (const p of people) {
    const u = await db.user.create({ data: { email: p.email } });
    await db.membership.create({ data: { organizationId: org.id, userId: u.id, role: p.role, weeklyReport: p.weekly } });
  }
  const hourly = (hour: Date, model: string, feature: string, requests: number, cost: number, errors = 0) => ({
    projectId: project.id, hour, model, feature, requests, errors, costUsd: cost,
    inputTokens: BigInt(requests * 500), outputTokens: BigInt(requests * 20), latencyBuckets: new Array(LATENCY_BUCKET_COUNT).fill(0),
  });
  await db.usageHourly.createMany({
    data: [
      hourly(new Date("2026-11-17T10:00:00Z"), "gpt-4o", "classify", 100, 40), // last week
      hourly(new Date("2026-11-24T10:00:00Z"), "gpt-4o", "classify", 150, 60, 3), // this week
      hourly(new Date("2026-11-26T15:00:00Z"), "gpt-4o-mini", "chat", 50, 2.5),
      hourly(new Date("2026-11-30T09:00:00Z"), "gpt-4o", "classify", 999, 999), // after the week: excluded
    ],
  });
  await db.finding.create({ data: { projectId: project.id, lever: "rightsize", title: "Move classify to gpt-4o-mini", monthlySavingsUsd: 230, savingsLowUsd: 190, savingsHighUsd: 250 } });
});

afterAll(async () => {
  useSmtpForTests(null);
  await smtp.close();
});

function textPart(raw: string): string {
  const m = /Content-Type: text\/plain[^\n]*\n(?:[^\n]+\n)*\n([\s\S]*?)\n--/i.exec(raw.replace(/\r\n/g, "\n"));
  return (m?.[1] ?? "").replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
}

describe("weekly report", () => {
  it("delivers one message per opted-in member with HTML and text parts and the rollup totals", async () => {
    const summaries = await weeklyReportTick(monday);
    expect(summaries).toEqual([{ organizationId: orgId, week: "2026-W48", sent: 2, skipped: 0 }]);
    expect(smtp.messages.map((m) => m.to[0]).sort()).toEqual(["dev@acme.test", "owner@acme.test"]);
    for (const m of smtp.messages) {
      expect(m.raw).toMatch(/Content-Type: text\/html/i);
      expect(m.raw).toMatch(/Content-Type: text\/plain/i);
      expect(m.raw).toMatch(/List-Unsubscribe-Post: List-Unsubscribe=One-Click/);
      const text = textPart(m.raw);
      expect(text).toContain("Spent this week: $62.50 (last week $40.00, +56.3%), 200 calls");
      expect(text).toContain("Error rate: 1.50%");
      expect(text).toContain("$230/month: Move classify to gpt-4o-mini");
      expect(text).toContain("- gpt-4o: $60.00");
    }
  });

  it("sends nothing twice when the job is retried", async () => {
    const again = await sendWeeklyReport(orgId, monday);
    expect(again).toMatchObject({ sent: 0, skipped: 2 });
    expect(smtp.messages).toHaveLength(2);
    expect(await db.emailMessage.count({ where: { organizationId: orgId, status: "sent" } })).toBe(2);
  });

  it("has a working one-click unsubscribe link", async () => {
    const owner = smtp.messages.find((m) => m.to[0] === "owner@acme.test")!;
    const link = /<(http:\/\/localhost:3999\/api\/email\/unsubscribe\?token=[^>]+)>/.exec(owner.raw.replace(/\r?\n\s+/g, ""))![1];
    const token = new URL(link).searchParams.get("token")!;
    expect(await unsubscribe(token)).toBe(true);
    expect(await unsubscribe(token.slice(0, -2) + "xx")).toBe(false);
    const ownerMembership = await db.membership.findFirst({ where: { organizationId: orgId, user: { email: "owner@acme.test" } } });
    expect(ownerMembership?.weeklyReport).toBe(false);
  });

  it("does nothing outside the organization's report hour", async () => {
    expect(await weeklyReportTick(new Date("2026-11-30T10:15:00Z"))).toEqual([]);
  });
});
