import { requireProject } from "@/lib/auth/guards";
import { decodeCallCursor, encodeCallCursor } from "@/components/dashboard/call-cursor";
import { FilterError, listCalls, parseCallFilter } from "@/lib/dashboard/calls";
import { ValidationError } from "@/lib/http/errors";
import { jsonRoute } from "@/lib/http/route";

type P = { org: string; project: string };

/** GET ?from&to&model&feature&endUser&status&minCost&maxCost&unpriced&q&limit&cursor (VIEWER+): one page, newest first. */
export const GET = jsonRoute<P>(async (req, ctx) => {
  const { org, project } = await ctx.params;
  const access = await requireProject(org, project, "VIEWER", req);
  const params = new URL(req.url).searchParams;
  let filter;
  try {
    filter = parseCallFilter(params);
  } catch (err) {
    if (err instanceof FilterError) throw ValidationError.field(err.field, err.message);
    throw err;
  }
  const limitRaw = params.get("limit");
  const limit = limitRaw ? Number(limitRaw) : 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw ValidationError.field("limit", "limit must be an integer from 1 to 500.");
  const cursorRaw = params.get("cursor");
  const cursor = cursorRaw ? decodeCallCursor(cursorRaw) : undefined;
  if (cursor === null) throw ValidationError.field("cursor", "cursor is not valid: use the nextCursor of the previous page.");
  const page = await listCalls(access.project.id, filter, { limit, cursor });
  return { items: page.items, nextCursor: page.nextCursor ? encodeCallCursor(page.nextCursor) : null };
});
