import { requireProject } from "@/lib/auth/guards";
import { readJsonObject } from "@/lib/http/fields";
import { jsonRoute } from "@/lib/http/route";
import { deleteModelRoute, parseModelRouteChange, updateModelRoute } from "@/lib/proxy/model-routes";

type P = { org: string; project: string; routeId: string };

/**
 * PATCH `{ enabled?, auditShare? }` (ADMIN+): switch the route on or off, or change the share of calls kept
 * on the original model. The proxy of this process follows at once, others within 5 s. Audited.
 */
export const PATCH = jsonRoute<P>(async (req, ctx) => {
  const { org, project, routeId } = await ctx.params;
  const access = await requireProject(org, project, "ADMIN", req);
  const change = parseModelRouteChange(await readJsonObject(req));
  const route = await updateModelRoute({ projectId: access.project.id, organizationId: access.organization.id, actorUserId: access.user.id }, routeId, change);
  return { route };
});

/** DELETE (ADMIN+): remove the route; the feature's calls keep the model they ask for. Audited. */
export const DELETE = jsonRoute<P>(async (req, ctx) => {
  const { org, project, routeId } = await ctx.params;
  const access = await requireProject(org, project, "ADMIN", req);
  await deleteModelRoute({ projectId: access.project.id, organizationId: access.organization.id, actorUserId: access.user.id }, routeId);
  return { ok: true };
});
