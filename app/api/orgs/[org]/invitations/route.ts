import { requireMembership } from "@/lib/auth/guards";
import { readJsonObject } from "@/lib/http/fields";
import { jsonRoute } from "@/lib/http/route";
import { createInvitation, listPendingInvitations } from "@/lib/orgs/invitations";

type P = { org: string };

export const GET = jsonRoute<P>(async (req, ctx) => {
  const { org } = await ctx.params;
  const { organization } = await requireMembership(org, "ADMIN", req);
  return { invitations: await listPendingInvitations(organization.id) };
});

/** POST { email, role } (ADMIN+) -> 201 { invitation, path, emailed }: `path` is the link to hand the invitee (shown once); it is also emailed. */
export const POST = jsonRoute<P>(async (req, ctx) => {
  const { org } = await ctx.params;
  const { user, organization, membership } = await requireMembership(org, "ADMIN", req);
  const body = await readJsonObject(req);
  const { token, invitation, emailDelivery } = await createInvitation({
    organizationId: organization.id,
    email: body.email,
    role: body.role,
    actor: { userId: user.id, role: membership.role },
  });
  return [201, { invitation: { id: invitation.id, email: invitation.email, role: invitation.role, expiresAt: invitation.expiresAt }, path: `/invite/${token}`, emailed: emailDelivery.status === "sent" }];
});
