// The admin switch for distilled models through the real route handlers on a real database: a VIEWER
// reads but cannot switch, another organization's member gets 404 for everything, an ADMIN enables and
// disables (one enabled version per feature) and each change leaves an AuditLog row.
import { beforeAll, describe, expect, it } from "vitest";
process.env.NEXTAUTH_SECRET ??= "test-secret-for-distilled-routes-0123456789";

import type { DistilledArtifact } from "@/lib/analysis/distill/artifact";
import { answerLocally } from "@/lib/analysis/distill/serve";
import { saveDistilledModel } from "@/lib/analysis/distill/models";
import { trainDistilled } from "@/lib/analysis/distill/train";
import { banking77Calls, BANKING77_SYSTEM } from "@/lib/analysis/modelfit/datasets";
import { staticPromptHash } from "@/lib/analysis/modelfit/groups";
import { db } from "@/lib/db/client";
import { useTestDatabase } from "@/lib/db/testing";
import { callRoute, joinOrganization, signUpWorkspace, type Workspace } from "@/lib/http/route-test-kit";
import * as listRoute from "@/app/api/orgs/[org]/projects/[project]/distilled/route";
import * as modelRoute from "@/app/api/orgs/[org]/projects/[project]/distilled/[modelId]/route";

useTestDatabase();

let owner: Workspace;
let outsider: Workspace; // owner of another organization
let viewer: Workspace;
let admin: Workspace;
let v1: string;
let v2: string;
let otherFeature: string;
let outsiderModel: string;
const own = () => ({ org: owner.organization.slug, project: owner.project.slug });
const question = { model: "gpt-4o", messages: [{ role: "system", content: BANKING77_SYSTEM }, { role: "user", content: "My card still has not arrived, how long does delivery take?" }] };

beforeAll(async () => {
  [owner, outsider, viewer, admin] = await Promise.all(["Olga", "Otto", "Vic", "Ada"].map(signUpWorkspace));
  for (const [who, role] of [[viewer, "VIEWER"], [admin, "ADMIN"]] as const) await joinOrganization(owner, who, role);
  // A small real model: a few hundred Banking77 calls train in a second or two.
  const { train } = banking77Calls({ limitTrain: 600, limitTest: 0 });
  const examples = train.map((c) => ({ id: c.id, timestamp: c.timestamp, text: (c.request.messages as { content: string }[])[1].content, label: c.outputText!, answer: c.outputText! }));
  const trained = await trainDistilled(examples, { meta: { feature: "support-intent", promptHash: staticPromptHash(train[0]), sourceModel: "gpt-4o" } });
  const artifact: DistilledArtifact = { ...trained.artifact, threshold: 0 };
  v1 = (await saveDistilledModel(owner.project.id, artifact, { note: "v1" })).id;
  v2 = (await saveDistilledModel(owner.project.id, artifact, { note: "v2" })).id;
  otherFeature = (await saveDistilledModel(owner.project.id, { ...artifact, feature: "triage" }, {})).id;
  outsiderModel = (await saveDistilledModel(outsider.project.id, artifact, {})).id;
}, 120_000);

const auditRows = () => db.auditLog.findMany({ where: { organizationId: owner.organization.id, target: { startsWith: "distilled_model:" } }, orderBy: { createdAt: "asc" } });

describe("distilled model admin routes", () => {
  it("lets a VIEWER list the project's models (without artifacts) but not switch one", async () => {
    const list = await callRoute(listRoute.GET, "GET", own(), { cookie: viewer.cookie });
    expect(list.status).toBe(200);
    const models = list.body.models as Record<string, unknown>[];
    expect(models.map((m) => [m.feature, m.version, m.enabled])).toEqual([
      ["support-intent", 2, false],
      ["support-intent", 1, false],
      ["triage", 1, false],
    ]);
    expect(models.every((m) => !("artifact" in m))).toBe(true);
    expect(models.map((m) => m.id)).not.toContain(outsiderModel);

    const res = await callRoute(modelRoute.PATCH, "PATCH", { ...own(), modelId: v1 }, { cookie: viewer.cookie, body: { enabled: true } });
    expect(res.status).toBe(403);
    expect(await db.distilledModel.count({ where: { projectId: owner.project.id, enabled: true } })).toBe(0);
    expect(await auditRows()).toEqual([]);
  });

  it("answers 404 to another organization's member, and to a model of another project", async () => {
    expect((await callRoute(listRoute.GET, "GET", own(), { cookie: outsider.cookie })).status).toBe(404);
    expect((await callRoute(modelRoute.PATCH, "PATCH", { ...own(), modelId: v1 }, { cookie: outsider.cookie, body: { enabled: true } })).status).toBe(404);
    // The outsider's model through the owner's own project: not found, and untouched.
    expect((await callRoute(modelRoute.PATCH, "PATCH", { ...own(), modelId: outsiderModel }, { cookie: owner.cookie, body: { enabled: true } })).status).toBe(404);
    expect((await db.distilledModel.findUniqueOrThrow({ where: { id: outsiderModel } })).enabled).toBe(false);
    expect((await callRoute(listRoute.GET, "GET", own())).status).toBe(401);
  });

  it("refuses a body without a boolean `enabled`, naming the field", async () => {
    const res = await callRoute(modelRoute.PATCH, "PATCH", { ...own(), modelId: v1 }, { cookie: admin.cookie, body: { enabled: "yes" } });
    expect(res.status).toBe(400);
    expect(res.body.fields).toEqual({ enabled: expect.stringMatching(/enabled/) });
  });

  it("lets an ADMIN enable a version (switching the feature's other version off) and disable it, each change audited", async () => {
    expect(await answerLocally(owner.project.id, "support-intent", question, { auditShare: 0 })).toMatchObject({ answered: false, reason: "no_model" });

    const on1 = await callRoute(modelRoute.PATCH, "PATCH", { ...own(), modelId: v1 }, { cookie: admin.cookie, body: { enabled: true } });
    expect(on1.status).toBe(200);
    expect(on1.body.model).toMatchObject({ id: v1, version: 1, enabled: true });
    const on2 = await callRoute(modelRoute.PATCH, "PATCH", { ...own(), modelId: v2 }, { cookie: admin.cookie, body: { enabled: true } });
    expect(on2.status).toBe(200);
    const enabled = await db.distilledModel.findMany({ where: { projectId: owner.project.id, enabled: true }, select: { id: true } });
    expect(enabled.map((m) => m.id)).toEqual([v2]);
    // The switch takes effect for serving at once (same process as the proxy here).
    expect(await answerLocally(owner.project.id, "support-intent", question, { auditShare: 0 })).toMatchObject({ answered: true, version: 2 });

    const off = await callRoute(modelRoute.PATCH, "PATCH", { ...own(), modelId: v2 }, { cookie: owner.cookie, body: { enabled: false } });
    expect(off.status).toBe(200);
    expect(await db.distilledModel.count({ where: { projectId: owner.project.id, enabled: true } })).toBe(0);
    expect(await answerLocally(owner.project.id, "support-intent", question, { auditShare: 0 })).toMatchObject({ answered: false, reason: "no_model" });
    // Disabling what is already off changes nothing and is not audited again.
    expect((await callRoute(modelRoute.PATCH, "PATCH", { ...own(), modelId: otherFeature }, { cookie: admin.cookie, body: { enabled: false } })).status).toBe(200);

    const rows = await auditRows();
    expect(rows.map((r) => [r.actorUserId, r.action, r.target, (r.meta as Record<string, unknown>).change])).toEqual([
      [admin.user.id, "project.update", `distilled_model:${v1}`, "distilled_model.enable"],
      [admin.user.id, "project.update", `distilled_model:${v2}`, "distilled_model.enable"],
      [owner.user.id, "project.update", `distilled_model:${v2}`, "distilled_model.disable"],
    ]);
    expect(rows[1].meta).toMatchObject({ projectId: owner.project.id, feature: "support-intent", version: 2, disabledVersions: [1] });
  });
});
