// Queue "backfill": re-price an organization's stored calls after its price overrides (or the price
// table) changed, and move the hourly rollups with them. Enqueue with dedupeKey `backfill:<orgId>`.
import { PRICE_OVERRIDE_CACHE_MS } from "../lib/ingest/price-overrides";
import { repriceOrganization, type RepriceResult } from "../lib/ingest/reprice";
import type { JobContext } from "../lib/queue/types";

export type BackfillJobData = {
  organizationId: string;
  /** Only calls an override keyed by this model name applies to; all stale calls when absent. */
  model?: string;
  /** Wait before the second pass (ms); default: the override cache TTL + 0.5 s. */
  settleMs?: number;
};

export async function handleBackfill(data: BackfillJobData, ctx: JobContext): Promise<{ passes: RepriceResult[] }> {
  if (!data || typeof data.organizationId !== "string" || !data.organizationId) throw new Error("backfill job: data.organizationId is required");
  const opts = { model: data.model, onProgress: (f: number, m: string) => ctx.progress(f * 0.9, m) };
  const first = await repriceOrganization(data.organizationId, opts);
  // Ingest processes price with overrides cached up to PRICE_OVERRIDE_CACHE_MS: calls they write in that
  // window carry the old version. A second pass after the window catches them (it reads only stale rows).
  const settle = data.settleMs ?? PRICE_OVERRIDE_CACHE_MS + 500;
  if (settle > 0) await new Promise((resolve) => setTimeout(resolve, settle));
  const second = await repriceOrganization(data.organizationId, { model: data.model });
  await ctx.progress(1, `re-priced ${first.changed + second.changed} calls`);
  return { passes: [first, second] };
}
