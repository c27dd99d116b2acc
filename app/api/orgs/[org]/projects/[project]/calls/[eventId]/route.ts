import { requireProject } from "@/lib/auth/guards";
import { getCallDetail } from "@/lib/dashboard/calls";
import { NotFoundError } from "@/lib/http/errors";
import { jsonRoute } from "@/lib/http/route";
import { restoreRequest } from "@/lib/ingest/stored";

type P = { org: string; project: string; eventId: string };

/** GET (VIEWER+): one call with its restored request, response, tokens, cost breakdown and redactions. */
export const GET = jsonRoute<P>(async (req, ctx) => {
  const { org, project, eventId } = await ctx.params;
  const access = await requireProject(org, project, "VIEWER", req);
  const detail = await getCallDetail(access.project.id, eventId);
  if (!detail) throw new NotFoundError("Call not found.");
  const prompts = new Map(detail.call.promptHash && detail.staticPrompt !== null ? [[detail.call.promptHash, detail.staticPrompt]] : []);
  return { call: detail.call, staticPrompt: detail.staticPrompt, request: restoreRequest(detail.call.request, detail.call.promptHash, prompts) };
});
