import { requireProject } from "@/lib/auth/guards";
import { readJsonObject } from "@/lib/http/fields";
import { jsonRoute } from "@/lib/http/route";
import { createCacheRule, listCacheRules } from "@/lib/proxy/cache-rules";

type P = { org: string; project: string };

/** GET (VIEWER+): the project's cache rules (cache recommendations applied in the proxy). */
export const GET = jsonRoute<P>(async (req, ctx) => {
  const { org, project } = await ctx.params;
  const access = await requireProject(org, project, "VIEWER", req);
  return { rules: await listCacheRules(access.project.id) };
});

/**
 * POST (ADMIN+) `{ findingId }` (an open or accepted cache finding; semantic ones apply in exact mode) or
 * `{ feature, model }`, optional `ttlSeconds` (60 s to 30 days; default the finding's, else 1 day) and
 * `auditShare` (0-1, default 0.02): the proxy answers the feature's repeated requests of the model from its
 * exact-match cache from now on. 201 with the new rule; 200 with the existing one when it was applied already. Audited.
 */
export const POST = jsonRoute<P>(async (req, ctx) => {
  const { org, project } = await ctx.params;
  const access = await requireProject(org, project, "ADMIN", req);
  const body = await readJsonObject(req);
  const { rule, created } = await createCacheRule({ projectId: access.project.id, organizationId: access.organization.id, actorUserId: access.user.id }, body);
  return [created ? 201 : 200, { rule, created }];
});
