import { requireMembership } from "@/lib/auth/guards";
import { jsonRoute } from "@/lib/http/route";
import { revokeInvitation } from "@/lib/orgs/invitations";

type P = { org: string; invitationId: string };

export const DELETE = jsonRoute<P>(async (req, ctx) => {
  const { org, invitationId } = await ctx.params;
  const { user, organization, membership } = await requireMembership(org, "ADMIN", req);
  await revokeInvitation({ organizationId: organization.id, invitationId, actor: { userId: user.id, role: membership.role } });
  return { ok: true };
});
