// Prompt rules through the real route handlers on a real database: an ADMIN applies a verified
// prompt-compression finding in the proxy, switches it off, changes its audit share and deletes it, each
// change audited; a finding whose candidate no replay verified is refused with a 400 naming findingId and
// saying why; a VIEWER reads but cannot change anything; another organization gets 404 (also for a rule
// id of another project); bad input is refused naming the field.
import { beforeAll, describe, expect, it } from "vitest";
process.env.NEXTAUTH_SECRET ??= "test-secret-for-prompt-rules-0123456789";

import { db } from "@/lib/db/client";
import { useTestDatabase } from "@/lib/db/testing";
import { sha256Hex } from "@/lib/ingest/prompts";
import { callRoute, joinOrganization, signUpWorkspace, type Workspace } from "@/lib/http/route-test-kit";
import { seedCompressFinding } from "@/lib/proxy/prompt-rule-findings";
import { createPromptRule } from "@/lib/proxy/prompt-rules";
import * as listRoute from "@/app/api/orgs/[org]/projects/[project]/prompt-rules/route";
import * as oneRoute from "@/app/api/orgs/[org]/projects/[project]/prompt-rules/[ruleId]/route";

useTestDatabase();

const ORIGINAL = "You are the support assistant of Acme. You are the support assistant of Acme. Always answer politely and briefly.";
const COMPRESSED = "You are Acme's support assistant. Answer politely and briefly.";

let owner: Workspace;
let outsider: Workspace;
let viewer: Workspace;
let member: Workspace;
let admin: Workspace;
let verified: string;
let unverified: string;
let templateOnly: string;
let historyFinding: string;
let cacheFinding: string;
let outsiderFinding: string;
let outsiderRule: string;
const own = () => ({ org: owner.organization.slug, project: owner.project.slug });

beforeAll(async () => {
  [owner, outsider, viewer, member, admin] = await Promise.all(["Olga", "Otto", "Vic", "Mia", "Ada"].map(signUpWorkspace));
  for (const [who, role] of [[viewer, "VIEWER"], [member, "MEMBER"], [admin, "ADMIN"]] as const) await joinOrganization(owner, who, role);
  verified = (await seedCompressFinding(owner.project.id, { feature: "support-bot", original: ORIGINAL, candidate: COMPRESSED })).findingId;
  unverified = (await seedCompressFinding(owner.project.id, { feature: "faq", original: `${ORIGINAL} FAQ.`, candidate: COMPRESSED, verified: false })).findingId;
  // Verified, but its text is not a static prompt any call sent (no PromptBlob: a template group).
  templateOnly = (await seedCompressFinding(owner.project.id, { feature: "digest", original: `${ORIGINAL} Digest.`, candidate: COMPRESSED, blob: false })).findingId;
  historyFinding = (await db.finding.create({ data: { projectId: owner.project.id, lever: "compress", title: "Trim history", scope: { feature: "chat" }, monthlySavingsUsd: 5, evidence: { kind: "unbounded_history" } } })).id;
  cacheFinding = (await db.finding.create({ data: { projectId: owner.project.id, lever: "cache", title: "Cache", scope: { feature: "x", model: "gpt-4o" }, monthlySavingsUsd: 10 } })).id;
  outsiderFinding = (await seedCompressFinding(outsider.project.id, { feature: "support-bot", original: ORIGINAL, candidate: COMPRESSED })).findingId;
  outsiderRule = (await createPromptRule({ projectId: outsider.project.id, organizationId: outsider.organization.id, actorUserId: outsider.user.id }, { findingId: outsiderFinding })).rule.id;
});

const auditRows = () => db.auditLog.findMany({ where: { organizationId: owner.organization.id, target: { startsWith: "prompt_rule:" } }, orderBy: { createdAt: "asc" } });
const ruleCount = () => db.promptRule.count({ where: { projectId: owner.project.id } });

describe("prompt rule admin routes", () => {
  it("lets a VIEWER list rules but not create, switch or delete one; a MEMBER cannot create one either", async () => {
    expect(await callRoute(listRoute.GET, "GET", own(), { cookie: viewer.cookie })).toEqual({ status: 200, body: { rules: [] } });
    for (const who of [viewer, member]) {
      expect((await callRoute(listRoute.POST, "POST", own(), { cookie: who.cookie, body: { findingId: verified } })).status).toBe(403);
    }
    expect(await ruleCount()).toBe(0);
    expect(await auditRows()).toEqual([]);
  });

  it("answers 404 to another organization, and to a rule or finding of another project", async () => {
    expect((await callRoute(listRoute.GET, "GET", own(), { cookie: outsider.cookie })).status).toBe(404);
    expect((await callRoute(listRoute.POST, "POST", own(), { cookie: outsider.cookie, body: { findingId: verified } })).status).toBe(404);
    expect((await callRoute(listRoute.GET, "GET", own())).status).toBe(401);
    expect((await callRoute(oneRoute.PATCH, "PATCH", { ...own(), ruleId: outsiderRule }, { cookie: owner.cookie, body: { enabled: false } })).status).toBe(404);
    expect((await callRoute(oneRoute.DELETE, "DELETE", { ...own(), ruleId: outsiderRule }, { cookie: owner.cookie })).status).toBe(404);
    expect(await db.promptRule.findUniqueOrThrow({ where: { id: outsiderRule } })).toMatchObject({ enabled: true });
    const foreign = await callRoute(listRoute.POST, "POST", own(), { cookie: admin.cookie, body: { findingId: outsiderFinding } });
    expect([foreign.status, foreign.body.fields]).toEqual([404, { findingId: expect.any(String) }]);
    expect(await ruleCount()).toBe(0);
  });

  it("refuses a finding whose candidate no replay verified, with a 400 naming findingId and saying why", async () => {
    const res = await callRoute(listRoute.POST, "POST", own(), { cookie: admin.cookie, body: { findingId: unverified } });
    expect(res.status).toBe(400);
    const message = (res.body.fields as Record<string, string>).findingId;
    expect(message).toMatch(/not verified by a replay/);
    expect(message).toMatch(/no replay provider configured/);
    expect(await ruleCount()).toBe(0);
  });

  it("refuses bad input naming the field", async () => {
    const cases: Array<[unknown, string]> = [
      [{}, "findingId"],
      [{ findingId: 42 }, "findingId"],
      [{ findingId: cacheFinding }, "findingId"],
      [{ findingId: historyFinding }, "findingId"],
      [{ findingId: templateOnly }, "findingId"],
      [{ findingId: verified, replacement: "Be brief." }, "replacement"],
      [{ findingId: verified, feature: "other" }, "feature"],
      [{ findingId: verified, auditShare: 1.5 }, "auditShare"],
    ];
    for (const [body, field] of cases) {
      const res = await callRoute(listRoute.POST, "POST", own(), { cookie: admin.cookie, body });
      expect([res.status, Object.keys((res.body.fields as object) ?? {})], JSON.stringify(body)).toEqual([400, [field]]);
    }
    expect(await ruleCount()).toBe(0);
  });

  it("lets an ADMIN apply a verified finding, switch it off, change its audit share and delete it, each change audited", async () => {
    const created = await callRoute(listRoute.POST, "POST", own(), { cookie: admin.cookie, body: { findingId: verified } });
    expect(created.status).toBe(201);
    const rule = created.body.rule as Record<string, unknown>;
    expect(rule).toMatchObject({ feature: "support-bot", promptHash: sha256Hex(ORIGINAL), replacement: COMPRESSED, enabled: true, auditShare: 0.02, findingId: verified, createdBy: admin.user.email });
    const id = rule.id as string;

    const again = await callRoute(listRoute.POST, "POST", own(), { cookie: owner.cookie, body: { findingId: verified } });
    expect([again.status, again.body]).toEqual([200, expect.objectContaining({ created: false, rule: expect.objectContaining({ id }) })]);
    expect((await callRoute(listRoute.GET, "GET", own(), { cookie: viewer.cookie })).body.rules).toEqual([expect.objectContaining({ id })]);

    for (const who of [viewer, member]) {
      expect((await callRoute(oneRoute.PATCH, "PATCH", { ...own(), ruleId: id }, { cookie: who.cookie, body: { enabled: false } })).status).toBe(403);
      expect((await callRoute(oneRoute.DELETE, "DELETE", { ...own(), ruleId: id }, { cookie: who.cookie })).status).toBe(403);
    }
    for (const [body, field] of [[{ enabled: "no" }, "enabled"], [{ auditShare: 2 }, "auditShare"], [{}, "enabled"]] as const) {
      const bad = await callRoute(oneRoute.PATCH, "PATCH", { ...own(), ruleId: id }, { cookie: admin.cookie, body });
      expect([bad.status, Object.keys((bad.body.fields as object) ?? {})], JSON.stringify(body)).toEqual([400, [field]]);
    }

    const off = await callRoute(oneRoute.PATCH, "PATCH", { ...own(), ruleId: id }, { cookie: admin.cookie, body: { enabled: false } });
    expect(off.body.rule).toMatchObject({ id, enabled: false });
    const reapplied = await callRoute(listRoute.POST, "POST", own(), { cookie: admin.cookie, body: { findingId: verified } });
    expect(reapplied.body).toMatchObject({ created: false, rule: { id, enabled: true } });
    const share = await callRoute(oneRoute.PATCH, "PATCH", { ...own(), ruleId: id }, { cookie: owner.cookie, body: { auditShare: 0.1 } });
    expect(share.body.rule).toMatchObject({ auditShare: 0.1, enabled: true });

    expect((await callRoute(oneRoute.DELETE, "DELETE", { ...own(), ruleId: id }, { cookie: admin.cookie })).status).toBe(200);
    expect(await ruleCount()).toBe(0);
    expect((await callRoute(oneRoute.DELETE, "DELETE", { ...own(), ruleId: id }, { cookie: admin.cookie })).status).toBe(404);

    const rows = await auditRows();
    expect(rows.map((r) => [r.actorUserId, r.action, r.target, (r.meta as Record<string, unknown>).change])).toEqual([
      [admin.user.id, "project.update", `prompt_rule:${id}`, "prompt_rule.create"],
      [admin.user.id, "project.update", `prompt_rule:${id}`, "prompt_rule.disable"],
      [admin.user.id, "project.update", `prompt_rule:${id}`, "prompt_rule.enable"],
      [owner.user.id, "project.update", `prompt_rule:${id}`, "prompt_rule.audit_share"],
      [admin.user.id, "project.update", `prompt_rule:${id}`, "prompt_rule.delete"],
    ]);
    expect(rows[0].meta).toMatchObject({ projectId: owner.project.id, feature: "support-bot", promptHash: sha256Hex(ORIGINAL), findingId: verified, auditShare: 0.02 });
  });

  it("keeps a rule when its finding is deleted", async () => {
    const { rule } = (await callRoute(listRoute.POST, "POST", own(), { cookie: admin.cookie, body: { findingId: verified } })).body as { rule: { id: string } };
    await db.finding.delete({ where: { id: verified } });
    expect(await db.promptRule.findUniqueOrThrow({ where: { id: rule.id } })).toMatchObject({ feature: "support-bot", findingId: null, enabled: true });
  });
});
