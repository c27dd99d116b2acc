import { requireSession } from "@/lib/auth/guards";
import { readJsonObject } from "@/lib/http/fields";
import { jsonRoute } from "@/lib/http/route";
import { createOrganization, listOrganizationsForUser } from "@/lib/orgs/organizations";
import { createProject } from "@/lib/orgs/projects";
import { FIRST_PROJECT_NAME } from "@/lib/auth/sign-up";
import { db } from "@/lib/db/client";

/** The signed-in user's organizations with their role in each. */
export const GET = jsonRoute(async (req) => {
  const user = await requireSession(req);
  return { organizations: await listOrganizationsForUser(user.id) };
});

/** POST { name, timezone? }: a new organization owned by the caller, with a first project. */
export const POST = jsonRoute(async (req) => {
  const user = await requireSession(req);
  const body = await readJsonObject(req);
  const { organization, project } = await db.$transaction(async (tx) => {
    const organization = await createOrganization({ name: body.name, timezone: body.timezone, ownerUserId: user.id }, tx);
    const project = await createProject({ organizationId: organization.id, name: FIRST_PROJECT_NAME, actorUserId: user.id }, tx);
    return { organization, project };
  });
  return [201, { organization: { id: organization.id, slug: organization.slug, name: organization.name }, project: { slug: project.slug } }];
});
