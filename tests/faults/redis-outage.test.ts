// Fault: Redis (the BullMQ queue) dies for 10 s. `npm run worker` (workers/index.ts) runs as a child on a
// Redis of this test's own (append-only file, as a production queue must have), and the SDK keeps sending
// demo traffic through the real ingest handler. Ingest must not notice (it never needs Redis); a job that
// was queued before the crash must survive it and run; a run started during the outage must be queued
// once Redis is back and run; the worker process must ride out the outage without crashing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAnalysisRun } from "../../lib/analysis/runs";
import { startAnalysisRun } from "../../lib/analysis/schedule";
import { db, getPool } from "../../lib/db/client";
import { useTestDatabase } from "../../lib/db/testing";
import { loadDemoData } from "../../lib/demo/load";
import { resetIngestRateLimits } from "../../lib/ingest/rate-limit";
import { createProjectWithKey, type ProjectFixture } from "../../lib/ingest/test-fixtures";
import { closeBullQueues } from "../../lib/queue/bullmq";
import { enqueue } from "../../lib/queue/enqueue";
import { startRecordingIngestServer, startSdkLoad, type RecordingIngestServer } from "./support/ingest-load";
import { missingFaultBinaries, startOwnRedis, startWorkerProcess, type OwnRedis, type WorkerProcess } from "./support/services";

const missing = missingFaultBinaries();
if (missing) console.warn(`[faults] skipping the Redis outage test: ${missing}`);

const database = useTestDatabase();
const OUTAGE_MS = 10_000;
const PREFIX = "sl-fault-redis";
// Demo traffic ends in the past: the worker's own daily analysis tick finds no recent project.
const PAST = new Date("2026-10-01T00:00:00Z");

let redis: OwnRedis | undefined;
let worker: WorkerProcess | undefined;
let ingest: RecordingIngestServer | undefined;
let analysed = { projectId: "", organizationId: "" };
let ingested: ProjectFixture;

beforeAll(async () => {
  if (missing) return;
  redis = await startOwnRedis({ persistent: true });
  process.env.REDIS_URL = redis.url;
  process.env.SPENDLENS_QUEUE_PREFIX = PREFIX;
  process.env.INGEST_RATE_LIMIT_EVENTS_PER_SEC = "1000000";
  resetIngestRateLimits();
  const org = await db.organization.create({ data: { name: "Redis outage", slug: `redis-outage-${Date.now()}` } });
  const p = await db.project.create({ data: { organizationId: org.id, name: "Analysed", slug: "analysed" } });
  analysed = { projectId: p.id, organizationId: org.id };
  await loadDemoData(analysed, { count: 1_500, seed: 33, end: PAST });
  ingested = await createProjectWithKey("redis-outage");
  ingest = await startRecordingIngestServer();
  worker = startWorkerProcess({ DATABASE_URL: database.url(), REDIS_URL: redis.url, SPENDLENS_QUEUE_PREFIX: PREFIX, WORKER_CONCURRENCY: "1" });
  await worker.ready;
}, 240_000);

afterAll(async () => {
  await worker?.kill("SIGKILL");
  await ingest?.close();
  await closeBullQueues();
  await redis?.destroy();
  delete process.env.REDIS_URL;
}, 120_000);

async function runFinished(runId: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await db.analysisRun.findUniqueOrThrow({ where: { id: runId } });
    if (run.status === "succeeded" || run.status === "failed") return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${run.status} after ${timeoutMs} ms; worker output:\n${worker!.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe("Redis outage", () => {
  it.skipIf(!!missing)(
    "ingest keeps accepting; a job queued before the crash and one started during it both run once Redis is back",
    async () => {
      const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
      // The queue works before the outage.
      const warmup = await startAnalysisRun(analysed.projectId, "batch");
      expect((await runFinished(warmup.id, 120_000)).status).toBe("succeeded");

      const load = startSdkLoad({ apiKey: ingested.key, baseUrl: ingest!.url, perTick: 20, tickMs: 100, total: 3_000, seed: 4242, end: PAST });
      await sleep(1_500);

      // Queued, not yet due: it sits in Redis through the crash.
      const before = await createAnalysisRun(analysed.projectId, "batch");
      await enqueue("analysis", "batch", { projectId: analysed.projectId, runId: before.id, kind: "batch" }, { dedupeKey: `analysis:${before.id}`, delayMs: OUTAGE_MS + 2_000 });

      await redis!.stop("SIGKILL");
      const downAt = Date.now();
      // "Run now" while Redis is down: the run row exists at once; its job is queued when Redis returns.
      let duringSettled = false;
      const during = startAnalysisRun(analysed.projectId, "batch").finally(() => {
        duringSettled = true;
      });
      await sleep(OUTAGE_MS);
      expect(duringSettled, "the enqueue waits for Redis rather than failing").toBe(false);
      const upAt = Date.now();
      await redis!.start();

      const duringRun = await during;
      const [beforeDone, duringDone] = await Promise.all([runFinished(before.id, 150_000), runFinished(duringRun.id, 150_000)]);
      expect(beforeDone.error).toBeNull();
      expect(beforeDone.status).toBe("succeeded");
      expect(duringDone.error).toBeNull();
      expect(duringDone.status).toBe("succeeded");
      // Each run produced its findings once.
      const counts = await Promise.all([warmup.id, before.id, duringRun.id].map((runId) => db.finding.count({ where: { runId } })));
      expect(counts[0]).toBeGreaterThan(0);
      expect(counts).toEqual([counts[0], counts[0], counts[0]]);

      const stats = await load.finish(60_000);
      // Ingest never noticed: only 200s, before, during and after; every event stored exactly once.
      const answersDuring = ingest!.answers.filter((a) => a.at > downAt && a.at < upAt);
      expect(answersDuring.length).toBeGreaterThan(5);
      expect(new Set(ingest!.answers.map((a) => a.status))).toEqual(new Set([200]));
      expect({ dropped: stats.dropped, failed: stats.failed, rejected: stats.rejected, retries: stats.retries }).toEqual({ dropped: 0, failed: 0, rejected: 0, retries: 0 });
      const { rows } = await getPool().query<{ eventId: string }>(`SELECT "eventId" FROM "Call" WHERE "projectId" = $1`, [ingested.projectId]);
      expect(rows.map((r) => r.eventId).sort()).toEqual([...load.sent].sort());

      // The worker rode it out: still running, no crash.
      expect(worker!.output()).not.toMatch(/Unhandled|uncaught|FATAL/i);
      expect(worker!.output()).toContain("[worker] listening on queues");
      const alive = await fetchWorkerAlive(worker!.pid);
      expect(alive).toBe(true);
      console.log(
        `[faults] redis outage: ${load.sent.length} events ingested (${answersDuring.length} answers while Redis was down, all 200); job queued before the crash and run started during it both succeeded, ${counts[0]} finding(s) each`,
      );
    },
    360_000,
  );
});

async function fetchWorkerAlive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
