import { requireProject } from "@/lib/auth/guards";
import { ValidationError } from "@/lib/http/errors";
import { jsonRoute } from "@/lib/http/route";
import { demoCountField, latestDemoLoad, startDemoLoad } from "@/lib/demo/runs";

type P = { org: string; project: string };

/**
 * POST { count? } (ADMIN+) -> 202 { load, started }: queues a load of realistic demo events (30 days
 * ending at the current hour, built from the shared public data sets, written through the real ingest
 * writer) as a background job. While one is queued or running for the project, that one is answered
 * (`started: false`). Loading twice adds nothing the second time (same event ids).
 */
export const POST = jsonRoute<P>(async (req, ctx) => {
  const { org, project } = await ctx.params;
  const access = await requireProject(org, project, "ADMIN", req);
  const text = await req.text();
  let count = demoCountField(undefined);
  if (text.trim()) {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw ValidationError.field("body", "Request body must be valid JSON.");
    }
    count = demoCountField((body as Record<string, unknown> | null)?.count);
  }
  return [202, await startDemoLoad(access.project.id, count)];
});

/** GET (VIEWER+) -> { load }: the project's latest demo load (state, progress, counts or error), or null. Polled by the onboarding button. */
export const GET = jsonRoute<P>(async (req, ctx) => {
  const { org, project } = await ctx.params;
  const access = await requireProject(org, project, "VIEWER", req);
  return { load: await latestDemoLoad(access.project.id) };
});
