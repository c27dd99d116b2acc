// The dashboard's routes (overview, calls, CSV, findings, analyses, demo, test call) through the real
// handlers on a real database: roles (a VIEWER reads but changes nothing, the demo loader is ADMIN+),
// tenant isolation (a member of another organization gets 404 everywhere, and nothing changes), the
// waterfall moving after a dismiss, keyset pages and the CSV of a filtered view.
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
process.env.NEXTAUTH_SECRET ??= "test-secret-for-dashboard-routes-0123456789";
// Invitations below are emailed to the .eml outbox: keep those files out of the working tree.
process.env.SPENDLENS_DATA_DIR = mkdtempSync(path.join(os.tmpdir(), "sl-dashboard-routes-"));
delete process.env.REDIS_URL; // "run now" goes to the in-process queue (a Job row) in this test

import type { LeverFinding } from "@/lib/analysis/types";
import { createAnalysisRun, executeAnalysisRun } from "@/lib/analysis/runs";
import { sessionCookieFor } from "@/lib/auth/session";
import { signUp } from "@/lib/auth/sign-up";
import { db } from "@/lib/db/client";
import { useTestDatabase } from "@/lib/db/testing";
import { openAIChatEvent } from "@/lib/ingest/test-fixtures";
import { writeEvents } from "@/lib/ingest/writer";
import { acceptInvitation, createInvitation } from "@/lib/orgs/invitations";
import { currentMonthlySpend } from "@/lib/recommend/spend";
import * as overviewRoute from "@/app/api/orgs/[org]/projects/[project]/overview/route";
import * as callsRoute from "@/app/api/orgs/[org]/projects/[project]/calls/route";
import * as callRoute from "@/app/api/orgs/[org]/projects/[project]/calls/[eventId]/route";
import * as exportRoute from "@/app/api/orgs/[org]/projects/[project]/calls/export/route";
import * as findingsRoute from "@/app/api/orgs/[org]/projects/[project]/findings/route";
import * as findingRoute from "@/app/api/orgs/[org]/projects/[project]/findings/[findingId]/route";
import * as analysesRoute from "@/app/api/orgs/[org]/projects/[project]/analyses/route";
import * as demoRoute from "@/app/api/orgs/[org]/projects/[project]/demo/route";
import * as testCallRoute from "@/app/api/orgs/[org]/projects/[project]/test-call/route";

useTestDatabase();

type Handler = (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>;

async function send(handler: unknown, method: string, params: Record<string, string>, opts: { cookie?: string; body?: unknown; query?: string } = {}) {
  const headers: Record<string, string> = {};
  if (opts.cookie) headers.cookie = opts.cookie;
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  const req = new Request(`http://localhost:3000/api/test${opts.query ? `?${opts.query}` : ""}`, {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  return (handler as Handler)(req, { params: Promise.resolve(params) });
}

async function call(handler: unknown, method: string, params: Record<string, string>, opts: { cookie?: string; body?: unknown; query?: string } = {}) {
  const res = await send(handler, method, params, opts);
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as Record<string, any> };
}

type Workspace = Awaited<ReturnType<typeof signUp>> & { cookie: string };
async function workspace(name: string): Promise<Workspace> {
  const out = await signUp({ name, email: `${name.toLowerCase()}@example.com`, password: `${name}-password` });
  return { ...out, cookie: await sessionCookieFor(out.user) };
}
async function join(owner: Workspace, who: Workspace, role: "VIEWER" | "MEMBER" | "ADMIN") {
  const { token } = await createInvitation({ organizationId: owner.organization.id, email: who.user.email, role, actor: { userId: owner.user.id, role: "OWNER" } });
  await acceptInvitation({ token, userId: who.user.id });
}

let owner: Workspace;
let viewer: Workspace;
let member: Workspace;
let admin: Workspace;
let outsider: Workspace;
let params: Record<string, string>;
let findingIds: string[];
const HOUR = 3_600_000;
const base = Math.floor(Date.now() / HOUR) * HOUR;

beforeAll(async () => {
  [owner, viewer, member, admin, outsider] = await Promise.all(["Olga", "Vic", "Mia", "Ada", "Oscar"].map(workspace));
  await join(owner, viewer, "VIEWER");
  await join(owner, member, "MEMBER");
  await join(owner, admin, "ADMIN");
  params = { org: owner.organization.slug, project: owner.project.slug };
  const project = { projectId: owner.project.id, organizationId: owner.organization.id, source: "sdk" as const };
  const events = Array.from({ length: 30 }, (_, i) =>
    openAIChatEvent({
      id: `ev-${String(i).padStart(2, "0")}`,
      timestamp: new Date(base - (i + 1) * 2 * HOUR).toISOString(),
      tags: { feature: i % 3 === 0 ? "billing, \"quoted\"" : "support", user: `u-${i % 4}` },
      ...(i === 7 ? { error: { status: 500, message: "upstream failed" } } : {}),
    }),
  );
  await writeEvents(project, events);
  // The findings act on 20 of the 30 calls: two thirds of the monthly spend.
  const affected = ((await currentMonthlySpend(owner.project.id)).monthlyUsd * 20) / 30;
  const finding = (lever: LeverFinding["lever"], share: number): LeverFinding => ({
    lever,
    title: `${lever} finding`,
    scope: { feature: "support" },
    callIds: events.slice(0, 20).map((e) => e.id),
    affectedMonthlyCostUsd: affected,
    savingsShare: { point: share, low: share / 2, high: share },
    monthly: { usd: affected * share, low: (affected * share) / 2, high: affected * share },
    confidence: "medium",
    evidence: { clusters: [{ size: 3, entry: { callId: "ev-01" } }] },
    howToApply: { summary: `do ${lever}` },
  });
  const run = await createAnalysisRun(owner.project.id, "cache");
  await executeAnalysisRun(run.id, undefined, async () => ({ result: {}, findings: [finding("cache", 0.3), finding("batch", 0.5)] }));
  findingIds = (await db.finding.findMany({ where: { projectId: owner.project.id }, orderBy: { monthlySavingsUsd: "desc" } })).map((f) => f.id);
});

describe("tenant isolation", () => {
  it("a member of another organization gets 404 from every route, and nothing changes", async () => {
    const f = { ...params, findingId: findingIds[0] };
    const cases: Array<[string, unknown, string, Record<string, string>, unknown?]> = [
      ["overview", overviewRoute.GET, "GET", params],
      ["calls", callsRoute.GET, "GET", params],
      ["call", callRoute.GET, "GET", { ...params, eventId: "ev-01" }],
      ["csv", exportRoute.GET, "GET", params],
      ["findings", findingsRoute.GET, "GET", params],
      ["finding", findingRoute.GET, "GET", f],
      ["dismiss", findingRoute.PATCH, "PATCH", f, { action: "dismiss", reason: "nope" }],
      ["runs", analysesRoute.GET, "GET", params],
      ["run now", analysesRoute.POST, "POST", params, { kind: "cache" }],
      ["demo", demoRoute.POST, "POST", params, { count: 5 }],
      ["test call", testCallRoute.POST, "POST", params],
    ];
    for (const [name, handler, method, p, body] of cases) {
      const res = await call(handler, method, p, { cookie: outsider.cookie, body });
      expect(res.status, name).toBe(404);
      expect(JSON.stringify(res.body), name).not.toContain("support");
    }
    // The outsider's own project cannot reach org A's finding either.
    const own = await call(findingRoute.PATCH, "PATCH", { org: outsider.organization.slug, project: outsider.project.slug, findingId: findingIds[0] }, { cookie: outsider.cookie, body: { action: "accept" } });
    expect(own.status).toBe(404);
    expect(await db.finding.count({ where: { projectId: owner.project.id, status: "open" } })).toBe(2);
    expect(await db.call.count({ where: { projectId: owner.project.id } })).toBe(30);
    expect(await db.analysisRun.count({ where: { projectId: owner.project.id } })).toBe(1);
  });

  it("without a session every route answers 401", async () => {
    expect((await call(overviewRoute.GET, "GET", params)).status).toBe(401);
    expect((await call(findingRoute.PATCH, "PATCH", { ...params, findingId: findingIds[0] }, { body: { action: "accept" } })).status).toBe(401);
    expect((await send(exportRoute.GET, "GET", params)).status).toBe(401);
  });
});

describe("roles", () => {
  it("a VIEWER reads everything but every change is refused with 403", async () => {
    expect((await call(overviewRoute.GET, "GET", params, { cookie: viewer.cookie })).status).toBe(200);
    expect((await call(findingsRoute.GET, "GET", params, { cookie: viewer.cookie })).status).toBe(200);
    expect((await call(analysesRoute.GET, "GET", params, { cookie: viewer.cookie })).status).toBe(200);
    for (const action of [{ action: "accept" }, { action: "dismiss", reason: "no" }, { action: "snooze", until: "2099-01-01" }]) {
      expect((await call(findingRoute.PATCH, "PATCH", { ...params, findingId: findingIds[0] }, { cookie: viewer.cookie, body: action })).status).toBe(403);
    }
    expect((await call(analysesRoute.POST, "POST", params, { cookie: viewer.cookie, body: { kind: "cache" } })).status).toBe(403);
    expect((await call(testCallRoute.POST, "POST", params, { cookie: viewer.cookie })).status).toBe(403);
    expect((await call(demoRoute.POST, "POST", params, { cookie: viewer.cookie, body: { count: 5 } })).status).toBe(403);
    expect((await call(demoRoute.POST, "POST", params, { cookie: member.cookie, body: { count: 5 } })).status).toBe(403);
    expect(await db.finding.count({ where: { projectId: owner.project.id, status: "open" } })).toBe(2);
    expect(await db.call.count({ where: { projectId: owner.project.id } })).toBe(30);
  });
});

describe("overview and calls", () => {
  it("the overview comes from the rollup and names a bad range", async () => {
    const res = await call(overviewRoute.GET, "GET", params, { cookie: viewer.cookie, query: "range=7d" });
    expect(res.status).toBe(200);
    const o = res.body.overview;
    expect(o.totals.requests).toBe(30);
    expect(o.totals.errors).toBe(1);
    const calls = await db.call.aggregate({ where: { projectId: owner.project.id }, _sum: { costUsd: true } });
    expect(o.totals.costUsd).toBeCloseTo(calls._sum.costUsd!, 10);
    expect(o.series.feature.keys.sort()).toEqual(['billing, "quoted"', "support"]);
    const bad = await call(overviewRoute.GET, "GET", params, { cookie: viewer.cookie, query: "range=1y" });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.fields)).toEqual(["range"]);
    const custom = await call(overviewRoute.GET, "GET", params, { cookie: viewer.cookie, query: `from=${new Date(base - 10 * HOUR).toISOString()}&to=${new Date(base).toISOString()}` });
    expect(custom.body.overview.totals.requests).toBe(5); // calls at -2h ... -10h (from is inclusive)
  });

  it("pages through a filtered list with the cursor, without repeats or gaps", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `feature=support&limit=4${cursor ? `&cursor=${cursor}` : ""}`;
      const res = await call(callsRoute.GET, "GET", params, { cookie: viewer.cookie, query });
      expect(res.status).toBe(200);
      seen.push(...res.body.items.map((c: { eventId: string }) => c.eventId));
      cursor = res.body.nextCursor;
    } while (cursor);
    const want = (await db.call.findMany({ where: { projectId: owner.project.id, feature: "support" }, orderBy: [{ timestamp: "desc" }, { eventId: "desc" }] })).map((c) => c.eventId);
    expect(seen).toEqual(want);
    expect(want).toHaveLength(20);
    const bad = await call(callsRoute.GET, "GET", params, { cookie: viewer.cookie, query: "status=broken" });
    expect(bad).toEqual({ status: 400, body: { error: "status must be ok or error", fields: { status: "status must be ok or error" } } });
    expect((await call(callsRoute.GET, "GET", params, { cookie: viewer.cookie, query: "cursor=zzz" })).body.fields).toHaveProperty("cursor");
    const detail = await call(callRoute.GET, "GET", { ...params, eventId: "ev-07" }, { cookie: viewer.cookie });
    expect(detail.body.call.status).toBe(500);
    expect(detail.body.request.messages[0].content).toContain("support assistant");
    expect((await call(callRoute.GET, "GET", { ...params, eventId: "nope" }, { cookie: viewer.cookie })).status).toBe(404);
  });

  it("exports the filtered view as CSV, quoting fields that need it", async () => {
    const res = await send(exportRoute.GET, "GET", params, { cookie: viewer.cookie, query: "feature=billing%2C%20%22quoted%22" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/csv");
    expect(res.headers.get("content-disposition")).toMatch(/attachment; filename=".+\.csv"/);
    const lines = (await res.text()).trimEnd().split("\n");
    expect(lines[0]).toBe("eventId,timestamp,provider,model,feature,endUser,status,latencyMs,inputTokens,cachedInputTokens,outputTokens,costUsd,tokensEstimated");
    const rows = await db.call.findMany({ where: { projectId: owner.project.id, feature: 'billing, "quoted"' }, orderBy: [{ timestamp: "desc" }, { eventId: "desc" }] });
    expect(lines.slice(1).map((l) => l.split(",")[0])).toEqual(rows.map((r) => r.eventId));
    expect(lines[1]).toContain('"billing, ""quoted"""');
    expect(lines[1]).toContain(String(rows[0].costUsd));
    const bad = await send(exportRoute.GET, "GET", params, { cookie: viewer.cookie, query: "minCost=-3" });
    expect(bad.status).toBe(400);
    expect((await bad.json()).fields).toEqual({ minCost: "minCost must be a non-negative number" });
  });
});

describe("findings", () => {
  it("a MEMBER dismisses with a reason and the waterfall total changes", async () => {
    const before = await call(findingsRoute.GET, "GET", params, { cookie: member.cookie });
    expect(before.body.findings.map((f: { lever: string }) => f.lever)).toEqual(["batch", "cache"]);
    const savedBefore = before.body.projection.savedUsd;
    const noReason = await call(findingRoute.PATCH, "PATCH", { ...params, findingId: findingIds[0] }, { cookie: member.cookie, body: { action: "dismiss" } });
    expect(noReason.status).toBe(400);
    expect(noReason.body.fields).toEqual({ reason: "Reason is required to dismiss a recommendation." });
    const ok = await call(findingRoute.PATCH, "PATCH", { ...params, findingId: findingIds[0] }, { cookie: member.cookie, body: { action: "dismiss", reason: "runs interactively" } });
    expect(ok.status).toBe(200);
    expect(ok.body.finding).toMatchObject({ status: "dismissed", dismissReason: "runs interactively" });
    const after = await call(findingsRoute.GET, "GET", params, { cookie: viewer.cookie });
    expect(after.body.projection.savedUsd).toBeLessThan(savedBefore);
    expect(after.body.projection.steps.map((s: { lever: string }) => s.lever)).toEqual(["cache"]);
    expect(after.body.counts).toEqual({ open: 1, accepted: 0, dismissed: 1, snoozed: 0 });
    const one = await call(findingRoute.GET, "GET", { ...params, findingId: findingIds[1] }, { cookie: viewer.cookie });
    expect(one.body.callIds).toHaveLength(20);
    expect(one.body.finding.evidence.clusters[0].size).toBe(3);
  });

  it("run now starts one run per kind at a time (MEMBER+), and the runs list shows it queued", async () => {
    const first = await call(analysesRoute.POST, "POST", params, { cookie: member.cookie, body: { kind: "batch" } });
    expect(first.status).toBe(202);
    expect(first.body.started).toBe(true);
    const again = await call(analysesRoute.POST, "POST", params, { cookie: member.cookie, body: { kind: "batch" } });
    expect(again.body).toEqual({ run: first.body.run, started: false });
    const job = await db.job.findFirstOrThrow({ where: { queue: "analysis", dedupeKey: `analysis:${first.body.run.id}` } });
    expect(job.data).toMatchObject({ projectId: owner.project.id, runId: first.body.run.id, kind: "batch" });
    const runs = await call(analysesRoute.GET, "GET", params, { cookie: viewer.cookie });
    expect(runs.body.active).toBe(true);
    expect(runs.body.kinds.find((k: { kind: string }) => k.kind === "batch").latest).toMatchObject({ id: first.body.run.id, status: "queued", progress: 0 });
    expect(runs.body.kinds.find((k: { kind: string }) => k.kind === "cache").latest).toMatchObject({ status: "succeeded", findings: 2 });
    const bad = await call(analysesRoute.POST, "POST", params, { cookie: member.cookie, body: { kind: "magic" } });
    expect(bad.status).toBe(400);
    expect(bad.body.fields).toHaveProperty("kind");
  });

  it("a queued run whose job failed for good reads as failed, and run now starts a fresh one", async () => {
    const runs = await call(analysesRoute.GET, "GET", params, { cookie: viewer.cookie });
    const queued = runs.body.kinds.find((k: { kind: string }) => k.kind === "batch").latest;
    await db.job.updateMany({ where: { dedupeKey: `analysis:${queued.id}` }, data: { status: "failed", lastError: 'analysis kind "batch" is not available', dedupeKey: null } });
    const now = await call(analysesRoute.GET, "GET", params, { cookie: viewer.cookie });
    expect(now.body.kinds.find((k: { kind: string }) => k.kind === "batch").latest).toMatchObject({ id: queued.id, status: "failed", error: 'analysis kind "batch" is not available' });
    const restarted = await call(analysesRoute.POST, "POST", params, { cookie: member.cookie, body: { kind: "batch" } });
    expect(restarted.body.started).toBe(true);
    expect(restarted.body.run.id).not.toBe(queued.id);
  });
});

describe("onboarding buttons", () => {
  it("a test call lands in the call log and the rollup", async () => {
    const res = await call(testCallRoute.POST, "POST", params, { cookie: member.cookie });
    expect(res.status).toBe(201);
    const stored = await db.call.findUniqueOrThrow({ where: { projectId_eventId: { projectId: owner.project.id, eventId: res.body.eventId } } });
    expect(stored.source).toBe("api");
    expect(stored.feature).toBe("test-call");
    expect(res.body.costUsd).toBe(stored.costUsd);
    expect(stored.costUsd).toBeGreaterThan(0);
    const rollup = await db.usageHourly.aggregate({ where: { projectId: owner.project.id, feature: "test-call" }, _sum: { requests: true } });
    expect(rollup._sum.requests).toBe(1);
  });

  it("an ADMIN queues a demo load (one at a time); the load itself is tested in demo/route.test.ts", async () => {
    const project = await db.project.create({ data: { organizationId: owner.organization.id, name: "Demo", slug: "demo" } });
    const p = { org: owner.organization.slug, project: project.slug };
    const bad = await call(demoRoute.POST, "POST", p, { cookie: admin.cookie, body: { count: 0 } });
    expect(bad.status).toBe(400);
    expect(bad.body.fields).toHaveProperty("count");
    const first = await call(demoRoute.POST, "POST", p, { cookie: admin.cookie, body: { count: 120 } });
    expect(first).toMatchObject({ status: 202, body: { started: true, load: { count: 120 } } });
    const second = await call(demoRoute.POST, "POST", p, { cookie: admin.cookie, body: { count: 120 } });
    expect(second).toMatchObject({ status: 202, body: { started: false, load: { id: first.body.load.id } } });
    // A demo load is kept as an AnalysisRun row but is not an analysis: the savings page's runs omit it.
    const runs = await call(analysesRoute.GET, "GET", p, { cookie: admin.cookie });
    expect(runs.status).toBe(200);
    expect(runs.body.recent.map((r: { id: string }) => r.id)).not.toContain(first.body.load.id);
    expect(runs.body.active).toBe(false);
  });
});
