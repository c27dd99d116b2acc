// Authorization, in one place. Every page and route under the app calls one of these:
//   requireSession()                               -> the signed-in user (401 otherwise)
//   requireMembership(orgSlug, minRole)            -> user + organization + membership
//   requireProject(orgSlug, projectSlug, minRole)  -> user + organization + membership + project
// Not a member (or no such org/project) throws NotFoundError (404, existence is not revealed);
// a member below minRole throws ForbiddenError (403). Route handlers pass their Request; pages
// pass nothing and the cookie is read from the current request's headers.
import { db } from "../db/client";
import { ForbiddenError, NotFoundError, UnauthenticatedError } from "../http/errors";
import { roleAtLeast, type Role } from "./roles";
import { sessionUserIdFromCookies } from "./session";

export type SessionUser = { id: string; email: string; name: string | null };
export type OrgAccess = {
  organization: { id: string; name: string; slug: string; timezone: string };
  membership: { id: string; role: Role };
};
export type ProjectAccess = OrgAccess & { project: { id: string; name: string; slug: string; organizationId: string } };

async function cookieHeader(request?: Request): Promise<string | null> {
  if (request) return request.headers.get("cookie");
  const { headers } = await import("next/headers");
  return (await headers()).get("cookie");
}

/** The signed-in user, or null. A session whose user was deleted counts as signed out. */
export async function getSessionUser(request?: Request): Promise<SessionUser | null> {
  const userId = await sessionUserIdFromCookies(await cookieHeader(request));
  if (!userId) return null;
  return db.user.findUnique({ where: { id: userId }, select: { id: true, email: true, name: true } });
}

export async function requireSession(request?: Request): Promise<SessionUser> {
  const user = await getSessionUser(request);
  if (!user) throw new UnauthenticatedError();
  return user;
}

function checkRole(role: Role, minRole: Role): void {
  if (!roleAtLeast(role, minRole)) {
    throw new ForbiddenError(`This needs the ${minRole} role or higher; you are ${role}.`);
  }
}

/** Membership check for a known user (the part of requireMembership that needs no request). */
export async function authorizeMembership(userId: string, orgSlug: string, minRole: Role): Promise<OrgAccess> {
  const row = await db.membership.findFirst({
    where: { userId, organization: { slug: orgSlug } },
    select: { id: true, role: true, organization: { select: { id: true, name: true, slug: true, timezone: true } } },
  });
  if (!row) throw new NotFoundError("Organization not found.");
  checkRole(row.role, minRole);
  return { organization: row.organization, membership: { id: row.id, role: row.role } };
}

export async function authorizeProject(userId: string, orgSlug: string, projectSlug: string, minRole: Role): Promise<ProjectAccess> {
  // Membership first: an outsider gets the same 404 whether or not the project exists.
  const row = await db.membership.findFirst({
    where: { userId, organization: { slug: orgSlug } },
    select: { id: true, role: true, organization: { select: { id: true, name: true, slug: true, timezone: true } } },
  });
  if (!row) throw new NotFoundError("Project not found.");
  const project = await db.project.findUnique({
    where: { organizationId_slug: { organizationId: row.organization.id, slug: projectSlug } },
    select: { id: true, name: true, slug: true, organizationId: true },
  });
  if (!project) throw new NotFoundError("Project not found.");
  checkRole(row.role, minRole);
  return { organization: row.organization, membership: { id: row.id, role: row.role }, project };
}

export async function requireMembership(orgSlug: string, minRole: Role, request?: Request): Promise<OrgAccess & { user: SessionUser }> {
  const user = await requireSession(request);
  return { user, ...(await authorizeMembership(user.id, orgSlug, minRole)) };
}

export async function requireProject(
  orgSlug: string,
  projectSlug: string,
  minRole: Role,
  request?: Request,
): Promise<ProjectAccess & { user: SessionUser }> {
  const user = await requireSession(request);
  return { user, ...(await authorizeProject(user.id, orgSlug, projectSlug, minRole)) };
}
