import { requireProject } from "@/lib/auth/guards";
import { readJsonObject } from "@/lib/http/fields";
import { jsonRoute } from "@/lib/http/route";
import { createModelRoute, listModelRoutes } from "@/lib/proxy/model-routes";

type P = { org: string; project: string };

/** GET (VIEWER+): the project's model routes (right-size recommendations applied in the proxy). */
export const GET = jsonRoute<P>(async (req, ctx) => {
  const { org, project } = await ctx.params;
  const access = await requireProject(org, project, "VIEWER", req);
  return { routes: await listModelRoutes(access.project.id) };
});

/**
 * POST (ADMIN+) `{ findingId }` (an open or accepted rightsize finding) or `{ feature, fromModel, toModel }`,
 * optional `auditShare` (0-1, default 0.02): the proxy sends the feature's calls of fromModel to toModel
 * from now on. 201 with the new route; 200 with the existing one when it was applied already. Audited.
 */
export const POST = jsonRoute<P>(async (req, ctx) => {
  const { org, project } = await ctx.params;
  const access = await requireProject(org, project, "ADMIN", req);
  const body = await readJsonObject(req);
  const { route, created } = await createModelRoute({ projectId: access.project.id, organizationId: access.organization.id, actorUserId: access.user.id }, body);
  return [created ? 201 : 200, { route, created }];
});
