// Tenant isolation and roles through the real route handlers and page loaders, on a real database:
// every org-B route tried by a member of org A answers 404, a VIEWER's (and MEMBER's) writes are
// refused with 403, and no session gives 401.
import { beforeAll, describe, expect, it } from "vitest";
process.env.NEXTAUTH_SECRET ??= "test-secret-for-access-tests-0123456789";

import { clearApiKeyCache, verifyApiKey } from "@/lib/auth/api-keys";
import { sessionCookieFor } from "@/lib/auth/session";
import { signUp } from "@/lib/auth/sign-up";
import { db } from "@/lib/db/client";
import { useTestDatabase } from "@/lib/db/testing";
import { NotFoundError } from "@/lib/http/errors";
import { acceptInvitation, createInvitation } from "@/lib/orgs/invitations";
import { createProjectKey } from "@/lib/orgs/project-keys";
import { createProject } from "@/lib/orgs/projects";
import { loadOrgSettings, loadOverview, loadProjectPage, loadProjectSettings, loadShell } from "@/lib/orgs/page-loaders";
import * as orgsRoute from "@/app/api/orgs/route";
import * as orgRoute from "@/app/api/orgs/[org]/route";
import * as projectsRoute from "@/app/api/orgs/[org]/projects/route";
import * as projectRoute from "@/app/api/orgs/[org]/projects/[project]/route";
import * as keysRoute from "@/app/api/orgs/[org]/projects/[project]/keys/route";
import * as keyRoute from "@/app/api/orgs/[org]/projects/[project]/keys/[keyId]/route";
import * as membersRoute from "@/app/api/orgs/[org]/members/route";
import * as memberRoute from "@/app/api/orgs/[org]/members/[memberId]/route";
import * as invitationsRoute from "@/app/api/orgs/[org]/invitations/route";
import * as invitationRoute from "@/app/api/orgs/[org]/invitations/[invitationId]/route";
import * as acceptRoute from "@/app/api/invitations/[token]/accept/route";
import * as signUpRoute from "@/app/api/sign-up/route";

useTestDatabase();

type Handler = (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>;

async function call(
  handler: unknown,
  method: string,
  params: Record<string, string>,
  opts: { cookie?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.cookie) headers.cookie = opts.cookie;
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  const req = new Request("http://localhost:3000/api/test", {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const res = await (handler as Handler)(req, { params: Promise.resolve(params) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}

type Workspace = Awaited<ReturnType<typeof signUp>> & { cookie: string };

async function workspace(name: string): Promise<Workspace> {
  const out = await signUp({ name, email: `${name.toLowerCase()}@example.com`, password: `${name}-password` });
  return { ...out, cookie: await sessionCookieFor(out.user) };
}

async function joinAs(owner: Workspace, who: Workspace, role: "VIEWER" | "MEMBER" | "ADMIN"): Promise<string> {
  const { token } = await createInvitation({ organizationId: owner.organization.id, email: who.user.email, role, actor: { userId: owner.user.id, role: "OWNER" } });
  await acceptInvitation({ token, userId: who.user.id });
  const m = await db.membership.findFirstOrThrow({ where: { organizationId: owner.organization.id, userId: who.user.id } });
  return m.id;
}

let a: Workspace; // owner of org A
let b: Workspace; // owner of org B
let viewer: Workspace; // VIEWER in org A
let member: Workspace; // MEMBER in org A
let admin: Workspace; // ADMIN in org A
let bSecretSlug: string; // a project that exists only in org B
let bSecretProjectId: string;
let bKeyId: string;
let bInvitationId: string;
let bOwnerMembershipId: string;
let aViewerMembershipId: string;
let aOwnerMembershipId: string;

beforeAll(async () => {
  [a, b, viewer, member, admin] = await Promise.all(["Alice", "Bob", "Vera", "Max", "Adam"].map(workspace));
  aViewerMembershipId = await joinAs(a, viewer, "VIEWER");
  await joinAs(a, member, "MEMBER");
  await joinAs(a, admin, "ADMIN");
  const bProject = await createProject({ organizationId: b.organization.id, name: "Bob secret", actorUserId: b.user.id });
  bSecretSlug = bProject.slug;
  bSecretProjectId = bProject.id;
  bKeyId = (await createProjectKey({ project: bProject, name: "b key", actorUserId: b.user.id })).apiKey.id;
  bInvitationId = (
    await createInvitation({ organizationId: b.organization.id, email: "someone@example.com", role: "MEMBER", actor: { userId: b.user.id, role: "OWNER" } })
  ).invitation.id;
  bOwnerMembershipId = (await db.membership.findFirstOrThrow({ where: { organizationId: b.organization.id } })).id;
  aOwnerMembershipId = (await db.membership.findFirstOrThrow({ where: { organizationId: a.organization.id, userId: a.user.id } })).id;
});

/** Every org-scoped route the app has, with the least role it needs and a body for writes. */
type RouteCase = { name: string; handler: unknown; method: string; minRole: "VIEWER" | "ADMIN" | "OWNER"; body?: unknown; params: (org: string, project: string) => Record<string, string> };
function routeCases(ids: { keyId: string; membershipId: string; invitationId: string }): RouteCase[] {
  return [
    { name: "GET org", handler: orgRoute.GET, method: "GET", minRole: "VIEWER", params: (org) => ({ org }) },
    { name: "PATCH org", handler: orgRoute.PATCH, method: "PATCH", minRole: "ADMIN", body: { name: "Renamed" }, params: (org) => ({ org }) },
    { name: "DELETE org", handler: orgRoute.DELETE, method: "DELETE", minRole: "OWNER", body: { confirm: "nope" }, params: (org) => ({ org }) },
    { name: "GET projects", handler: projectsRoute.GET, method: "GET", minRole: "VIEWER", params: (org) => ({ org }) },
    { name: "POST projects", handler: projectsRoute.POST, method: "POST", minRole: "ADMIN", body: { name: "New" }, params: (org) => ({ org }) },
    { name: "GET project", handler: projectRoute.GET, method: "GET", minRole: "VIEWER", params: (org, project) => ({ org, project }) },
    { name: "PATCH project", handler: projectRoute.PATCH, method: "PATCH", minRole: "ADMIN", body: { name: "Renamed" }, params: (org, project) => ({ org, project }) },
    { name: "GET keys", handler: keysRoute.GET, method: "GET", minRole: "VIEWER", params: (org, project) => ({ org, project }) },
    { name: "POST keys", handler: keysRoute.POST, method: "POST", minRole: "ADMIN", body: { name: "k" }, params: (org, project) => ({ org, project }) },
    { name: "DELETE key", handler: keyRoute.DELETE, method: "DELETE", minRole: "ADMIN", params: (org, project) => ({ org, project, keyId: ids.keyId }) },
    { name: "GET members", handler: membersRoute.GET, method: "GET", minRole: "VIEWER", params: (org) => ({ org }) },
    { name: "PATCH member", handler: memberRoute.PATCH, method: "PATCH", minRole: "ADMIN", body: { role: "ADMIN" }, params: (org) => ({ org, memberId: ids.membershipId }) },
    { name: "DELETE member", handler: memberRoute.DELETE, method: "DELETE", minRole: "ADMIN", params: (org) => ({ org, memberId: ids.membershipId }) },
    { name: "GET invitations", handler: invitationsRoute.GET, method: "GET", minRole: "ADMIN", params: (org) => ({ org }) },
    { name: "POST invitations", handler: invitationsRoute.POST, method: "POST", minRole: "ADMIN", body: { email: "x@example.com", role: "MEMBER" }, params: (org) => ({ org }) },
    { name: "DELETE invitation", handler: invitationRoute.DELETE, method: "DELETE", minRole: "ADMIN", params: (org) => ({ org, invitationId: ids.invitationId }) },
  ];
}

describe("tenant isolation: a member of org A against org B", () => {
  it("gets 404 from every org-B API route, and org B is unchanged", async () => {
    const cases = routeCases({ keyId: bKeyId, membershipId: bOwnerMembershipId, invitationId: bInvitationId });
    for (const c of cases) {
      const res = await call(c.handler, c.method, c.params(b.organization.slug, bSecretSlug), { cookie: a.cookie, body: c.body });
      expect(res.status, c.name).toBe(404);
      expect(JSON.stringify(res.body), c.name).not.toContain(b.organization.name);
    }
    const org = await db.organization.findUniqueOrThrow({ where: { id: b.organization.id }, include: { projects: true, memberships: true } });
    expect(org.name).toBe(b.organization.name);
    expect(org.projects).toHaveLength(2);
    expect(org.memberships).toHaveLength(1);
    expect(await db.apiKey.count({ where: { projectId: bSecretProjectId, revokedAt: null } })).toBe(1);
    expect(await db.invitation.count({ where: { organizationId: b.organization.id, revokedAt: null } })).toBe(1);
  });

  it("cannot reach org-B rows through its own org (B's project slug, key, member or invitation ids)", async () => {
    const mine = a.organization.slug;
    expect((await call(projectRoute.GET, "GET", { org: mine, project: bSecretSlug }, { cookie: a.cookie })).status).toBe(404);
    const ownProject = { org: mine, project: a.project.slug };
    expect((await call(keyRoute.DELETE, "DELETE", { ...ownProject, keyId: bKeyId }, { cookie: a.cookie })).status).toBe(404);
    expect((await call(memberRoute.PATCH, "PATCH", { org: mine, memberId: bOwnerMembershipId }, { cookie: a.cookie, body: { role: "VIEWER" } })).status).toBe(404);
    expect((await call(memberRoute.DELETE, "DELETE", { org: mine, memberId: bOwnerMembershipId }, { cookie: a.cookie })).status).toBe(404);
    expect((await call(invitationRoute.DELETE, "DELETE", { org: mine, invitationId: bInvitationId }, { cookie: a.cookie })).status).toBe(404);
    expect((await db.apiKey.findUniqueOrThrow({ where: { id: bKeyId } })).revokedAt).toBeNull();
    expect((await db.membership.findUniqueOrThrow({ where: { id: bOwnerMembershipId } })).role).toBe("OWNER");
  });

  it("gets NotFound from every org-B page loader", async () => {
    const loaders: [string, () => Promise<unknown>][] = [
      ["shell", () => loadShell(a.user.id, b.organization.slug)],
      ["org settings", () => loadOrgSettings(a.user.id, b.organization.slug)],
      ["overview", () => loadOverview(a.user.id, b.organization.slug, bSecretSlug)],
      ["calls/savings", () => loadProjectPage(a.user.id, b.organization.slug, bSecretSlug)],
      ["project settings", () => loadProjectSettings(a.user.id, b.organization.slug, bSecretSlug)],
      ["B's project under A's org", () => loadProjectSettings(a.user.id, a.organization.slug, bSecretSlug)],
    ];
    for (const [name, load] of loaders) await expect(load(), name).rejects.toBeInstanceOf(NotFoundError);
    // ...while the same loaders work for org A's own owner.
    const own = await loadProjectSettings(a.user.id, a.organization.slug, a.project.slug);
    expect(own.canManage).toBe(true);
    expect(own.members.map((m) => m.email).sort()).toEqual(["adam@example.com", "alice@example.com", "max@example.com", "vera@example.com"]);
  });

  it("lists only the caller's own organizations", async () => {
    const res = await call(orgsRoute.GET, "GET", {}, { cookie: viewer.cookie });
    const slugs = (res.body.organizations as { slug: string }[]).map((o) => o.slug).sort();
    expect(slugs).toEqual([a.organization.slug, viewer.organization.slug].sort());
  });
});

describe("roles inside org A", () => {
  const ownIds = () => ({ keyId: "placeholder", membershipId: aViewerMembershipId, invitationId: "placeholder" });

  for (const who of ["viewer", "member"] as const) {
    it(`a ${who.toUpperCase()} can read but every write is refused with 403 and changes nothing`, async () => {
      const actor = who === "viewer" ? viewer : member;
      const keysBefore = await db.apiKey.count();
      for (const c of routeCases(ownIds())) {
        const res = await call(c.handler, c.method, c.params(a.organization.slug, a.project.slug), { cookie: actor.cookie, body: c.body });
        expect(res.status, `${who} ${c.name}`).toBe(c.minRole === "VIEWER" ? 200 : 403);
      }
      expect(await db.apiKey.count()).toBe(keysBefore);
      expect((await db.organization.findUniqueOrThrow({ where: { id: a.organization.id } })).name).toBe(a.organization.name);
      expect((await db.membership.findUniqueOrThrow({ where: { id: aViewerMembershipId } })).role).toBe("VIEWER");
    });
  }

  it("without a session every route answers 401", async () => {
    for (const c of routeCases(ownIds())) {
      const res = await call(c.handler, c.method, c.params(a.organization.slug, a.project.slug), { body: c.body });
      expect(res.status, c.name).toBe(401);
    }
    const forged = `${(await sessionCookieFor(a.user)).slice(0, -4)}abcd`;
    expect((await call(orgRoute.GET, "GET", { org: a.organization.slug }, { cookie: forged })).status).toBe(401);
  });

  it("an ADMIN manages members but cannot touch the OWNER role; the last OWNER stays", async () => {
    const org = a.organization.slug;
    expect((await call(memberRoute.PATCH, "PATCH", { org, memberId: aViewerMembershipId }, { cookie: admin.cookie, body: { role: "OWNER" } })).status).toBe(403);
    expect((await call(memberRoute.PATCH, "PATCH", { org, memberId: aOwnerMembershipId }, { cookie: admin.cookie, body: { role: "VIEWER" } })).status).toBe(403);
    expect((await call(memberRoute.DELETE, "DELETE", { org, memberId: aOwnerMembershipId }, { cookie: admin.cookie })).status).toBe(403);
    const bad = await call(memberRoute.PATCH, "PATCH", { org, memberId: aViewerMembershipId }, { cookie: admin.cookie, body: { role: "KING" } });
    expect(bad.status).toBe(400);
    expect((bad.body.fields as Record<string, string>).role).toMatch(/^Role must be one of/);
    const demoteSelf = await call(memberRoute.PATCH, "PATCH", { org, memberId: aOwnerMembershipId }, { cookie: a.cookie, body: { role: "ADMIN" } });
    expect(demoteSelf.status).toBe(400);
    expect((demoteSelf.body.fields as Record<string, string>).role).toMatch(/at least one owner/);
    expect((await db.membership.findUniqueOrThrow({ where: { id: aOwnerMembershipId } })).role).toBe("OWNER");
    const ownerDelete = await call(orgRoute.DELETE, "DELETE", { org }, { cookie: admin.cookie, body: { confirm: org } });
    expect(ownerDelete.status).toBe(403);
    const audit = await db.auditLog.findMany({ where: { organizationId: a.organization.id, action: "member.join" } });
    expect(audit).toHaveLength(3);
  });

  it("refuses a cross-site write even with a valid cookie", async () => {
    const res = await call(keysRoute.POST, "POST", { org: a.organization.slug, project: a.project.slug }, {
      cookie: a.cookie,
      body: { name: "evil" },
      headers: { origin: "http://evil.example", host: "localhost:3000" },
    });
    expect(res.status).toBe(403);
    expect(await db.apiKey.count({ where: { name: "evil" } })).toBe(0);
  });
});

describe("API keys through the routes", () => {
  it("creates a key shown once, and a revoked key stops working at once", async () => {
    const params = { org: a.organization.slug, project: a.project.slug };
    const created = await call(keysRoute.POST, "POST", params, { cookie: admin.cookie, body: { name: "ci" } });
    expect(created.status).toBe(201);
    const key = created.body.key as string;
    const apiKey = created.body.apiKey as { id: string; prefix: string };
    expect(key.startsWith(`${apiKey.prefix}_`)).toBe(true);
    expect(await verifyApiKey(key)).toMatchObject({ projectId: a.project.id, organizationId: a.organization.id });
    // The list never contains the secret.
    const listed = await call(keysRoute.GET, "GET", params, { cookie: viewer.cookie });
    expect(JSON.stringify(listed.body)).not.toContain(key);
    expect(JSON.stringify(listed.body)).toContain(apiKey.prefix);

    const revoked = await call(keyRoute.DELETE, "DELETE", { ...params, keyId: apiKey.id }, { cookie: admin.cookie });
    expect(revoked).toEqual({ status: 200, body: { revoked: true } });
    expect(await verifyApiKey(key)).toEqual({ error: "revoked" });
    clearApiKeyCache();
    expect(await verifyApiKey(key)).toEqual({ error: "revoked" });
    const actions = (await db.auditLog.findMany({ where: { organizationId: a.organization.id, target: `api_key:${apiKey.prefix}` } })).map((r) => r.action);
    expect(actions.sort()).toEqual(["api_key.create", "api_key.revoke"]);
  });

  it("names the field when a key name is missing or too long", async () => {
    const params = { org: a.organization.slug, project: a.project.slug };
    const empty = await call(keysRoute.POST, "POST", params, { cookie: a.cookie, body: { name: "  " } });
    expect(empty).toEqual({ status: 400, body: { error: "Key name is required.", fields: { name: "Key name is required." } } });
    const long = await call(keysRoute.POST, "POST", params, { cookie: a.cookie, body: { name: "k".repeat(101) } });
    expect((long.body.fields as Record<string, string>).name).toBe("Key name must be at most 100 characters.");
  });
});

describe("sign-up and invitation routes", () => {
  it("answers a duplicate email with 409 and a clear message, bad input with field names", async () => {
    const dup = await call(signUpRoute.POST, "POST", {}, { body: { name: "Again", email: "ALICE@example.com", password: "whatever-pw" } });
    expect(dup).toEqual({ status: 409, body: { error: "An account with this email already exists.", fields: { email: "An account with this email already exists." } } });
    const bad = await call(signUpRoute.POST, "POST", {}, { body: { name: "n".repeat(101), email: "nope", password: "" } });
    expect(bad.status).toBe(400);
    expect(bad.body.fields).toEqual({
      name: "Name must be at most 100 characters.",
      email: "Email is not a valid email address.",
      password: "Password must not be empty.",
    });
    const notJson = await signUpRoute.POST(new Request("http://localhost/api/sign-up", { method: "POST", body: "{" }), { params: Promise.resolve({}) });
    expect(notJson.status).toBe(400);
    expect((await notJson.json()).fields).toEqual({ body: "Request body must be valid JSON." });
  });

  it("lets only the invited address accept, once", async () => {
    const invited = await call(invitationsRoute.POST, "POST", { org: a.organization.slug }, { cookie: admin.cookie, body: { email: "Bob@Example.com", role: "MEMBER" } });
    expect(invited.status).toBe(201);
    const token = (invited.body.path as string).replace("/invite/", "");
    expect((await call(acceptRoute.POST, "POST", { token }, { cookie: viewer.cookie })).status).toBe(403);
    const ok = await call(acceptRoute.POST, "POST", { token }, { cookie: b.cookie });
    expect(ok.status).toBe(200);
    expect(ok.body.role).toBe("MEMBER");
    expect(ok.body.path).toBe(`/${a.organization.slug}/${a.project.slug}/overview`);
    const again = await call(acceptRoute.POST, "POST", { token }, { cookie: b.cookie });
    expect(again.status).toBe(410);
    expect((await call(acceptRoute.POST, "POST", { token: "not-a-token" }, { cookie: b.cookie })).status).toBe(404);
    const badInvite = await call(invitationsRoute.POST, "POST", { org: a.organization.slug }, { cookie: a.cookie, body: { email: "bad email", role: "GOD" } });
    expect(badInvite.body.fields).toEqual({ email: "Email is not a valid email address.", role: "Role must be one of VIEWER, MEMBER, ADMIN, OWNER." });
  });
});
