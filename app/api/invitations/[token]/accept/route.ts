import { requireSession } from "@/lib/auth/guards";
import { jsonRoute } from "@/lib/http/route";
import { acceptInvitation } from "@/lib/orgs/invitations";
import { firstProjectPath } from "@/lib/orgs/page-loaders";

type P = { token: string };

/** The signed-in user (whose email must be the invited one) joins the organization. */
export const POST = jsonRoute<P>(async (req, ctx) => {
  const { token } = await ctx.params;
  const user = await requireSession(req);
  const { organization, role } = await acceptInvitation({ token, userId: user.id });
  return { organization, role, path: (await firstProjectPath(user.id, organization.slug)) ?? `/${organization.slug}/settings` };
});
