import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "../db/client";
import { useTestDatabase } from "../db/testing";
import { useSmtpForTests } from "../email/deliver";
import { LATENCY_BUCKET_COUNT } from "../ingest/rollup";
import { startTestSmtp } from "../../tests/smtp";
import { runAlertChecks } from "./check";

useTestDatabase();
let smtp: Awaited<ReturnType<typeof startTestSmtp>>;
let webhook: http.Server;
const hooks: Array<{ text: string }> = [];
let budgetProject = "";
let spikeProject = "";

const addHour = (projectId: string, hour: Date, cost: number) =>
  db.usageHourly.create({
    data: { projectId, hour, model: "gpt-4o", feature: "", requests: 1, costUsd: cost, latencyBuckets: new Array(LATENCY_BUCKET_COUNT).fill(0) },
  });

beforeAll(async () => {
  smtp = await startTestSmtp();
  useSmtpForTests(smtp.url);
  webhook = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      hooks.push(JSON.parse(body));
      res.end("ok");
    });
  });
  await new Promise<void>((r) => webhook.listen(0, "127.0.0.1", r));
  const org = await db.organization.create({ data: { name: "O", slug: `o-${Date.now()}` } });
  const owner = await db.user.create({ data: { email: `owner-${Date.now()}@x.test` } });
  await db.membership.create({ data: { organizationId: org.id, userId: owner.id, role: "OWNER" } });
  const viewer = await db.user.create({ data: { email: `viewer-${Date.now()}@x.test` } });
  await db.membership.create({ data: { organizationId: org.id, userId: viewer.id, role: "VIEWER" } });
  const url = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hook`;
  budgetProject = (await db.project.create({ data: { organizationId: org.id, name: "Budgeted", slug: "b", monthlyBudgetUsd: 100, spikeMultiplier: 1000, alertWebhookUrl: url } })).id;
  spikeProject = (await db.project.create({ data: { organizationId: org.id, name: "Spiky", slug: "s", spikeMultiplier: 3 } })).id;
});

afterAll(async () => {
  useSmtpForTests(null);
  await smtp.close();
  webhook.close();
});

describe("budget alerts", () => {
  it("fire once each, at the hour the spend crosses 50, 80 and 100% of the budget", async () => {
    // $7 per hour from Dec 1 00:00: crosses $50 during hour 7 (8 x 7 = 56), $80 in hour 11 (12 x 7 = 84), $100 in hour 14 (15 x 7 = 105).
    const firedAt: Record<string, number> = {};
    for (let h = 0; h < 20; h++) {
      await addHour(budgetProject, new Date(Date.UTC(2026, 11, 1, h)), 7);
      const at = new Date(Date.UTC(2026, 11, 1, h + 1)); // check right after each hour closes
      for (const f of await runAlertChecks(at, { projectId: budgetProject })) firedAt[f.kind] = h;
    }
    expect(firedAt).toEqual({ budget_50: 7, budget_80: 11, budget_100: 14 });
    expect(await db.alertEvent.count({ where: { projectId: budgetProject } })).toBe(3);
    // Delivered to the owner only (admins and owners get alerts), and to the webhook.
    const budgetMails = smtp.messages.filter((m) => /budget/.test(m.raw));
    expect(budgetMails).toHaveLength(3);
    expect(budgetMails.every((m) => m.to[0].startsWith("owner-"))).toBe(true);
    expect(hooks.map((h) => /(\d+)% of the monthly budget/.exec(h.text)?.[1])).toEqual(["50", "80", "100"]);
  });
});

describe("spike alerts", () => {
  it("fire for an hour above 3x the trailing mean, once", async () => {
    for (let h = 0; h < 24; h++) await addHour(spikeProject, new Date(Date.UTC(2026, 11, 2, h)), 2);
    await addHour(spikeProject, new Date(Date.UTC(2026, 11, 3, 0)), 5); // 2.5x: not a spike
    expect((await runAlertChecks(new Date(Date.UTC(2026, 11, 3, 1)), { projectId: spikeProject })).map((f) => f.kind)).toEqual([]);
    await addHour(spikeProject, new Date(Date.UTC(2026, 11, 3, 1)), 9); // > 3x of ~2.1
    const fired = await runAlertChecks(new Date(Date.UTC(2026, 11, 3, 2, 5)), { projectId: spikeProject });
    expect(fired.map((f) => [f.kind, f.windowKey])).toEqual([["spike_hour", "2026-12-03T01"]]);
    expect(await runAlertChecks(new Date(Date.UTC(2026, 11, 3, 2, 30)), { projectId: spikeProject })).toEqual([]);
  });
});
