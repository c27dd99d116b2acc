// The rollup split (20261204183840_usage_split_users) on a database that already holds rollups keyed by
// end user: per-user days and per-hour totals after it equal what was there before, histograms summed
// element-wise. Runs the real migration files on a scratch database.
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MIGRATIONS_DIR, migrate, readMigrations } from "./migrate";
import { adminUrl, createScratchDatabase, dropDatabase } from "./scratch";

const SPLIT = "20261204183840_usage_split_users";
let scratch: { name: string; url: string };
let client: pg.Client;
let before: string;

beforeAll(async () => {
  scratch = await createScratchDatabase(adminUrl(), "migsplit");
  // The migrations before the split, from a copy of the directory.
  before = mkdtempSync(path.join(os.tmpdir(), "spendlens-migrations-"));
  for (const m of await readMigrations()) if (m.name < SPLIT) cpSync(path.join(MIGRATIONS_DIR, m.name), path.join(before, m.name), { recursive: true });
  await migrate(scratch.url, { dir: before });
  client = new pg.Client({ connectionString: scratch.url });
  await client.connect();
  await client.query(`INSERT INTO "Organization" (id, name, slug, "updatedAt") VALUES ('o1', 'O', 'o', now())`);
  await client.query(`INSERT INTO "Project" (id, "organizationId", name, slug, "updatedAt") VALUES ('p1', 'o1', 'P', 'p', now())`);
  const row = (hour: string, model: string, endUser: string, requests: number, cost: number, buckets: number[]) =>
    client.query(
      `INSERT INTO "UsageHourly" ("projectId", hour, model, feature, "endUser", requests, errors, "unpricedRequests", "inputTokens", "outputTokens",
         "cachedInputTokens", "costUsd", "latencySumMs", "latencyCount", "latencyBuckets")
       VALUES ('p1', $1, $2, 'chat', $3, $4, 1, 0, $4 * 100, $4 * 10, $4 * 5, $5, $4 * 300, $4, $6)`,
      [hour, model, endUser, requests, cost, buckets],
    );
  await row("2026-11-30T10:00:00Z", "gpt-4o", "ann", 2, 0.5, [1, 1]);
  await row("2026-11-30T10:00:00Z", "gpt-4o", "bob", 3, 0.25, [0, 2, 1]);
  await row("2026-11-30T10:00:00Z", "gpt-4o", "", 1, 1, [1]);
  await row("2026-11-30T23:00:00Z", "gpt-4o-mini", "ann", 4, 2, [4]);
  await row("2026-12-01T00:00:00Z", "gpt-4o", "ann", 5, 3, [0, 0, 5]);
  await migrate(scratch.url);
});

afterAll(async () => {
  await client?.end();
  rmSync(before, { recursive: true, force: true });
  await dropDatabase(adminUrl(), scratch.name);
});

describe(`migration ${SPLIT}`, () => {
  it("folds end users out of the hourly rollup, summing every column and the histograms element-wise", async () => {
    const { rows } = await client.query(
      `SELECT to_char(hour AT TIME ZONE 'UTC', 'MM-DD HH24') AS h, model, requests, errors, "inputTokens"::int AS input, "costUsd" AS cost,
              "latencyCount" AS n, "latencyBuckets" AS buckets FROM "UsageHourly" ORDER BY hour, model`,
    );
    expect(rows).toEqual([
      { h: "11-30 10", model: "gpt-4o", requests: 6, errors: 3, input: 600, cost: 1.75, n: 6, buckets: [2, 3, 1] },
      { h: "11-30 23", model: "gpt-4o-mini", requests: 4, errors: 1, input: 400, cost: 2, n: 4, buckets: [4] },
      { h: "12-01 00", model: "gpt-4o", requests: 5, errors: 1, input: 500, cost: 3, n: 5, buckets: [0, 0, 5] },
    ]);
  });

  it("carries each user's spend into UTC days", async () => {
    const { rows } = await client.query(
      `SELECT to_char(day AT TIME ZONE 'UTC', 'MM-DD') AS d, "endUser" AS u, requests, "costUsd" AS cost FROM "UsageDailyUser" ORDER BY day, "endUser"`,
    );
    expect(rows).toEqual([
      { d: "11-30", u: "", requests: 1, cost: 1 },
      { d: "11-30", u: "ann", requests: 6, cost: 2.5 },
      { d: "11-30", u: "bob", requests: 3, cost: 0.25 },
      { d: "12-01", u: "ann", requests: 5, cost: 3 },
    ]);
  });
});
