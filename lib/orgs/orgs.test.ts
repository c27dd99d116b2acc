import { describe, expect, it } from "vitest";
import { db } from "../db/client";
import { useTestDatabase } from "../db/testing";
import { ForbiddenError, ValidationError } from "../http/errors";
import { signUp } from "../auth/sign-up";
import { acceptInvitation, createInvitation, findInvitationByToken } from "./invitations";
import { changeMemberRole, removeMember } from "./memberships";
import { createOrganization, updateOrganization } from "./organizations";
import { createProject, updateProject } from "./projects";
import { RESERVED_ORG_SLUGS, RESERVED_PROJECT_SLUGS, slugify } from "./slugs";

useTestDatabase();

async function owner(name: string) {
  return signUp({ name, email: `${name.toLowerCase()}@orgs.example`, password: `${name}-password` });
}

describe("slugs", () => {
  it("makes URL-safe slugs and never hands out a reserved or taken one", async () => {
    expect(slugify("  Héllo, Wörld!  ", "x")).toBe("hello-world");
    expect(slugify("!!!", "project")).toBe("project");
    const o = await owner("Sluggy");
    const settings = await createProject({ organizationId: o.organization.id, name: "Settings", actorUserId: o.user.id });
    expect(RESERVED_PROJECT_SLUGS.has(settings.slug)).toBe(false);
    expect(settings.slug).toBe("settings-2");
    const again = await createProject({ organizationId: o.organization.id, name: "My first project", actorUserId: o.user.id });
    expect(again.slug).toBe("my-first-project-2");
    const api = await createOrganization({ name: "API", ownerUserId: o.user.id });
    expect(RESERVED_ORG_SLUGS.has(api.slug)).toBe(false);
    expect(api.slug).toBe("api-2");
  });
});

describe("settings changes", () => {
  it("validates the timezone and name by field, and audits what changed", async () => {
    const o = await owner("Tz");
    await expect(updateOrganization({ organizationId: o.organization.id, actorUserId: o.user.id, timezone: "Mars/Olympus" })).rejects.toMatchObject({
      fields: { timezone: expect.stringMatching(/^Timezone "Mars\/Olympus" is not a known IANA time zone/) },
    });
    await expect(updateOrganization({ organizationId: o.organization.id, actorUserId: o.user.id, name: "x".repeat(101) })).rejects.toMatchObject({
      fields: { name: "Organization name must be at most 100 characters." },
    });
    await updateOrganization({ organizationId: o.organization.id, actorUserId: o.user.id, name: "Tz Inc", timezone: "Europe/Paris" });
    await updateProject({ organizationId: o.organization.id, projectId: o.project.id, actorUserId: o.user.id, name: "Renamed" });
    const rows = await db.auditLog.findMany({ where: { organizationId: o.organization.id, action: { in: ["organization.update", "project.update"] } } });
    const byAction = Object.fromEntries(rows.map((r) => [r.action, r.meta]));
    expect(byAction["organization.update"]).toMatchObject({ to: { name: "Tz Inc", timezone: "Europe/Paris" } });
    expect(byAction["project.update"]).toMatchObject({ from: { name: "My first project" }, to: { name: "Renamed" } });
  });

  it("cannot rename another organization's project through its own organization id", async () => {
    const a = await owner("Pa");
    const b = await owner("Pb");
    await expect(updateProject({ organizationId: a.organization.id, projectId: b.project.id, actorUserId: a.user.id, name: "Hijack" })).rejects.toThrow("Project not found.");
    expect((await db.project.findUniqueOrThrow({ where: { id: b.project.id } })).name).toBe("My first project");
  });
});

describe("owners", () => {
  it("keeps at least one owner even when two owners demote each other at once", async () => {
    const a = await owner("Oa");
    const b = await owner("Ob");
    const { token } = await createInvitation({ organizationId: a.organization.id, email: b.user.email, role: "OWNER", actor: { userId: a.user.id, role: "OWNER" } });
    await acceptInvitation({ token, userId: b.user.id });
    const ms = await db.membership.findMany({ where: { organizationId: a.organization.id } });
    expect(ms.map((m) => m.role)).toEqual(["OWNER", "OWNER"]);
    const results = await Promise.allSettled(
      ms.map((m) => changeMemberRole({ organizationId: a.organization.id, membershipId: m.id, role: "ADMIN", actor: { userId: m.userId, role: "OWNER" } })),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(await db.membership.count({ where: { organizationId: a.organization.id, role: "OWNER" } })).toBe(1);
    const lastOwner = await db.membership.findFirstOrThrow({ where: { organizationId: a.organization.id, role: "OWNER" } });
    await expect(removeMember({ organizationId: a.organization.id, membershipId: lastOwner.id, actor: { userId: lastOwner.userId, role: "OWNER" } })).rejects.toBeInstanceOf(
      ValidationError,
    );
  });
});

describe("invitations", () => {
  it("expire, can only be created by admins, and never store the token", async () => {
    const a = await owner("Ia");
    const { token, invitation } = await createInvitation({ organizationId: a.organization.id, email: "late@orgs.example", role: "MEMBER", actor: { userId: a.user.id, role: "OWNER" } });
    const row = await db.invitation.findUniqueOrThrow({ where: { id: invitation.id } });
    expect(JSON.stringify(row)).not.toContain(token);
    await db.invitation.update({ where: { id: invitation.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect((await findInvitationByToken(token))?.state).toBe("expired");
    const late = await signUp({ name: "Late", email: "late@orgs.example", password: "late-password" });
    await expect(acceptInvitation({ token, userId: late.user.id })).rejects.toMatchObject({ status: 410, fields: { token: "This invitation has expired. Ask for a new one." } });
    expect(await db.membership.count({ where: { organizationId: a.organization.id, userId: late.user.id } })).toBe(0);
    await expect(
      createInvitation({ organizationId: a.organization.id, email: "x@orgs.example", role: "VIEWER", actor: { userId: a.user.id, role: "MEMBER" } }),
    ).rejects.toBeInstanceOf(ForbiddenError);
    await expect(
      createInvitation({ organizationId: a.organization.id, email: "ia@orgs.example", role: "VIEWER", actor: { userId: a.user.id, role: "OWNER" } }),
    ).rejects.toMatchObject({ status: 409, fields: { email: "Email belongs to someone who is already a member." } });
  });

  it("a new invitation to the same address replaces the pending one", async () => {
    const a = await owner("Ib");
    const first = await createInvitation({ organizationId: a.organization.id, email: "twice@orgs.example", role: "MEMBER", actor: { userId: a.user.id, role: "OWNER" } });
    const second = await createInvitation({ organizationId: a.organization.id, email: "twice@orgs.example", role: "ADMIN", actor: { userId: a.user.id, role: "OWNER" } });
    expect((await findInvitationByToken(first.token))?.state).toBe("revoked");
    expect((await findInvitationByToken(second.token))?.state).toBe("pending");
  });
});
