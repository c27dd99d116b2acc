import { requireMembership } from "@/lib/auth/guards";
import { readJsonObject } from "@/lib/http/fields";
import { jsonRoute } from "@/lib/http/route";
import { changeMemberRole, removeMember } from "@/lib/orgs/memberships";

type P = { org: string; memberId: string };

/** PATCH { role } (ADMIN+; OWNER for anything touching the OWNER role). */
export const PATCH = jsonRoute<P>(async (req, ctx) => {
  const { org, memberId } = await ctx.params;
  const { user, organization, membership } = await requireMembership(org, "ADMIN", req);
  const body = await readJsonObject(req);
  const member = await changeMemberRole({ organizationId: organization.id, membershipId: memberId, role: body.role, actor: { userId: user.id, role: membership.role } });
  return { member };
});

/** Remove a member (ADMIN+; never the last OWNER). */
export const DELETE = jsonRoute<P>(async (req, ctx) => {
  const { org, memberId } = await ctx.params;
  const { user, organization, membership } = await requireMembership(org, "ADMIN", req);
  await removeMember({ organizationId: organization.id, membershipId: memberId, actor: { userId: user.id, role: membership.role } });
  return { ok: true };
});
