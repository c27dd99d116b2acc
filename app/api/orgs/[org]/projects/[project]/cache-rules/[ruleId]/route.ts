import { requireProject } from "@/lib/auth/guards";
import { readJsonObject } from "@/lib/http/fields";
import { jsonRoute } from "@/lib/http/route";
import { deleteCacheRule, parseCacheRuleChange, updateCacheRule } from "@/lib/proxy/cache-rules";

type P = { org: string; project: string; ruleId: string };

/**
 * PATCH `{ enabled?, ttlSeconds?, auditShare? }` (ADMIN+): switch the rule on or off, change how long answers
 * are served, or the share of hits forwarded anyway. Any change drops the rule's stored answers; the proxy of
 * this process follows at once, others within 5 s. Audited.
 */
export const PATCH = jsonRoute<P>(async (req, ctx) => {
  const { org, project, ruleId } = await ctx.params;
  const access = await requireProject(org, project, "ADMIN", req);
  const change = parseCacheRuleChange(await readJsonObject(req));
  const rule = await updateCacheRule({ projectId: access.project.id, organizationId: access.organization.id, actorUserId: access.user.id }, ruleId, change);
  return { rule };
});

/** DELETE (ADMIN+): remove the rule and its stored answers; the feature's calls all go upstream again. Audited. */
export const DELETE = jsonRoute<P>(async (req, ctx) => {
  const { org, project, ruleId } = await ctx.params;
  const access = await requireProject(org, project, "ADMIN", req);
  await deleteCacheRule({ projectId: access.project.id, organizationId: access.organization.id, actorUserId: access.user.id }, ruleId);
  return { ok: true };
});
