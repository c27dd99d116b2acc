import { requireProject } from "@/lib/auth/guards";
import { jsonRoute } from "@/lib/http/route";
import { listDistilledModels } from "@/lib/analysis/distill/models";

type P = { org: string; project: string };

/**
 * GET (VIEWER+): the project's distilled models, per feature newest version first, with their
 * evaluation metrics and whether the proxy may answer with them (the artifacts are not sent).
 */
export const GET = jsonRoute<P>(async (req, ctx) => {
  const { org, project } = await ctx.params;
  const access = await requireProject(org, project, "VIEWER", req);
  return { models: await listDistilledModels(access.project.id) };
});
