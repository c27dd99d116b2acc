import { requireProject } from "@/lib/auth/guards";
import { readJsonObject } from "@/lib/http/fields";
import { jsonRoute } from "@/lib/http/route";
import { updateProject } from "@/lib/orgs/projects";

type P = { org: string; project: string };

export const GET = jsonRoute<P>(async (req, ctx) => {
  const { org, project } = await ctx.params;
  const access = await requireProject(org, project, "VIEWER", req);
  return { project: access.project, role: access.membership.role };
});

/** PATCH { name } (ADMIN+). */
export const PATCH = jsonRoute<P>(async (req, ctx) => {
  const { org, project } = await ctx.params;
  const access = await requireProject(org, project, "ADMIN", req);
  const body = await readJsonObject(req);
  const updated = await updateProject({ organizationId: access.organization.id, projectId: access.project.id, actorUserId: access.user.id, name: body.name });
  return { project: { id: updated.id, name: updated.name, slug: updated.slug } };
});
