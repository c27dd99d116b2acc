// Data for each app page, loaded through the guards. Pages are thin: they get the user from the
// session and call one of these; tests call the same functions to prove tenant isolation.
import { authorizeMembership, authorizeProject } from "../auth/guards";
import { roleAtLeast } from "../auth/roles";
import { db } from "../db/client";
import { listOrganizationsForUser } from "./organizations";
import { emailDeliveryStatuses, type EmailDeliveryStatus } from "../email/delivery-status";
import { listPendingInvitations } from "./invitations";
import { listMembers } from "./memberships";
import { listProjectKeys } from "./project-keys";
import { listProjects } from "./projects";

/** The app shell: the current organization, the user's other organizations, this org's projects. */
export async function loadShell(userId: string, orgSlug: string) {
  const access = await authorizeMembership(userId, orgSlug, "VIEWER");
  const [organizations, projects] = await Promise.all([listOrganizationsForUser(userId), listProjects(access.organization.id)]);
  return { ...access, organizations, projects };
}

/** Where "/" and "/<org>" send a signed-in user: their first organization's first project. */
export async function firstProjectPath(userId: string, orgSlug?: string): Promise<string | null> {
  const membership = await db.membership.findFirst({
    where: { userId, ...(orgSlug ? { organization: { slug: orgSlug } } : {}) },
    orderBy: { createdAt: "asc" },
    select: { organization: { select: { id: true, slug: true } } },
  });
  if (!membership) return null;
  const project = await db.project.findFirst({
    where: { organizationId: membership.organization.id },
    orderBy: { createdAt: "asc" },
    select: { slug: true },
  });
  return project ? `/${membership.organization.slug}/${project.slug}/overview` : `/${membership.organization.slug}/settings`;
}

export async function loadOverview(userId: string, orgSlug: string, projectSlug: string) {
  const access = await authorizeProject(userId, orgSlug, projectSlug, "VIEWER");
  const projectId = access.project.id;
  const [firstCall, callCount, activeKey] = await Promise.all([
    db.call.findFirst({ where: { projectId }, select: { timestamp: true } }),
    // Bounded count: the overview only needs "none" vs "some" until the dashboard lands.
    db.call.count({ where: { projectId }, take: 10_000 }),
    db.apiKey.findFirst({ where: { projectId, revokedAt: null }, orderBy: { createdAt: "desc" }, select: { prefix: true, name: true } }),
  ]);
  return { ...access, hasCalls: firstCall !== null, callCount, activeKey };
}

/** Calls and Savings placeholders: access only, until their pages are built. */
export async function loadProjectPage(userId: string, orgSlug: string, projectSlug: string) {
  return authorizeProject(userId, orgSlug, projectSlug, "VIEWER");
}

export async function loadProjectSettings(userId: string, orgSlug: string, projectSlug: string) {
  const access = await authorizeProject(userId, orgSlug, projectSlug, "VIEWER");
  const canManage = roleAtLeast(access.membership.role, "ADMIN");
  const [keys, members, invitations] = await Promise.all([
    listProjectKeys(access.project.id),
    listMembers(access.organization.id),
    canManage ? listPendingInvitations(access.organization.id) : Promise.resolve([]),
  ]);
  // What became of each invitation's email (sent under the exactly-once key invite:<id>).
  const sent = await emailDeliveryStatuses(access.organization.id, invitations.map((i) => `invite:${i.id}`));
  return {
    ...access,
    canManage,
    keys,
    members,
    invitations: invitations.map((i) => ({ ...i, emailDelivery: sent.get(`invite:${i.id}`) ?? ({ state: "none" } as EmailDeliveryStatus) })),
  };
}

export async function loadOrgSettings(userId: string, orgSlug: string) {
  const access = await authorizeMembership(userId, orgSlug, "VIEWER");
  const projects = await listProjects(access.organization.id);
  return {
    ...access,
    projects,
    canManage: roleAtLeast(access.membership.role, "ADMIN"),
    isOwner: access.membership.role === "OWNER",
  };
}
