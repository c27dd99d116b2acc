import { requireProject } from "@/lib/auth/guards";
import { jsonRoute } from "@/lib/http/route";
import { getSavingsSummary } from "@/lib/recommend/findings";
import { realisedSavings } from "@/lib/recommend/realised";

type P = { org: string; project: string };

/** GET (VIEWER+): monthly spend, the waterfall of open findings, every current finding, realised savings. */
export const GET = jsonRoute<P>(async (req, ctx) => {
  const { org, project } = await ctx.params;
  const access = await requireProject(org, project, "VIEWER", req);
  const now = new Date();
  const [summary, realised] = await Promise.all([getSavingsSummary(access.project.id, now), realisedSavings(access.project.id, now)]);
  return { ...summary, realised };
});
