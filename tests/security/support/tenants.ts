// Two tenants for the security tests, built through the app's own functions (sign-up, invitations, keys,
// the ingest writer): a victim organization with data behind every kind of route parameter, and the
// actors that must not reach it. Sessions are real next-auth cookies (sessionCookieFor), as in
// app/api/orgs/access.test.ts.
import { createApiKey, revokeApiKey } from "../../../lib/auth/api-keys";
import { sessionCookieFor } from "../../../lib/auth/session";
import { signUp } from "../../../lib/auth/sign-up";
import { db } from "../../../lib/db/client";
import { openAIChatEvent } from "../../../lib/ingest/test-fixtures";
import { writeEvents } from "../../../lib/ingest/writer";
import { acceptInvitation, createInvitation } from "../../../lib/orgs/invitations";
import { createProjectKey } from "../../../lib/orgs/project-keys";
import { createProject } from "../../../lib/orgs/projects";

export type Person = Awaited<ReturnType<typeof signUp>> & { cookie: string };

export async function person(name: string): Promise<Person> {
  const out = await signUp({ name, email: `${name.toLowerCase()}@example.com`, password: `${name}-long-password` });
  return { ...out, cookie: await sessionCookieFor(out.user) };
}

export async function join(owner: Person, who: Person, role: "VIEWER" | "MEMBER" | "ADMIN"): Promise<string> {
  const { token } = await createInvitation({ organizationId: owner.organization.id, email: who.user.email, role, actor: { userId: owner.user.id, role: "OWNER" } });
  await acceptInvitation({ token, userId: who.user.id });
  return (await db.membership.findFirstOrThrow({ where: { organizationId: owner.organization.id, userId: who.user.id } })).id;
}

export type Victim = {
  owner: Person;
  /** A VIEWER of the victim organization (reads yes, writes no). */
  viewer: Person;
  org: { id: string; slug: string; name: string };
  project: { id: string; slug: string; name: string };
  /** The victim project's live API key (secret) and its id. */
  key: string;
  keyId: string;
  /** A revoked key of the victim project. */
  revokedKey: string;
  viewerMembershipId: string;
  ownerMembershipId: string;
  invitationId: string;
  invitationToken: string;
  eventId: string;
  findingId: string;
  distilledModelId: string;
  emailMessageId: string;
  /** Fingerprint of everything an attack could change, compared before and after. */
  snapshot(): Promise<string>;
};

/** The victim: an organization with a project holding a key, a pending invitation, a call, a finding. */
export async function buildVictim(): Promise<Victim> {
  const owner = await person("Bob");
  const viewer = await person("Vera");
  const viewerMembershipId = await join(owner, viewer, "VIEWER");
  const ownerMembershipId = (await db.membership.findFirstOrThrow({ where: { organizationId: owner.organization.id, userId: owner.user.id } })).id;
  const project = await createProject({ organizationId: owner.organization.id, name: "Bob secret project", actorUserId: owner.user.id });
  const { key, apiKey } = await createProjectKey({ project, name: "bob key", actorUserId: owner.user.id });
  const revoked = await createApiKey({ projectId: project.id, name: "old" });
  await revokeApiKey(revoked.apiKey.id, project.id);
  const invitation = await createInvitation({ organizationId: owner.organization.id, email: "newhire@example.com", role: "MEMBER", actor: { userId: owner.user.id, role: "OWNER" } });
  const eventId = "bob-secret-call";
  await writeEvents({ projectId: project.id, organizationId: owner.organization.id, source: "api" }, [openAIChatEvent({ id: eventId })]);
  const run = await db.analysisRun.create({ data: { projectId: project.id, kind: "batch", status: "succeeded", progress: 1 } });
  const finding = await db.finding.create({
    data: { projectId: project.id, runId: run.id, lever: "batch", title: "Bob's secret saving", monthlySavingsUsd: 123, evidence: { callIds: [eventId] } },
  });
  const distilled = await db.distilledModel.create({ data: { projectId: project.id, feature: "support", version: 1, threshold: 0.9, artifact: {} } });
  const message = await db.emailMessage.create({
    data: { organizationId: owner.organization.id, kind: "weekly", dedupeKey: `weekly:${owner.organization.id}:secret`, to: owner.user.email, subject: "Bob's secret weekly report", status: "sent" },
  });
  const org = { id: owner.organization.id, slug: owner.organization.slug, name: owner.organization.name };
  return {
    owner,
    viewer,
    org,
    project: { id: project.id, slug: project.slug, name: project.name },
    key,
    keyId: apiKey.id,
    revokedKey: revoked.key,
    viewerMembershipId,
    ownerMembershipId,
    invitationId: invitation.invitation.id,
    invitationToken: invitation.token,
    eventId,
    findingId: finding.id,
    distilledModelId: distilled.id,
    emailMessageId: message.id,
    async snapshot() {
      const [o, projects, memberships, keys, invitations, calls, findings, runs, distilledModels, priceOverrides] = await Promise.all([
        db.organization.findUniqueOrThrow({ where: { id: org.id }, select: { name: true, timezone: true, slug: true } }),
        db.project.findMany({ where: { organizationId: org.id }, select: { id: true, name: true }, orderBy: { id: "asc" } }),
        db.membership.findMany({ where: { organizationId: org.id }, select: { id: true, role: true, weeklyReport: true }, orderBy: { id: "asc" } }),
        db.apiKey.findMany({ where: { projectId: project.id }, select: { id: true, revokedAt: true, name: true }, orderBy: { id: "asc" } }),
        db.invitation.findMany({ where: { organizationId: org.id }, select: { id: true, revokedAt: true, acceptedAt: true }, orderBy: { id: "asc" } }),
        db.call.count({ where: { projectId: project.id } }),
        db.finding.findMany({ where: { projectId: project.id }, select: { id: true, status: true, dismissReason: true }, orderBy: { id: "asc" } }),
        db.analysisRun.count({ where: { projectId: project.id } }),
        db.distilledModel.findMany({ where: { projectId: project.id }, select: { id: true, enabled: true }, orderBy: { id: "asc" } }),
        db.priceOverride.count({ where: { organizationId: org.id } }),
      ]);
      return JSON.stringify({ o, projects, memberships, keys, invitations, calls, findings, runs, distilledModels, priceOverrides });
    },
  };
}
