import { RangeInputError, parseRange } from "@/components/dashboard/range";
import { requireProject } from "@/lib/auth/guards";
import { getOverview } from "@/lib/dashboard/overview";
import { ValidationError } from "@/lib/http/errors";
import { jsonRoute } from "@/lib/http/route";

type P = { org: string; project: string };

/** GET ?range=24h|7d|30d or ?from=&to= (VIEWER+): totals, previous-period change, series — from the hourly rollup. */
export const GET = jsonRoute<P>(async (req, ctx) => {
  const { org, project } = await ctx.params;
  const access = await requireProject(org, project, "VIEWER", req);
  let range;
  try {
    range = parseRange(new URL(req.url).searchParams);
  } catch (err) {
    if (err instanceof RangeInputError) throw ValidationError.field(err.field, err.message);
    throw err;
  }
  return { overview: await getOverview(access.project.id, { from: range.from, to: range.to }), choice: range.choice };
});
