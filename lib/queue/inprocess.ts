// In-process driver (embedded default, no Redis): jobs are rows in the "Job" table, claimed with
// FOR UPDATE SKIP LOCKED and run by the same handlers as BullMQ. Rows survive a restart.
import { randomUUID } from "node:crypto";
import { Prisma } from "../db/generated/client";
import { db, getPool } from "../db/client";
import type { EnqueueOptions, JobHandler, QueueName } from "./types";

export async function enqueueInProcess(queue: QueueName, name: string, data: unknown, opts: EnqueueOptions = {}): Promise<string> {
  try {
    const job = await db.job.create({
      data: {
        queue,
        name,
        data: data as Prisma.InputJsonValue,
        maxAttempts: opts.attempts ?? 3,
        runAt: new Date(Date.now() + (opts.delayMs ?? 0)),
        dedupeKey: opts.dedupeKey ?? null,
      },
    });
    return job.id;
  } catch (err) {
    // Same dedupe key still waiting or active: that job stands for this one.
    if (opts.dedupeKey && (err as { code?: string }).code === "P2002") {
      const existing = await db.job.findUnique({ where: { dedupeKey: opts.dedupeKey } });
      if (existing) return existing.id;
    }
    throw err;
  }
}

type ClaimedJob = { id: string; queue: string; name: string; data: unknown; attempts: number; maxAttempts: number };

async function claim(queues: string[], owner: string): Promise<ClaimedJob | null> {
  const { rows } = await getPool().query<ClaimedJob>(
    `UPDATE "Job" SET status = 'active', "lockedAt" = now(), "lockedBy" = $2, attempts = attempts + 1
     WHERE id = (SELECT id FROM "Job" WHERE status = 'waiting' AND "runAt" <= now() AND queue = ANY($1)
                 ORDER BY "runAt" LIMIT 1 FOR UPDATE SKIP LOCKED)
     RETURNING id, queue, name, data, attempts, "maxAttempts"`,
    [queues, owner],
  );
  return rows[0] ?? null;
}

export type InProcessRunner = { stop(): Promise<void>; idle(): Promise<void> };

/**
 * Polls for jobs and runs them, `concurrency` at a time. Jobs left "active" by a process that died
 * (lockedAt older than `staleAfterMs`) go back to waiting, so they are retried rather than lost.
 */
export function startInProcessRunner(opts: {
  handlers: Partial<Record<QueueName, JobHandler>>;
  concurrency?: number;
  pollMs?: number;
  staleAfterMs?: number;
  log?: (line: string) => void;
}): InProcessRunner {
  const owner = `inproc-${process.pid}-${randomUUID().slice(0, 8)}`;
  const queues = Object.keys(opts.handlers);
  const concurrency = opts.concurrency ?? 2;
  const pollMs = opts.pollMs ?? 500;
  const staleAfterMs = opts.staleAfterMs ?? 15 * 60_000;
  let running = 0;
  let stopped = false;
  const inflight = new Set<Promise<void>>();
  let timer: NodeJS.Timeout | undefined;

  async function recoverStale() {
    await getPool().query(
      `UPDATE "Job" SET status = 'waiting', "lockedAt" = NULL, "lockedBy" = NULL
       WHERE status = 'active' AND "lockedAt" < now() - ($1::int * interval '1 millisecond')`,
      [staleAfterMs],
    );
  }

  async function runOne(job: ClaimedJob) {
    const handler = opts.handlers[job.queue as QueueName];
    try {
      if (!handler) throw new Error(`no handler for queue ${job.queue}`);
      const result = await handler(job.data, {
        jobId: job.id,
        attempt: job.attempts,
        progress: async () => {},
      });
      await db.job.update({
        where: { id: job.id },
        data: { status: "completed", finishedAt: new Date(), dedupeKey: null, result: (result ?? null) as Prisma.InputJsonValue },
      });
    } catch (err) {
      const message = (err as Error).message ?? String(err);
      const retry = job.attempts < job.maxAttempts;
      opts.log?.(`[jobs] ${job.queue}/${job.name} attempt ${job.attempts} failed: ${message}${retry ? " (will retry)" : ""}`);
      await db.job
        .update({
          where: { id: job.id },
          data: retry
            ? { status: "waiting", lockedAt: null, lockedBy: null, lastError: message, runAt: new Date(Date.now() + 2000 * 2 ** (job.attempts - 1)) }
            : { status: "failed", finishedAt: new Date(), lastError: message, dedupeKey: null },
        })
        .catch(() => {});
    }
  }

  async function tick() {
    if (stopped) return;
    try {
      while (!stopped && running < concurrency) {
        const job = await claim(queues, owner);
        if (!job) break;
        running++;
        const p = runOne(job).finally(() => {
          running--;
          inflight.delete(p);
        });
        inflight.add(p);
      }
    } catch (err) {
      opts.log?.(`[jobs] poll failed: ${(err as Error).message}`);
    }
    if (!stopped) timer = setTimeout(tick, pollMs);
  }

  void recoverStale()
    .catch(() => {})
    .finally(() => void tick());

  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await Promise.allSettled([...inflight]);
    },
    async idle() {
      // Resolves once nothing is running and nothing runnable is waiting (tests).
      for (;;) {
        const { rows } = await getPool().query<{ n: string }>(
          `SELECT count(*) AS n FROM "Job" WHERE queue = ANY($1) AND (status = 'active' OR (status = 'waiting' AND "runAt" <= now()))`,
          [queues],
        );
        if (Number(rows[0].n) === 0 && running === 0) return;
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}
