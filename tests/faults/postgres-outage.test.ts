// Fault: PostgreSQL goes away for 10 s in the middle of a steady ingest load. The SDK's beacon sends
// realistic demo traffic through the real ingest handler (on node:http) into a Postgres cluster of this
// test's own, which is stopped for real (pg_ctl stop -m fast) and started again. Meanwhile the API must
// answer 503 + Retry-After (never 500), the SDK must buffer and retry, and afterwards the database must
// hold every event exactly once (and the hourly rollup must count each once) — even though the answer
// to the first batch after the restart is lost on its way back and the SDK sends it again.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDb, getPool } from "../../lib/db/client";
import { generateDemoEvents } from "../../lib/demo/generate";
import type { SpendlensStats } from "../../sdk/src/index";
import { resetIngestRateLimits } from "../../lib/ingest/rate-limit";
import { createProjectWithKey, type ProjectFixture } from "../../lib/ingest/test-fixtures";
import { startRecordingIngestServer, startSdkLoad, type RecordingIngestServer } from "./support/ingest-load";
import { missingFaultBinaries, startOwnPostgres, type OwnPostgres } from "./support/services";

const missing = missingFaultBinaries();
if (missing) console.warn(`[faults] skipping the Postgres outage test: ${missing}`);

const OUTAGE_MS = 10_000;

let pg: OwnPostgres | undefined;
let ingest: RecordingIngestServer | undefined;
let project: ProjectFixture;

beforeAll(async () => {
  if (missing) return;
  pg = await startOwnPostgres();
  process.env.DATABASE_URL = await pg.migratedDatabase();
  process.env.DATABASE_CONNECT_TIMEOUT_MS = "2000";
  process.env.INGEST_RATE_LIMIT_EVENTS_PER_SEC = "1000000";
  resetIngestRateLimits();
  project = await createProjectWithKey("pg-outage");
  ingest = await startRecordingIngestServer();
}, 120_000);

afterAll(async () => {
  await ingest?.close();
  await closeDb();
  await pg?.destroy();
}, 120_000);

describe("Postgres outage during steady ingest", () => {
  it.skipIf(!!missing)(
    `answers 503 while the database is down ${OUTAGE_MS / 1000} s, and afterwards holds every event exactly once`,
    async () => {
      // 200 demo events a second through the SDK's beacon.
      const load = startSdkLoad({ apiKey: project.key, baseUrl: ingest!.url, perTick: 20, tickMs: 100, total: 4_000, seed: 9101, end: new Date() });
      const { sent, errors } = load;
      const events = [...generateDemoEvents({ count: 10, seed: 9102, end: new Date() })];
      const baseUrl = ingest!.url;
      const answers = ingest!.answers;
      const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

      // Steady state first: traffic is flowing into the database.
      await sleep(3_000);
      const before = await getPool().query<{ n: number }>(`SELECT count(*)::int AS n FROM "Call" WHERE "projectId" = $1`, [project.projectId]);
      expect(before.rows[0].n).toBeGreaterThan(0);

      await pg!.stop();
      const downAt = Date.now(); // shutdown complete: from here on nothing can be written
      // Probe the API directly once a second while it is down (the SDK paces itself by Retry-After).
      const probes: Array<{ status: number; ms: number }> = [];
      let midOutage: SpendlensStats | null = null;
      for (let i = 0; i < OUTAGE_MS / 1000; i++) {
        const t0 = Date.now();
        const probe = { ...events[i], id: `probe-${i}` };
        const res = await fetch(`${baseUrl}/api/v1/ingest`, {
          method: "POST",
          headers: { authorization: `Bearer ${project.key}`, "content-type": "application/json" },
          body: JSON.stringify({ events: [probe] }),
        });
        probes.push({ status: res.status, ms: Date.now() - t0 });
        await res.arrayBuffer();
        if (i === 5) midOutage = load.sdk.stats();
        await sleep(Math.max(0, downAt + (i + 1) * 1000 - Date.now()));
      }
      const upAt = Date.now(); // the restart begins: answers from here on may succeed again
      await pg!.start();
      // The first batch after the restart is stored but its answer is lost: the SDK resends the same ids.
      ingest!.loseNextAnswer();
      await sleep(2_000);

      // Everything queued in the SDK drains once the database is back.
      const stats = await load.finish(60_000);

      // While down: every probe was answered 503 promptly (no hang), and the SDK held its events.
      expect(probes.map((p) => p.status)).toEqual(probes.map(() => 503));
      expect(Math.max(...probes.map((p) => p.ms))).toBeLessThan(5_000);
      expect(midOutage!.queued).toBeGreaterThan(0);
      expect(midOutage!.lastStatus).toBe(503);

      const during = answers.filter((a) => a.at > downAt && a.at < upAt);
      expect(during.length).toBeGreaterThanOrEqual(probes.length);
      expect(during.filter((a) => a.status !== 503), "every answer while down is a 503").toEqual([]);
      expect(answers.filter((a) => a.status === 500), "no 500 at any time").toEqual([]);
      for (const a of answers.filter((x) => x.status === 503)) expect(a.retryAfter).toMatch(/^\d+$/);
      expect(new Set(answers.map((a) => a.status))).toEqual(new Set([200, 503]));

      expect(stats.retries).toBeGreaterThan(0);
      expect(stats.duplicates, "the resent batch was recognised, not stored twice").toBeGreaterThan(0);
      expect({ dropped: stats.dropped, failed: stats.failed, rejected: stats.rejected, queued: stats.queued }).toEqual({ dropped: 0, failed: 0, rejected: 0, queued: 0 });
      expect(stats.accepted + stats.duplicates).toBe(sent.length);
      expect(errors.every((e) => e.kind === "server" || e.kind === "network")).toBe(true);

      // Exactly once: the stored ids are the sent ids, no more, no fewer.
      const { rows } = await getPool().query<{ eventId: string }>(`SELECT "eventId" FROM "Call" WHERE "projectId" = $1`, [project.projectId]);
      const stored = rows.map((r) => r.eventId);
      expect(stored.length).toBe(sent.length);
      expect(new Set(stored).size).toBe(stored.length);
      expect([...stored].sort()).toEqual([...sent].sort());
      // The rollup counted each call once, even for batches that were sent twice.
      const rollup = await getPool().query<{ n: string }>(`SELECT coalesce(sum(requests), 0)::text AS n FROM "UsageHourly" WHERE "projectId" = $1`, [project.projectId]);
      expect(Number(rollup.rows[0].n)).toBe(sent.length);
      expect(stored.some((id) => id.startsWith("probe-"))).toBe(false);
      console.log(
        `[faults] postgres outage: ${sent.length} events sent, ${stored.length} stored once; ${during.length} answers while down (${during.filter((a) => a.status === 503).length} x 503, slowest probe ${Math.max(...probes.map((p) => p.ms))} ms), ${midOutage!.queued} events buffered mid-outage, ${stats.retries} SDK retries, ${stats.duplicates} duplicates absorbed`,
      );
    },
    180_000,
  );
});
