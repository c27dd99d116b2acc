import { requireProject } from "@/lib/auth/guards";
import { ValidationError } from "@/lib/http/errors";
import { jsonRoute } from "@/lib/http/route";
import { loadDemoData } from "@/lib/demo/load";

type P = { org: string; project: string };

export const maxDuration = 300;
const DEFAULT_EVENTS = 5_000;
const MAX_EVENTS = 50_000;

/**
 * POST { count? } (ADMIN+) -> 201 { inserted, duplicates }: realistic demo events (30 days ending now,
 * built from the shared public data sets) written through the real ingest writer. Loading twice adds
 * nothing the second time (same event ids).
 */
export const POST = jsonRoute<P>(async (req, ctx) => {
  const { org, project } = await ctx.params;
  const access = await requireProject(org, project, "ADMIN", req);
  const text = await req.text();
  let count = DEFAULT_EVENTS;
  if (text.trim()) {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw ValidationError.field("body", "Request body must be valid JSON.");
    }
    const raw = (body as Record<string, unknown> | null)?.count;
    if (raw !== undefined) {
      if (typeof raw !== "number" || !Number.isInteger(raw) || raw < 1 || raw > MAX_EVENTS) {
        throw ValidationError.field("count", `Count must be an integer from 1 to ${MAX_EVENTS.toLocaleString("en-US")}.`);
      }
      count = raw;
    }
  }
  // The end is fixed to the current hour so a second click within the hour produces the same ids.
  const end = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
  const result = await loadDemoData({ projectId: access.project.id, organizationId: access.organization.id }, { count, end });
  return [201, { inserted: result.inserted, duplicates: result.duplicates }];
});
