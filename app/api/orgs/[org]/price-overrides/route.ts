import { requireMembership } from "@/lib/auth/guards";
import { NotFoundError } from "@/lib/http/errors";
import { readJsonObject } from "@/lib/http/fields";
import { jsonRoute } from "@/lib/http/route";
import { deletePriceOverride, listPriceOverrides, parseOverride, savePriceOverride } from "@/lib/pricing/overrides";

type P = { org: string };

export const GET = jsonRoute<P>(async (req, ctx) => {
  const { org } = await ctx.params;
  const { organization } = await requireMembership(org, "VIEWER", req);
  return { overrides: await listPriceOverrides(organization.id) };
});

/** PUT { model, prices: { input_cost_per_token, ... } } (ADMIN+): saves and re-prices history. */
export const PUT = jsonRoute<P>(async (req, ctx) => {
  const { org } = await ctx.params;
  const { user, organization } = await requireMembership(org, "ADMIN", req);
  const override = await savePriceOverride(organization.id, user.id, parseOverride(await readJsonObject(req)));
  return { override: { id: override.id, model: override.model, prices: override.prices }, backfill: "queued" };
});

/** DELETE ?model=... (ADMIN+). */
export const DELETE = jsonRoute<P>(async (req, ctx) => {
  const { org } = await ctx.params;
  const { user, organization } = await requireMembership(org, "ADMIN", req);
  const model = new URL(req.url).searchParams.get("model") ?? "";
  if (!(await deletePriceOverride(organization.id, user.id, model))) throw new NotFoundError("No override for that model.");
  return { deleted: model, backfill: "queued" };
});
