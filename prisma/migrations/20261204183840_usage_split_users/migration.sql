-- Split the hourly rollup: UsageHourly loses the end user from its key (hour x model x feature) and
-- users are rolled up per UTC day in UsageDailyUser. Existing rows are carried over, summed, so the
-- history an instance already has keeps its totals.

-- CreateTable
CREATE TABLE "UsageDailyUser" (
    "projectId" TEXT NOT NULL,
    "day" TIMESTAMPTZ(3) NOT NULL,
    "endUser" TEXT NOT NULL,
    "requests" INTEGER NOT NULL DEFAULT 0,
    "errors" INTEGER NOT NULL DEFAULT 0,
    "unpricedRequests" INTEGER NOT NULL DEFAULT 0,
    "inputTokens" BIGINT NOT NULL DEFAULT 0,
    "outputTokens" BIGINT NOT NULL DEFAULT 0,
    "costUsd" DOUBLE PRECISION NOT NULL DEFAULT 0,

    CONSTRAINT "UsageDailyUser_pkey" PRIMARY KEY ("projectId","day","endUser")
);

-- AddForeignKey
ALTER TABLE "UsageDailyUser" ADD CONSTRAINT "UsageDailyUser_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Data: per-user days from the old rows.
INSERT INTO "UsageDailyUser" ("projectId", "day", "endUser", "requests", "errors", "unpricedRequests", "inputTokens", "outputTokens", "costUsd")
SELECT "projectId", to_timestamp(floor(extract(epoch FROM "hour") / 86400) * 86400), "endUser",
       sum("requests"), sum("errors"), sum("unpricedRequests"), sum("inputTokens"), sum("outputTokens"), sum("costUsd")
  FROM "UsageHourly"
 GROUP BY 1, 2, 3;

-- Data: the old rows summed over users, element-wise for the latency histogram.
CREATE TEMPORARY TABLE "UsageHourlyMerged" ON COMMIT DROP AS
SELECT "projectId", "hour", "model", "feature",
       sum("requests")::int AS "requests", sum("errors")::int AS "errors", sum("unpricedRequests")::int AS "unpricedRequests",
       sum("inputTokens")::bigint AS "inputTokens", sum("outputTokens")::bigint AS "outputTokens",
       sum("cachedInputTokens")::bigint AS "cachedInputTokens", sum("costUsd") AS "costUsd",
       sum("latencySumMs")::bigint AS "latencySumMs", sum("latencyCount")::int AS "latencyCount",
       (SELECT coalesce(array_agg(s ORDER BY i), '{}')
          FROM (SELECT b.i, sum(b.n)::int AS s
                  FROM "UsageHourly" u2, unnest(u2."latencyBuckets") WITH ORDINALITY AS b(n, i)
                 WHERE u2."projectId" = u."projectId" AND u2."hour" = u."hour" AND u2."model" = u."model" AND u2."feature" = u."feature"
                 GROUP BY b.i) per_bucket) AS "latencyBuckets"
  FROM "UsageHourly" u
 GROUP BY 1, 2, 3, 4;

DELETE FROM "UsageHourly";

-- AlterTable
ALTER TABLE "UsageHourly" DROP CONSTRAINT "UsageHourly_pkey",
DROP COLUMN "endUser",
ADD CONSTRAINT "UsageHourly_pkey" PRIMARY KEY ("projectId", "hour", "model", "feature");

INSERT INTO "UsageHourly" ("projectId", "hour", "model", "feature", "requests", "errors", "unpricedRequests", "inputTokens",
       "outputTokens", "cachedInputTokens", "costUsd", "latencySumMs", "latencyCount", "latencyBuckets")
SELECT "projectId", "hour", "model", "feature", "requests", "errors", "unpricedRequests", "inputTokens",
       "outputTokens", "cachedInputTokens", "costUsd", "latencySumMs", "latencyCount", "latencyBuckets"
  FROM "UsageHourlyMerged";
