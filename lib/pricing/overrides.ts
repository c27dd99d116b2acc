// Per-organization price overrides (same fields as a LiteLLM entry). Saving one re-prices the affected
// history in the background (queue "backfill"), so past spend follows the new price, not only new calls.
import { db } from "../db/client";
import type { Prisma } from "../db/generated/client";
import { ValidationError } from "../http/errors";
import { forgetOrgPricing } from "../ingest/price-overrides";
import { writeAuditLog } from "../orgs/audit";
import { enqueue } from "../queue/enqueue";
import { isCostField, projectEntry } from "./table";

const MODEL_MAX = 200;

export function parseOverride(body: Record<string, unknown>): { model: string; prices: Record<string, number> } {
  const model = typeof body.model === "string" ? body.model.trim() : "";
  if (!model) throw ValidationError.field("model", "Model is required.");
  if (model.length > MODEL_MAX) throw ValidationError.field("model", `Model is too long (${MODEL_MAX} characters at most).`);
  if (!body.prices || typeof body.prices !== "object" || Array.isArray(body.prices)) throw ValidationError.field("prices", "Prices must be an object of LiteLLM price fields (e.g. input_cost_per_token).");
  const raw = body.prices as Record<string, unknown>;
  for (const field of Object.keys(raw)) {
    if (!isCostField(field)) throw ValidationError.field(`prices.${field}`, `prices.${field} is not a price field (fields end in _cost_per_token and similar).`);
  }
  const { entry, problems } = projectEntry(model, raw);
  if (problems.length || !entry) {
    const field = /field "([^"]+)"/.exec(problems[0] ?? "")?.[1] ?? "prices";
    throw ValidationError.field(`prices.${field}`, problems[0] ?? "Invalid prices.");
  }
  if (Object.keys(entry).length === 0) throw ValidationError.field("prices", "Give at least one price field.");
  return { model, prices: entry as Record<string, number> };
}

async function backfill(organizationId: string, model: string): Promise<void> {
  forgetOrgPricing(organizationId);
  await enqueue("backfill", "reprice", { organizationId, model }, { dedupeKey: `backfill:${organizationId}:${model}` });
}

export async function listPriceOverrides(organizationId: string) {
  return db.priceOverride.findMany({ where: { organizationId }, orderBy: { model: "asc" }, select: { id: true, model: true, prices: true, updatedAt: true } });
}

export async function savePriceOverride(organizationId: string, actorUserId: string, input: { model: string; prices: Record<string, number> }) {
  const row = await db.priceOverride.upsert({
    where: { organizationId_model: { organizationId, model: input.model } },
    create: { organizationId, model: input.model, prices: input.prices as Prisma.InputJsonValue },
    update: { prices: input.prices as Prisma.InputJsonValue },
  });
  await writeAuditLog({ organizationId, actorUserId, action: "price_override.save", target: `model:${input.model}`, meta: input.prices });
  await backfill(organizationId, input.model);
  return row;
}

export async function deletePriceOverride(organizationId: string, actorUserId: string, model: string): Promise<boolean> {
  const res = await db.priceOverride.deleteMany({ where: { organizationId, model } });
  if (res.count === 0) return false;
  await writeAuditLog({ organizationId, actorUserId, action: "price_override.delete", target: `model:${model}` });
  await backfill(organizationId, model);
  return true;
}
