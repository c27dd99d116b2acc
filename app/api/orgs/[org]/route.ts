import { requireMembership } from "@/lib/auth/guards";
import { readJsonObject } from "@/lib/http/fields";
import { jsonRoute } from "@/lib/http/route";
import { deleteOrganization, updateOrganization } from "@/lib/orgs/organizations";

type P = { org: string };

export const GET = jsonRoute<P>(async (req, ctx) => {
  const { org } = await ctx.params;
  const { organization, membership } = await requireMembership(org, "VIEWER", req);
  return { organization, role: membership.role };
});

/** PATCH { name?, timezone? } (ADMIN+). */
export const PATCH = jsonRoute<P>(async (req, ctx) => {
  const { org } = await ctx.params;
  const { user, organization } = await requireMembership(org, "ADMIN", req);
  const body = await readJsonObject(req);
  const updated = await updateOrganization({ organizationId: organization.id, actorUserId: user.id, name: body.name, timezone: body.timezone });
  return { organization: { id: updated.id, name: updated.name, slug: updated.slug, timezone: updated.timezone } };
});

/** DELETE { confirm: "<org slug>" } (OWNER only): the organization and all its data. */
export const DELETE = jsonRoute<P>(async (req, ctx) => {
  const { org } = await ctx.params;
  const { organization, membership } = await requireMembership(org, "OWNER", req);
  const body = await readJsonObject(req);
  await deleteOrganization({ organizationId: organization.id, actorRole: membership.role, confirmSlug: body.confirm });
  return { ok: true };
});
