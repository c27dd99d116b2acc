import { requireMembership } from "@/lib/auth/guards";
import { readJsonObject } from "@/lib/http/fields";
import { jsonRoute } from "@/lib/http/route";
import { createProject, listProjects } from "@/lib/orgs/projects";

type P = { org: string };

export const GET = jsonRoute<P>(async (req, ctx) => {
  const { org } = await ctx.params;
  const { organization } = await requireMembership(org, "VIEWER", req);
  return { projects: await listProjects(organization.id) };
});

/** POST { name } (ADMIN+). */
export const POST = jsonRoute<P>(async (req, ctx) => {
  const { org } = await ctx.params;
  const { user, organization } = await requireMembership(org, "ADMIN", req);
  const body = await readJsonObject(req);
  const project = await createProject({ organizationId: organization.id, name: body.name, actorUserId: user.id });
  return [201, { project: { id: project.id, name: project.name, slug: project.slug } }];
});
