// Per-organization price overrides (PriceOverride rows), cached briefly so ingest does not read them per
// batch. The override set is fingerprinted into the stored priceVersion, so the backfill can find every
// call priced under an older table or older overrides with one indexed comparison.
import { createHash } from "node:crypto";
import { db } from "../db/client";
import { processShared } from "../runtime/process-shared";
import { PRICE_VERSION } from "../pricing/cost";
import type { PriceEntry } from "../pricing/table";

export type OrgPricing = {
  organizationId: string;
  overrides: Record<string, Partial<PriceEntry>>;
  /** PRICE_VERSION, plus "+o:<fingerprint>" when the organization has overrides. */
  version: string;
  /** Latest PriceOverride.updatedAt (ms), 0 when none: how fresh a cache must be to have seen it. */
  updatedAt: number;
};

/** How long a process may price with an override set it read earlier. */
export const PRICE_OVERRIDE_CACHE_MS = 5_000;

// One per process (lib/runtime/process-shared.ts): overrides are edited and forgotten in the Next.js
// bundle, and the launcher's ingest path prices with them.
const cache = processShared("org-pricing", () => new Map<string, { at: number; value: Promise<OrgPricing> }>());

export function pricingVersion(overrides: Record<string, Partial<PriceEntry>>): string {
  const models = Object.keys(overrides).sort();
  if (models.length === 0) return PRICE_VERSION;
  const canonical = JSON.stringify(models.map((m) => [m, Object.entries(overrides[m]).sort(([a], [b]) => (a < b ? -1 : 1))]));
  return `${PRICE_VERSION}+o:${createHash("sha256").update(canonical).digest("hex").slice(0, 12)}`;
}

async function readOrgPricing(organizationId: string): Promise<OrgPricing> {
  const rows = await db.priceOverride.findMany({
    where: { organizationId },
    select: { model: true, prices: true, updatedAt: true },
  });
  const overrides: Record<string, Partial<PriceEntry>> = {};
  let updatedAt = 0;
  for (const r of rows) {
    if (r.prices && typeof r.prices === "object" && !Array.isArray(r.prices)) overrides[r.model] = r.prices as Partial<PriceEntry>;
    updatedAt = Math.max(updatedAt, r.updatedAt.getTime());
  }
  return { organizationId, overrides, version: pricingVersion(overrides), updatedAt };
}

/** The organization's overrides, at most PRICE_OVERRIDE_CACHE_MS old unless `fresh`. */
export function loadOrgPricing(organizationId: string, opts: { fresh?: boolean } = {}): Promise<OrgPricing> {
  const now = Date.now();
  const hit = cache.get(organizationId);
  if (!opts.fresh && hit && now - hit.at < PRICE_OVERRIDE_CACHE_MS) return hit.value;
  const value = readOrgPricing(organizationId);
  cache.set(organizationId, { at: now, value });
  value.catch(() => cache.delete(organizationId));
  return value;
}

/** Drop cached overrides (after editing them in this process; other processes catch up within the TTL). */
export function forgetOrgPricing(organizationId?: string): void {
  if (organizationId) cache.delete(organizationId);
  else cache.clear();
}
