import { requireProject } from "@/lib/auth/guards";
import { jsonRoute } from "@/lib/http/route";
import { revokeProjectKey } from "@/lib/orgs/project-keys";

type P = { org: string; project: string; keyId: string };

/** Revoke a key (ADMIN+). It stops working at once in this process, within seconds elsewhere. */
export const DELETE = jsonRoute<P>(async (req, ctx) => {
  const { org, project, keyId } = await ctx.params;
  const access = await requireProject(org, project, "ADMIN", req);
  return revokeProjectKey({ project: access.project, keyId, actorUserId: access.user.id });
});
