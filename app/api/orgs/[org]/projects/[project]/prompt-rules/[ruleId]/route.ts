import { requireProject } from "@/lib/auth/guards";
import { readJsonObject } from "@/lib/http/fields";
import { jsonRoute } from "@/lib/http/route";
import { deletePromptRule, parsePromptRuleChange, updatePromptRule } from "@/lib/proxy/prompt-rules";

type P = { org: string; project: string; ruleId: string };

/**
 * PATCH `{ enabled?, auditShare? }` (ADMIN+): switch the rule on or off, or change the share of calls sent
 * with the original prompt. The proxy of this process follows at once, others within 5 s. Audited.
 */
export const PATCH = jsonRoute<P>(async (req, ctx) => {
  const { org, project, ruleId } = await ctx.params;
  const access = await requireProject(org, project, "ADMIN", req);
  const change = parsePromptRuleChange(await readJsonObject(req));
  const rule = await updatePromptRule({ projectId: access.project.id, organizationId: access.organization.id, actorUserId: access.user.id }, ruleId, change);
  return { rule };
});

/** DELETE (ADMIN+): remove the rule; the feature's calls are sent with their own prompt again. Audited. */
export const DELETE = jsonRoute<P>(async (req, ctx) => {
  const { org, project, ruleId } = await ctx.params;
  const access = await requireProject(org, project, "ADMIN", req);
  await deletePromptRule({ projectId: access.project.id, organizationId: access.organization.id, actorUserId: access.user.id }, ruleId);
  return { ok: true };
});
