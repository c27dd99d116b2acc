// Price-change backfill: re-price stored calls after an organization's overrides (or the price table)
// change, in batches, and move the rollups (hourly and per user) by exactly the cost that changed.
//
// Which calls: those whose priceVersion differs from the organization's current one (the version
// fingerprints the table and the override set, see price-overrides.ts), optionally only the models an
// override for `model` applies to (the pricing engine's own matching decides). Each batch is ONE
// statement: the Call update re-checks the old cost under the row lock, and the rollup moves by the
// returned (new - old) deltas, so a concurrent ingest or a second backfill can never double-count.
import { getPool } from "../db/client";
import { getPriceEntry } from "../pricing/cost";
import { priceStoredCall, type CallUsageFields } from "./call-cost";
import { forgetOrgPricing, loadOrgPricing, type OrgPricing } from "./price-overrides";
import { DAY_SQL, HOUR_SQL, toPgJson } from "./writer";

export type RepriceOptions = {
  /** Only calls whose model an override keyed by this name applies to (as priceCall would apply it). */
  model?: string;
  batchSize?: number;
  onProgress?: (fraction: number, message: string) => Promise<void> | void;
};

export type RepriceResult = { version: string; examined: number; changed: number; projects: number };

type StoredCallRow = CallUsageFields & { eventId: string; cacheWrite1hTokens: number; costUsd: number | null };

/** Models (with their providers) of a project that an override keyed by `overrideModel` applies to. */
async function affectedModels(projectId: string, overrideModel: string): Promise<string[]> {
  const { rows } = await getPool().query<{ provider: string; model: string }>(
    `SELECT DISTINCT "provider", "model" FROM "Call" WHERE "projectId" = $1 AND "model" IS NOT NULL`,
    [projectId],
  );
  const probe = { [overrideModel]: {} };
  const out = new Set<string>();
  for (const r of rows) {
    const applies =
      r.model.toLowerCase() === overrideModel.toLowerCase() ||
      getPriceEntry(r.model, { provider: r.provider, overrides: probe })?.overrideKey === overrideModel;
    if (applies) out.add(r.model);
  }
  return [...out];
}

const UPDATE_SQL = `
WITH u AS (
  SELECT * FROM jsonb_to_recordset($2::jsonb)
    AS u("eventId" text, "oldCost" float8, "costUsd" float8, "costBreakdown" jsonb, "priceVersion" text)
),
upd AS (
  UPDATE "Call" c SET "costUsd" = u."costUsd", "costBreakdown" = u."costBreakdown", "priceVersion" = u."priceVersion"
  FROM u
  WHERE c."projectId" = $1 AND c."eventId" = u."eventId"
    AND c."costUsd" IS NOT DISTINCT FROM u."oldCost" AND c."priceVersion" IS DISTINCT FROM u."priceVersion"
  RETURNING c."timestamp", c."model", c."feature", c."endUser", c."source", c."replayRunId", u."oldCost", u."costUsd" AS "newCost"
),
counted AS (
  SELECT * FROM upd WHERE "source" <> 'replay' AND "replayRunId" IS NULL
),
d AS (
  SELECT ${HOUR_SQL(`"timestamp"`)} AS hour, coalesce("model", '') AS model, coalesce("feature", '') AS feature,
    sum(coalesce("newCost", 0) - coalesce("oldCost", 0)) AS cost,
    sum(("newCost" IS NULL)::int - ("oldCost" IS NULL)::int)::int AS unpriced
  FROM counted
  GROUP BY 1, 2, 3
  ORDER BY 1, 2, 3
),
roll AS (
  UPDATE "UsageHourly" h SET "costUsd" = h."costUsd" + d.cost, "unpricedRequests" = h."unpricedRequests" + d.unpriced
  FROM d
  WHERE h."projectId" = $1 AND h."hour" = d.hour AND h."model" = d.model AND h."feature" = d.feature
  RETURNING 1
),
du AS (
  SELECT ${DAY_SQL(`"timestamp"`)} AS day, coalesce("endUser", '') AS "endUser",
    sum(coalesce("newCost", 0) - coalesce("oldCost", 0)) AS cost,
    sum(("newCost" IS NULL)::int - ("oldCost" IS NULL)::int)::int AS unpriced
  FROM counted
  GROUP BY 1, 2
  ORDER BY 1, 2
),
"rollUsers" AS (
  UPDATE "UsageDailyUser" h SET "costUsd" = h."costUsd" + du.cost, "unpricedRequests" = h."unpricedRequests" + du.unpriced
  FROM du
  WHERE h."projectId" = $1 AND h."day" = du.day AND h."endUser" = du."endUser"
  RETURNING 1
)
SELECT (SELECT count(*) FROM upd)::int AS updated, (SELECT count(*) FROM roll)::int + (SELECT count(*) FROM "rollUsers")::int AS "rollupRows"`;

/** Re-price one project's stale calls; returns how many were examined and how many changed cost. */
async function repriceProject(
  projectId: string,
  pricing: OrgPricing,
  opts: RepriceOptions,
): Promise<{ examined: number; changed: number }> {
  const pool = getPool();
  const models = opts.model ? await affectedModels(projectId, opts.model) : null;
  if (models && models.length === 0) return { examined: 0, changed: 0 };
  const batchSize = opts.batchSize ?? 2000;
  let after = "";
  let examined = 0;
  let changed = 0;
  for (;;) {
    const params: unknown[] = [projectId, pricing.version, after, batchSize];
    if (models) params.push(models);
    const { rows } = await pool.query<StoredCallRow>(
      `SELECT "eventId", "provider", "model", "status", "tokensEstimated", "batch", "serviceTier", "inputTokens", "outputTokens",
              "cachedInputTokens", "cacheWriteTokens", "cacheWrite1hTokens", "reasoningTokens", "costUsd"
       FROM "Call"
       WHERE "projectId" = $1 AND "priceVersion" IS DISTINCT FROM $2 AND "eventId" > $3 ${models ? `AND "model" = ANY($5::text[])` : ""}
       ORDER BY "eventId" LIMIT $4`,
      params,
    );
    if (rows.length === 0) break;
    after = rows[rows.length - 1].eventId;
    examined += rows.length;
    const updates = rows.map((r) => {
      const priced = priceStoredCall(r, pricing);
      if (priced.costUsd !== r.costUsd) changed++;
      return { eventId: r.eventId, oldCost: r.costUsd, costUsd: priced.costUsd, costBreakdown: priced.costBreakdown, priceVersion: priced.priceVersion };
    });
    await pool.query(UPDATE_SQL, [projectId, toPgJson(updates)]);
    if (rows.length < batchSize) break;
  }
  return { examined, changed };
}

/** Re-price an organization's history under its current price table and overrides. */
export async function repriceOrganization(organizationId: string, opts: RepriceOptions = {}): Promise<RepriceResult> {
  forgetOrgPricing(organizationId);
  const pricing = await loadOrgPricing(organizationId, { fresh: true });
  const { rows: projects } = await getPool().query<{ id: string }>(`SELECT "id" FROM "Project" WHERE "organizationId" = $1 ORDER BY "id"`, [
    organizationId,
  ]);
  let examined = 0;
  let changed = 0;
  for (let i = 0; i < projects.length; i++) {
    const r = await repriceProject(projects[i].id, pricing, opts);
    examined += r.examined;
    changed += r.changed;
    await opts.onProgress?.((i + 1) / projects.length, `re-priced ${examined} calls (${changed} changed) in ${i + 1}/${projects.length} projects`);
  }
  return { version: pricing.version, examined, changed, projects: projects.length };
}
