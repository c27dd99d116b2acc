import { requireProject } from "@/lib/auth/guards";
import { readJsonObject } from "@/lib/http/fields";
import { jsonRoute } from "@/lib/http/route";
import { listAnalysisRuns, parseAnalysisKind, runAnalysisNow } from "@/lib/recommend/analysis-runs";

type P = { org: string; project: string };

/** GET (VIEWER+): the latest run of each analysis kind with progress, and recent runs. Polled by the savings page. */
export const GET = jsonRoute<P>(async (req, ctx) => {
  const { org, project } = await ctx.params;
  const access = await requireProject(org, project, "VIEWER", req);
  return listAnalysisRuns(access.project.id);
});

/** POST { kind } (MEMBER+) -> 202 { run, started }: starts a run now, or returns the one already under way. */
export const POST = jsonRoute<P>(async (req, ctx) => {
  const { org, project } = await ctx.params;
  const access = await requireProject(org, project, "MEMBER", req);
  const kind = parseAnalysisKind((await readJsonObject(req)).kind);
  return [202, await runAnalysisNow(access.project.id, kind)];
});
