import { requireProject } from "@/lib/auth/guards";
import { readJsonObject } from "@/lib/http/fields";
import { jsonRoute } from "@/lib/http/route";
import { createProjectKey, listProjectKeys } from "@/lib/orgs/project-keys";

type P = { org: string; project: string };

export const GET = jsonRoute<P>(async (req, ctx) => {
  const { org, project } = await ctx.params;
  const access = await requireProject(org, project, "VIEWER", req);
  return { keys: await listProjectKeys(access.project.id) };
});

/** POST { name } (ADMIN+) -> 201 { key, apiKey }: `key` is the full secret, returned this once only. */
export const POST = jsonRoute<P>(async (req, ctx) => {
  const { org, project } = await ctx.params;
  const access = await requireProject(org, project, "ADMIN", req);
  const body = await readJsonObject(req);
  const created = await createProjectKey({ project: access.project, name: body.name, actorUserId: access.user.id });
  return new Response(JSON.stringify(created), {
    status: 201,
    headers: { "content-type": "application/json", "cache-control": "no-store" },
  });
});
