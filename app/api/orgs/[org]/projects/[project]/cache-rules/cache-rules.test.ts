// Cache rules through the real route handlers on a real database: an ADMIN applies a cache finding in
// the proxy (semantic or exact; the finding's TTL) or names a rule by hand, switches it off, changes its
// TTL and deletes it, each change audited; a VIEWER reads but cannot change anything; another
// organization gets 404 (also for a rule id of another project); bad input is refused naming the field.
import { beforeAll, describe, expect, it } from "vitest";
process.env.NEXTAUTH_SECRET ??= "test-secret-for-cache-rules-0123456789";

import { db } from "@/lib/db/client";
import { useTestDatabase } from "@/lib/db/testing";
import { callRoute, joinOrganization, signUpWorkspace, type Workspace } from "@/lib/http/route-test-kit";
import { createCacheRule } from "@/lib/proxy/cache-rules";
import * as listRoute from "@/app/api/orgs/[org]/projects/[project]/cache-rules/route";
import * as oneRoute from "@/app/api/orgs/[org]/projects/[project]/cache-rules/[ruleId]/route";

useTestDatabase();

let owner: Workspace;
let outsider: Workspace;
let viewer: Workspace;
let member: Workspace;
let admin: Workspace;
let semanticFinding: string;
let exactFinding: string;
let rightsizeFinding: string;
let dismissedFinding: string;
let outsiderFinding: string;
let outsiderRule: string;
const own = () => ({ org: owner.organization.slug, project: owner.project.slug });

function cacheFinding(projectId: string, settings: Record<string, string | number | null | string[]>, extra: Record<string, unknown> = {}) {
  return db.finding.create({
    data: {
      projectId,
      lever: "cache",
      title: "Cache support-bot",
      scope: { feature: "support-bot", model: "gpt-4o" },
      monthlySavingsUsd: 120,
      evidence: { exactDuplicates: 40 },
      howToApply: { summary: "Cache it", settings },
      ...extra,
    },
  });
}

beforeAll(async () => {
  [owner, outsider, viewer, member, admin] = await Promise.all(["Olga", "Otto", "Vic", "Mia", "Ada"].map(signUpWorkspace));
  for (const [who, role] of [[viewer, "VIEWER"], [member, "MEMBER"], [admin, "ADMIN"]] as const) await joinOrganization(owner, who, role);
  semanticFinding = (await cacheFinding(owner.project.id, { embedder: "tfidf", threshold: 0.92, ttlSeconds: 7_200, key: ["feature", "model", "system prompt", "template"] })).id;
  exactFinding = (await cacheFinding(owner.project.id, { threshold: 1, ttlSeconds: null, key: ["feature", "model", "system prompt", "template", "normalised text"] }, { scope: { feature: "faq", model: "gpt-4o-mini" } })).id;
  dismissedFinding = (await cacheFinding(owner.project.id, { threshold: 1, ttlSeconds: 600 }, { scope: { feature: "digest", model: "gpt-4o" }, status: "dismissed", dismissReason: "no" })).id;
  rightsizeFinding = (await db.finding.create({ data: { projectId: owner.project.id, lever: "rightsize", title: "Move", scope: { feature: "x", model: "gpt-4o" }, monthlySavingsUsd: 10 } })).id;
  outsiderFinding = (await cacheFinding(outsider.project.id, { threshold: 1, ttlSeconds: 600 })).id;
  outsiderRule = (await createCacheRule({ projectId: outsider.project.id, organizationId: outsider.organization.id, actorUserId: outsider.user.id }, { findingId: outsiderFinding })).rule.id;
});

const auditRows = () => db.auditLog.findMany({ where: { organizationId: owner.organization.id, target: { startsWith: "cache_rule:" } }, orderBy: { createdAt: "asc" } });
const ruleCount = () => db.cacheRule.count({ where: { projectId: owner.project.id } });

describe("cache rule admin routes", () => {
  it("lets a VIEWER list rules but not create, switch or delete one; a MEMBER cannot create one either", async () => {
    expect(await callRoute(listRoute.GET, "GET", own(), { cookie: viewer.cookie })).toEqual({ status: 200, body: { rules: [] } });
    for (const who of [viewer, member]) {
      expect((await callRoute(listRoute.POST, "POST", own(), { cookie: who.cookie, body: { findingId: semanticFinding } })).status).toBe(403);
    }
    expect(await ruleCount()).toBe(0);
    expect(await auditRows()).toEqual([]);
  });

  it("answers 404 to another organization, and to a rule or finding of another project", async () => {
    expect((await callRoute(listRoute.GET, "GET", own(), { cookie: outsider.cookie })).status).toBe(404);
    expect((await callRoute(listRoute.POST, "POST", own(), { cookie: outsider.cookie, body: { feature: "a", model: "gpt-4o" } })).status).toBe(404);
    expect((await callRoute(listRoute.GET, "GET", own())).status).toBe(401);
    expect((await callRoute(oneRoute.PATCH, "PATCH", { ...own(), ruleId: outsiderRule }, { cookie: owner.cookie, body: { enabled: false } })).status).toBe(404);
    expect((await callRoute(oneRoute.DELETE, "DELETE", { ...own(), ruleId: outsiderRule }, { cookie: owner.cookie })).status).toBe(404);
    expect(await db.cacheRule.findUniqueOrThrow({ where: { id: outsiderRule } })).toMatchObject({ enabled: true });
    const foreign = await callRoute(listRoute.POST, "POST", own(), { cookie: admin.cookie, body: { findingId: outsiderFinding } });
    expect([foreign.status, foreign.body.fields]).toEqual([404, { findingId: expect.any(String) }]);
    expect(await ruleCount()).toBe(0);
  });

  it("refuses bad input naming the field", async () => {
    const cases: Array<[unknown, string]> = [
      [{ findingId: rightsizeFinding }, "findingId"],
      [{ findingId: dismissedFinding }, "findingId"],
      [{ findingId: 42 }, "findingId"],
      [{ findingId: semanticFinding, model: "gpt-4o-mini" }, "model"],
      [{ findingId: semanticFinding, ttlSeconds: 5 }, "ttlSeconds"],
      [{ model: "gpt-4o" }, "feature"],
      [{ feature: "support-bot" }, "model"],
      [{ feature: "support-bot", model: "no-such-model-xyz" }, "model"],
      [{ feature: "support-bot", model: "gpt-4o", ttlSeconds: 59 }, "ttlSeconds"],
      [{ feature: "support-bot", model: "gpt-4o", ttlSeconds: 30 * 86_400 + 1 }, "ttlSeconds"],
      [{ feature: "support-bot", model: "gpt-4o", ttlSeconds: 90.5 }, "ttlSeconds"],
      [{ feature: "support-bot", model: "gpt-4o", ttlSeconds: "3600" }, "ttlSeconds"],
      [{ feature: "support-bot", model: "gpt-4o", auditShare: -0.1 }, "auditShare"],
    ];
    for (const [body, field] of cases) {
      const res = await callRoute(listRoute.POST, "POST", own(), { cookie: admin.cookie, body });
      expect([res.status, Object.keys((res.body.fields as object) ?? {})], JSON.stringify(body)).toEqual([400, [field]]);
    }
    expect(await ruleCount()).toBe(0);
  });

  it("lets an ADMIN apply a semantic finding (its TTL, exact mode), switch it off, change its TTL and delete it, each change audited", async () => {
    const created = await callRoute(listRoute.POST, "POST", own(), { cookie: admin.cookie, body: { findingId: semanticFinding } });
    expect(created.status).toBe(201);
    const rule = created.body.rule as Record<string, unknown>;
    expect(rule).toMatchObject({ feature: "support-bot", model: "gpt-4o", ttlSeconds: 7_200, enabled: true, auditShare: 0.02, findingId: semanticFinding, createdBy: admin.user.email });
    const id = rule.id as string;

    const again = await callRoute(listRoute.POST, "POST", own(), { cookie: owner.cookie, body: { findingId: semanticFinding } });
    expect([again.status, again.body]).toEqual([200, expect.objectContaining({ created: false, rule: expect.objectContaining({ id }) })]);
    expect((await callRoute(listRoute.GET, "GET", own(), { cookie: viewer.cookie })).body.rules).toEqual([expect.objectContaining({ id })]);

    for (const who of [viewer, member]) {
      expect((await callRoute(oneRoute.PATCH, "PATCH", { ...own(), ruleId: id }, { cookie: who.cookie, body: { enabled: false } })).status).toBe(403);
      expect((await callRoute(oneRoute.DELETE, "DELETE", { ...own(), ruleId: id }, { cookie: who.cookie })).status).toBe(403);
    }
    for (const [body, field] of [[{ enabled: "no" }, "enabled"], [{ ttlSeconds: 10 }, "ttlSeconds"], [{ auditShare: 2 }, "auditShare"], [{}, "enabled"]] as const) {
      const bad = await callRoute(oneRoute.PATCH, "PATCH", { ...own(), ruleId: id }, { cookie: admin.cookie, body });
      expect([bad.status, Object.keys((bad.body.fields as object) ?? {})], JSON.stringify(body)).toEqual([400, [field]]);
    }

    const off = await callRoute(oneRoute.PATCH, "PATCH", { ...own(), ruleId: id }, { cookie: admin.cookie, body: { enabled: false } });
    expect(off.body.rule).toMatchObject({ id, enabled: false });
    const reapplied = await callRoute(listRoute.POST, "POST", own(), { cookie: admin.cookie, body: { findingId: semanticFinding } });
    expect(reapplied.body).toMatchObject({ created: false, rule: { id, enabled: true } });
    const ttl = await callRoute(oneRoute.PATCH, "PATCH", { ...own(), ruleId: id }, { cookie: owner.cookie, body: { ttlSeconds: 60 } });
    expect(ttl.body.rule).toMatchObject({ ttlSeconds: 60, enabled: true });

    expect((await callRoute(oneRoute.DELETE, "DELETE", { ...own(), ruleId: id }, { cookie: admin.cookie })).status).toBe(200);
    expect(await ruleCount()).toBe(0);
    expect((await callRoute(oneRoute.DELETE, "DELETE", { ...own(), ruleId: id }, { cookie: admin.cookie })).status).toBe(404);

    const rows = await auditRows();
    expect(rows.map((r) => [r.actorUserId, r.action, r.target, (r.meta as Record<string, unknown>).change])).toEqual([
      [admin.user.id, "project.update", `cache_rule:${id}`, "cache_rule.create"],
      [admin.user.id, "project.update", `cache_rule:${id}`, "cache_rule.disable"],
      [admin.user.id, "project.update", `cache_rule:${id}`, "cache_rule.enable"],
      [owner.user.id, "project.update", `cache_rule:${id}`, "cache_rule.ttl"],
      [admin.user.id, "project.update", `cache_rule:${id}`, "cache_rule.delete"],
    ]);
    expect(rows[0].meta).toMatchObject({ projectId: owner.project.id, feature: "support-bot", model: "gpt-4o", findingId: semanticFinding, ttlSeconds: 7_200, auditShare: 0.02 });
  });

  it("applies an exact finding without a TTL for a day, a by-hand rule with its own, and keeps a rule when its finding is deleted", async () => {
    const exact = await callRoute(listRoute.POST, "POST", own(), { cookie: admin.cookie, body: { findingId: exactFinding } });
    expect(exact.body.rule).toMatchObject({ feature: "faq", model: "gpt-4o-mini", ttlSeconds: 86_400 });
    const byHand = await callRoute(listRoute.POST, "POST", own(), { cookie: admin.cookie, body: { feature: "triage", model: "claude-3-5-haiku-20241022", ttlSeconds: 600, auditShare: 0 } });
    expect([byHand.status, byHand.body.rule]).toEqual([201, expect.objectContaining({ feature: "triage", ttlSeconds: 600, auditShare: 0, findingId: null })]);
    await db.finding.delete({ where: { id: exactFinding } });
    expect(await db.cacheRule.findUniqueOrThrow({ where: { id: (exact.body.rule as { id: string }).id } })).toMatchObject({ feature: "faq", findingId: null, enabled: true });
  });
});
