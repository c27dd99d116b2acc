import { requireProject } from "@/lib/auth/guards";
import { FilterError, callsCsv, parseCallFilter } from "@/lib/dashboard/calls";
import { ValidationError, errorResponse } from "@/lib/http/errors";

type P = { org: string; project: string };

/** GET with the explorer's filters (VIEWER+): the filtered view as CSV, streamed (100,000 rows at most). */
export async function GET(req: Request, ctx: { params: Promise<P> }): Promise<Response> {
  try {
    const { org, project } = await ctx.params;
    const access = await requireProject(org, project, "VIEWER", req);
    let filter;
    try {
      filter = parseCallFilter(new URL(req.url).searchParams);
    } catch (err) {
      if (err instanceof FilterError) throw ValidationError.field(err.field, err.message);
      throw err;
    }
    const rows = callsCsv(access.project.id, filter);
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const next = await rows.next();
          if (next.done) controller.close();
          else controller.enqueue(encoder.encode(next.value));
        } catch (err) {
          controller.error(err);
        }
      },
      async cancel() {
        await rows.return(undefined);
      },
    });
    const name = `${access.project.slug}-calls-${new Date().toISOString().slice(0, 10)}.csv`;
    return new Response(body, {
      headers: { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="${name}"`, "cache-control": "no-store" },
    });
  } catch (err) {
    return errorResponse(err);
  }
}
