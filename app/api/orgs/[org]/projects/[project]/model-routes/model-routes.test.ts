// Model routes through the real route handlers on a real database: an ADMIN applies a rightsize finding
// in the proxy (and can switch the route off and delete it, each change audited), a VIEWER reads but
// cannot change anything, another organization gets 404 (also for a route id of another project), and
// bad input or a route the proxy cannot apply (across providers) is refused naming the field.
import { beforeAll, describe, expect, it } from "vitest";
process.env.NEXTAUTH_SECRET ??= "test-secret-for-model-routes-0123456789";

import { db } from "@/lib/db/client";
import { useTestDatabase } from "@/lib/db/testing";
import { callRoute, joinOrganization, signUpWorkspace, type Workspace } from "@/lib/http/route-test-kit";
import { createModelRoute } from "@/lib/proxy/model-routes";
import * as listRoute from "@/app/api/orgs/[org]/projects/[project]/model-routes/route";
import * as oneRoute from "@/app/api/orgs/[org]/projects/[project]/model-routes/[routeId]/route";

useTestDatabase();

let owner: Workspace;
let outsider: Workspace;
let viewer: Workspace;
let member: Workspace;
let admin: Workspace;
let finding: string;
let crossProviderFinding: string;
let batchFinding: string;
let dismissedFinding: string;
let outsiderFinding: string;
let outsiderRoute: string;
const own = () => ({ org: owner.organization.slug, project: owner.project.slug });

function rightsize(projectId: string, to: string, extra: Record<string, unknown> = {}) {
  return db.finding.create({
    data: {
      projectId,
      lever: "rightsize",
      title: `Move support-bot from gpt-4o to ${to}`,
      scope: { feature: "support-bot", model: "gpt-4o", promptHash: null },
      monthlySavingsUsd: 420,
      evidence: { status: "recommended", agreement: 0.97 },
      howToApply: { summary: `Change the model to ${to}`, settings: { from: "gpt-4o", to, provider: to.startsWith("claude") ? "anthropic" : "openai" } },
      ...extra,
    },
  });
}

beforeAll(async () => {
  [owner, outsider, viewer, member, admin] = await Promise.all(["Olga", "Otto", "Vic", "Mia", "Ada"].map(signUpWorkspace));
  for (const [who, role] of [[viewer, "VIEWER"], [member, "MEMBER"], [admin, "ADMIN"]] as const) await joinOrganization(owner, who, role);
  finding = (await rightsize(owner.project.id, "gpt-4o-mini")).id;
  crossProviderFinding = (await rightsize(owner.project.id, "claude-3-5-haiku-20241022", { scope: { feature: "triage", model: "gpt-4o" } })).id;
  dismissedFinding = (await rightsize(owner.project.id, "gpt-4o-mini", { scope: { feature: "digest", model: "gpt-4o" }, status: "dismissed", dismissReason: "no" })).id;
  batchFinding = (await db.finding.create({ data: { projectId: owner.project.id, lever: "batch", title: "Batch the nightly job", monthlySavingsUsd: 10 } })).id;
  outsiderFinding = (await rightsize(outsider.project.id, "gpt-4o-mini")).id;
  outsiderRoute = (await createModelRoute({ projectId: outsider.project.id, organizationId: outsider.organization.id, actorUserId: outsider.user.id }, { findingId: outsiderFinding })).route.id;
});

const auditRows = () => db.auditLog.findMany({ where: { organizationId: owner.organization.id, target: { startsWith: "model_route:" } }, orderBy: { createdAt: "asc" } });
const routeCount = () => db.modelRoute.count({ where: { projectId: owner.project.id } });

describe("model route admin routes", () => {
  it("lets a VIEWER list routes but not create, switch or delete one; a MEMBER cannot create one either", async () => {
    const list = await callRoute(listRoute.GET, "GET", own(), { cookie: viewer.cookie });
    expect(list).toEqual({ status: 200, body: { routes: [] } });
    for (const who of [viewer, member]) {
      const res = await callRoute(listRoute.POST, "POST", own(), { cookie: who.cookie, body: { findingId: finding } });
      expect(res.status).toBe(403);
    }
    expect(await routeCount()).toBe(0);
    expect(await auditRows()).toEqual([]);
  });

  it("answers 404 to another organization, and to a route or finding of another project", async () => {
    expect((await callRoute(listRoute.GET, "GET", own(), { cookie: outsider.cookie })).status).toBe(404);
    expect((await callRoute(listRoute.POST, "POST", own(), { cookie: outsider.cookie, body: { findingId: outsiderFinding } })).status).toBe(404);
    expect((await callRoute(listRoute.GET, "GET", own())).status).toBe(401);
    // The outsider's route through the owner's own project: not found, untouched.
    expect((await callRoute(oneRoute.PATCH, "PATCH", { ...own(), routeId: outsiderRoute }, { cookie: owner.cookie, body: { enabled: false } })).status).toBe(404);
    expect((await callRoute(oneRoute.DELETE, "DELETE", { ...own(), routeId: outsiderRoute }, { cookie: owner.cookie })).status).toBe(404);
    expect(await db.modelRoute.findUniqueOrThrow({ where: { id: outsiderRoute } })).toMatchObject({ enabled: true });
    // The outsider's finding applied in the owner's project: not found, naming the field.
    const foreign = await callRoute(listRoute.POST, "POST", own(), { cookie: admin.cookie, body: { findingId: outsiderFinding } });
    expect(foreign.status).toBe(404);
    expect(foreign.body.fields).toEqual({ findingId: expect.any(String) });
    expect(await routeCount()).toBe(0);
  });

  it("refuses bad input naming the field", async () => {
    const cases: Array<[unknown, string, number]> = [
      [{ findingId: batchFinding }, "findingId", 400],
      [{ findingId: dismissedFinding }, "findingId", 400],
      [{ findingId: 42 }, "findingId", 400],
      [{ findingId: finding, toModel: "gpt-4.1-nano" }, "toModel", 400],
      [{ fromModel: "gpt-4o", toModel: "gpt-4o-mini" }, "feature", 400],
      [{ feature: "support-bot", toModel: "gpt-4o-mini" }, "fromModel", 400],
      [{ feature: "support-bot", fromModel: "gpt-4o", toModel: "gpt 4o mini" }, "toModel", 400],
      [{ feature: "support-bot", fromModel: "gpt-4o", toModel: "no-such-model-xyz" }, "toModel", 400],
      [{ feature: "support-bot", fromModel: "gpt-4o", toModel: "gpt-4o-2024-08-06" }, "toModel", 400],
      [{ feature: "support-bot", fromModel: "gpt-4o", toModel: "gpt-4o-mini", auditShare: 1.5 }, "auditShare", 400],
    ];
    for (const [body, field, status] of cases) {
      const res = await callRoute(listRoute.POST, "POST", own(), { cookie: admin.cookie, body });
      expect([res.status, Object.keys((res.body.fields as object) ?? {})], JSON.stringify(body)).toEqual([status, [field]]);
    }
    expect(await routeCount()).toBe(0);
  });

  it("refuses a route across providers (the request format differs), naming toModel", async () => {
    const byHand = await callRoute(listRoute.POST, "POST", own(), { cookie: admin.cookie, body: { feature: "triage", fromModel: "gpt-4o", toModel: "claude-3-5-haiku-20241022" } });
    expect(byHand.status).toBe(400);
    expect(byHand.body.fields).toEqual({ toModel: expect.stringMatching(/claude-3-5-haiku-20241022.*Anthropic.*gpt-4o.*OpenAI/) });
    const fromFinding = await callRoute(listRoute.POST, "POST", own(), { cookie: admin.cookie, body: { findingId: crossProviderFinding } });
    expect(fromFinding.status).toBe(400);
    expect(fromFinding.body.fields).toEqual({ toModel: expect.any(String) });
    expect(await routeCount()).toBe(0);
  });

  it("lets an ADMIN apply a finding (once), switch the route off and delete it, each change audited", async () => {
    const created = await callRoute(listRoute.POST, "POST", own(), { cookie: admin.cookie, body: { findingId: finding } });
    expect(created.status).toBe(201);
    const route = created.body.route as Record<string, unknown>;
    expect(route).toMatchObject({ feature: "support-bot", fromModel: "gpt-4o", toModel: "gpt-4o-mini", enabled: true, auditShare: 0.02, findingId: finding, createdBy: admin.user.email });
    const id = route.id as string;

    // Applying it again gives the same route.
    const again = await callRoute(listRoute.POST, "POST", own(), { cookie: owner.cookie, body: { findingId: finding } });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ created: false, route: { id } });
    // Another target for the same feature and model is a conflict.
    const conflict = await callRoute(listRoute.POST, "POST", own(), { cookie: admin.cookie, body: { feature: "support-bot", fromModel: "gpt-4o", toModel: "gpt-4.1-nano" } });
    expect(conflict.status).toBe(409);
    expect(conflict.body.fields).toEqual({ toModel: expect.stringMatching(/gpt-4o-mini/) });

    const list = await callRoute(listRoute.GET, "GET", own(), { cookie: viewer.cookie });
    expect((list.body.routes as { id: string }[]).map((r) => r.id)).toEqual([id]);

    for (const who of [viewer, member]) {
      expect((await callRoute(oneRoute.PATCH, "PATCH", { ...own(), routeId: id }, { cookie: who.cookie, body: { enabled: false } })).status).toBe(403);
      expect((await callRoute(oneRoute.DELETE, "DELETE", { ...own(), routeId: id }, { cookie: who.cookie })).status).toBe(403);
    }
    const badPatch = await callRoute(oneRoute.PATCH, "PATCH", { ...own(), routeId: id }, { cookie: admin.cookie, body: { enabled: "no" } });
    expect([badPatch.status, badPatch.body.fields]).toEqual([400, { enabled: expect.stringMatching(/enabled/) }]);

    const off = await callRoute(oneRoute.PATCH, "PATCH", { ...own(), routeId: id }, { cookie: admin.cookie, body: { enabled: false } });
    expect(off.status).toBe(200);
    expect(off.body.route).toMatchObject({ id, enabled: false });
    // Applying the finding again switches it back on.
    const reapplied = await callRoute(listRoute.POST, "POST", own(), { cookie: admin.cookie, body: { findingId: finding } });
    expect(reapplied.body).toMatchObject({ created: false, route: { id, enabled: true } });
    const share = await callRoute(oneRoute.PATCH, "PATCH", { ...own(), routeId: id }, { cookie: owner.cookie, body: { auditShare: 0.1 } });
    expect(share.body.route).toMatchObject({ auditShare: 0.1, enabled: true });

    const deleted = await callRoute(oneRoute.DELETE, "DELETE", { ...own(), routeId: id }, { cookie: admin.cookie });
    expect(deleted.status).toBe(200);
    expect(await routeCount()).toBe(0);
    expect((await callRoute(oneRoute.DELETE, "DELETE", { ...own(), routeId: id }, { cookie: admin.cookie })).status).toBe(404);

    const rows = await auditRows();
    expect(rows.map((r) => [r.actorUserId, r.action, r.target, (r.meta as Record<string, unknown>).change])).toEqual([
      [admin.user.id, "project.update", `model_route:${id}`, "model_route.create"],
      [admin.user.id, "project.update", `model_route:${id}`, "model_route.disable"],
      [admin.user.id, "project.update", `model_route:${id}`, "model_route.enable"],
      [owner.user.id, "project.update", `model_route:${id}`, "model_route.audit_share"],
      [admin.user.id, "project.update", `model_route:${id}`, "model_route.delete"],
    ]);
    expect(rows[0].meta).toMatchObject({ projectId: owner.project.id, feature: "support-bot", fromModel: "gpt-4o", toModel: "gpt-4o-mini", findingId: finding, auditShare: 0.02 });
  });

  it("keeps a route when its finding row is deleted (findingId becomes null)", async () => {
    const f = await rightsize(owner.project.id, "gpt-4o-mini", { scope: { feature: "faq", model: "gpt-4o" }, status: "accepted", acceptedAt: new Date() });
    const created = await callRoute(listRoute.POST, "POST", own(), { cookie: owner.cookie, body: { findingId: f.id } });
    expect(created.status).toBe(201);
    await db.finding.delete({ where: { id: f.id } });
    expect(await db.modelRoute.findUniqueOrThrow({ where: { id: (created.body.route as { id: string }).id } })).toMatchObject({ feature: "faq", findingId: null, enabled: true });
  });
});
