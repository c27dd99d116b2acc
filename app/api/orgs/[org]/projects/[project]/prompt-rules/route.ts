import { requireProject } from "@/lib/auth/guards";
import { readJsonObject } from "@/lib/http/fields";
import { jsonRoute } from "@/lib/http/route";
import { createPromptRule, listPromptRules } from "@/lib/proxy/prompt-rules";

type P = { org: string; project: string };

/** GET (VIEWER+): the project's prompt rules (verified prompt-compression recommendations applied in the proxy). */
export const GET = jsonRoute<P>(async (req, ctx) => {
  const { org, project } = await ctx.params;
  const access = await requireProject(org, project, "VIEWER", req);
  return { rules: await listPromptRules(access.project.id) };
});

/**
 * POST (ADMIN+) `{ findingId }` (an open or accepted prompt-compression finding whose candidate a replay
 * verified; 400 naming findingId otherwise, saying why), optional `auditShare` (0-1, default 0.02): the
 * proxy sends the feature's calls with the compressed prompt from now on. 201 with the new rule; 200 with
 * the existing one when it was applied already. Audited.
 */
export const POST = jsonRoute<P>(async (req, ctx) => {
  const { org, project } = await ctx.params;
  const access = await requireProject(org, project, "ADMIN", req);
  const body = await readJsonObject(req);
  const { rule, created } = await createPromptRule({ projectId: access.project.id, organizationId: access.organization.id, actorUserId: access.user.id }, body);
  return [created ? 201 : 200, { rule, created }];
});
