import { requireMembership } from "@/lib/auth/guards";
import { jsonRoute } from "@/lib/http/route";
import { listMembers } from "@/lib/orgs/memberships";

type P = { org: string };

export const GET = jsonRoute<P>(async (req, ctx) => {
  const { org } = await ctx.params;
  const { organization } = await requireMembership(org, "VIEWER", req);
  return { members: await listMembers(organization.id) };
});
