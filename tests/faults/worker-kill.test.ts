// Fault: the worker process dies (SIGKILL) in the middle of an analysis. `npm run worker`
// (workers/index.ts) runs as a child on a Redis and a Postgres of this test's own. To kill it at a known
// point mid-analysis, the test holds a SHARE lock on "Finding": the worker loads the calls and computes
// the whole analysis, then blocks inside the transaction that stores its findings — and is killed there.
// A second worker process must pick the stalled job up, and the run must end complete and not duplicated:
// one succeeded run, the killed attempt's writes rolled back, findings exactly those of a clean run.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { runBatchAnalysis } from "../../lib/analysis/batch/job";
import { createAnalysisRun } from "../../lib/analysis/runs";
import { startAnalysisRun } from "../../lib/analysis/schedule";
import { closeDb, db } from "../../lib/db/client";
import { loadDemoData } from "../../lib/demo/load";
import { bullQueue, closeBullQueues } from "../../lib/queue/bullmq";
import { missingFaultBinaries, startOwnPostgres, startOwnRedis, startWorkerProcess, type OwnPostgres, type OwnRedis, type WorkerProcess } from "./support/services";

const missing = missingFaultBinaries();
if (missing) console.warn(`[faults] skipping the worker kill test: ${missing}`);

let pgServer: OwnPostgres | undefined;
let redis: OwnRedis | undefined;
let databaseUrl = "";
const workers: WorkerProcess[] = [];
let project = { projectId: "", organizationId: "" };

beforeAll(async () => {
  if (missing) return;
  [pgServer, redis] = await Promise.all([startOwnPostgres(), startOwnRedis()]);
  databaseUrl = await pgServer.migratedDatabase();
  process.env.DATABASE_URL = databaseUrl;
  process.env.REDIS_URL = redis.url;
  process.env.SPENDLENS_QUEUE_PREFIX = "sl-fault-kill";
  const org = await db.organization.create({ data: { name: "Kill test", slug: `kill-${Date.now()}` } });
  const p = await db.project.create({ data: { organizationId: org.id, name: "Demo", slug: "demo" } });
  project = { projectId: p.id, organizationId: org.id };
  // Demo traffic ending well in the past: the worker's daily tick finds no recent project to analyse.
  await loadDemoData(project, { count: 3_000, seed: 21, end: new Date("2026-10-01T00:00:00Z") });
}, 240_000);

afterAll(async () => {
  for (const w of workers) await w.kill("SIGKILL").catch(() => {});
  await closeBullQueues();
  await closeDb();
  await redis?.destroy();
  await pgServer?.destroy();
  delete process.env.REDIS_URL;
}, 120_000);

async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs: number, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

const findingKey = (f: { lever: string; title: string; monthlySavingsUsd: number }) => `${f.lever}|${f.title}|${f.monthlySavingsUsd.toFixed(6)}`;

describe("worker killed mid-analysis", () => {
  it.skipIf(!!missing)(
    "is retried by a second worker process; the run ends succeeded once, with the findings of a clean run",
    async () => {
      const env = { DATABASE_URL: databaseUrl, REDIS_URL: redis!.url, SPENDLENS_QUEUE_PREFIX: "sl-fault-kill", WORKER_CONCURRENCY: "1" };
      const first = startWorkerProcess(env);
      workers.push(first);
      await first.ready;

      // Hold the findings table: the worker will compute everything and then wait to store it.
      const locker = new pg.Client({ connectionString: databaseUrl });
      locker.on("error", () => {});
      await locker.connect();
      await locker.query("BEGIN");
      await locker.query('LOCK TABLE "Finding" IN SHARE MODE');

      const run = await startAnalysisRun(project.projectId, "batch");
      const blocked = await waitFor(
        "the worker to block while storing the run's findings",
        async () => {
          // Not on `locker`: inside its transaction pg_stat_activity is a snapshot frozen at first use.
          const rows = await db.$queryRaw<{ pid: number; query: string }[]>`
            SELECT a.pid, a.query FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE NOT l.granted AND l.relation = '"Finding"'::regclass AND a.datname = current_database()`;
          return rows[0];
        },
        120_000,
      ).catch(async (err) => {
        const r = await db.analysisRun.findUnique({ where: { id: run.id } });
        const activity = await db.$queryRaw`SELECT pid, state, wait_event_type, wait_event, left(query, 200) AS query FROM pg_stat_activity WHERE datname = current_database()`;
        throw new Error(`${(err as Error).message}; run ${JSON.stringify(r)}; sessions ${JSON.stringify(activity)}; worker output:\n${first.output().slice(-3000)}`);
      });
      const mid = await db.analysisRun.findUniqueOrThrow({ where: { id: run.id } });
      expect(mid.status).toBe("running");
      expect(mid.progress).toBeGreaterThan(0); // it loaded and analysed the calls before it blocked

      await first.kill("SIGKILL");
      await locker.query("COMMIT");
      await locker.end();
      // The killed worker's open transaction dies with its connection: nothing of it is stored.
      await waitFor(
        "the killed worker's backend to go",
        async () => (await db.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = ${blocked.pid}`)[0].n === 0,
        30_000,
      );
      expect(await db.finding.count({ where: { runId: run.id } })).toBe(0);
      expect((await db.analysisRun.findUniqueOrThrow({ where: { id: run.id } })).status).toBe("running");

      // A second worker process finds the job stalled (its lock expired with the dead worker) and reruns it.
      const killedAt = Date.now();
      const second = startWorkerProcess(env);
      workers.push(second);
      await second.ready;
      const done = await waitFor(
        "the run to finish on the second worker",
        async () => {
          const r = await db.analysisRun.findUniqueOrThrow({ where: { id: run.id } });
          return r.status === "succeeded" || r.status === "failed" ? r : null;
        },
        150_000,
        250,
      );
      expect(done.error).toBeNull();
      expect(done.status).toBe("succeeded");
      expect(done.progress).toBe(1);

      // The run row commits just before the worker reports the job done to Redis.
      const job = await waitFor(
        "the job to be marked completed",
        async () => {
          const j = await bullQueue("analysis").getJob(`analysis_${run.id}`);
          return j && (await j.getState()) === "completed" ? j : null;
        },
        30_000,
      );
      expect(job!.stalledCounter).toBe(1); // recovered from the dead worker once
      expect(job!.attemptsStarted).toBe(2);
      expect(job!.returnvalue).toEqual({ runId: run.id });

      // Complete and not duplicated: the same findings as a clean run over the same calls, once.
      const retried = await db.finding.findMany({ where: { runId: run.id } });
      const reference = await createAnalysisRun(project.projectId, "batch");
      await runBatchAnalysis({ projectId: project.projectId, runId: reference.id });
      const clean = await db.finding.findMany({ where: { runId: reference.id } });
      expect(clean.length).toBeGreaterThan(0);
      expect(retried.map(findingKey).sort()).toEqual(clean.map(findingKey).sort());
      const runs = await db.analysisRun.findMany({ where: { projectId: project.projectId } });
      expect(runs.map((r) => r.status)).toEqual(["succeeded", "succeeded"]);
      expect(await db.finding.count({ where: { projectId: project.projectId } })).toBe(2 * clean.length);
      console.log(
        `[faults] worker kill: run ${run.id} blocked mid-store, worker ${first.pid} SIGKILLed, retried by worker ${second.pid} in ${((Date.now() - killedAt) / 1000).toFixed(1)} s; ${retried.length} findings = clean run's ${clean.length}`,
      );
    },
    300_000,
  );
});
