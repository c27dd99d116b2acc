import { requireProject } from "@/lib/auth/guards";
import { readJsonObject } from "@/lib/http/fields";
import { jsonRoute } from "@/lib/http/route";
import { decideFinding, findingCallIds, getFinding, parseDecision } from "@/lib/recommend/findings";

type P = { org: string; project: string; findingId: string };

/** GET (VIEWER+): one finding with its evidence and the first call ids it acts on. */
export const GET = jsonRoute<P>(async (req, ctx) => {
  const { org, project, findingId } = await ctx.params;
  const access = await requireProject(org, project, "VIEWER", req);
  const [finding, callIds] = await Promise.all([getFinding(access.project.id, findingId), findingCallIds(access.project.id, findingId)]);
  return { finding, callIds };
});

/** PATCH { action: accept | dismiss (reason) | snooze (until) | reopen } (MEMBER+). */
export const PATCH = jsonRoute<P>(async (req, ctx) => {
  const { org, project, findingId } = await ctx.params;
  const access = await requireProject(org, project, "MEMBER", req);
  const decision = parseDecision(await readJsonObject(req));
  return { finding: await decideFinding({ projectId: access.project.id, findingId, decision, actorRole: access.membership.role }) };
});
