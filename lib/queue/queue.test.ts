import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { db } from "../db/client";
import { testRedisUrl, useTestDatabase } from "../db/testing";
import { closeBullQueues, enqueueBull, startBullWorker } from "./bullmq";
import { enqueueInProcess, startInProcessRunner } from "./inprocess";
import type { JobHandler } from "./types";

useTestDatabase();

describe("in-process driver (Postgres-backed)", () => {
  it("runs jobs, retries failures with the attempt number, and records the outcome", async () => {
    const seen: Array<{ n: number; attempt: number }> = [];
    const handler: JobHandler = async (data, ctx) => {
      const { n } = data as { n: number };
      seen.push({ n, attempt: ctx.attempt });
      if (n === 2 && ctx.attempt === 1) throw new Error("transient");
      return { doubled: n * 2 };
    };
    const ids = [await enqueueInProcess("analysis", "t", { n: 1 }), await enqueueInProcess("analysis", "t", { n: 2 }, { attempts: 2 })];
    // Make the retry immediate for the test by pulling runAt back after the failure.
    const runner = startInProcessRunner({ handlers: { analysis: handler }, pollMs: 20 });
    for (let i = 0; i < 200; i++) {
      const waiting = await db.job.findFirst({ where: { id: ids[1], status: "waiting", attempts: 1 } });
      if (waiting) await db.job.update({ where: { id: ids[1] }, data: { runAt: new Date() } });
      const done = await db.job.count({ where: { id: { in: ids }, status: "completed" } });
      if (done === 2) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    await runner.stop();
    const jobs = await db.job.findMany({ where: { id: { in: ids } }, orderBy: { createdAt: "asc" } });
    expect(jobs.map((j) => j.status)).toEqual(["completed", "completed"]);
    expect(jobs[1].attempts).toBe(2);
    expect(jobs[1].lastError).toBe("transient");
    expect(jobs[1].result).toEqual({ doubled: 4 });
    expect(seen.filter((s) => s.n === 2).map((s) => s.attempt)).toEqual([1, 2]);
  });

  it("does not enqueue a second job with the same dedupe key while the first waits", async () => {
    const key = `dedupe:${randomUUID()}`;
    const a = await enqueueInProcess("reports", "weekly", { x: 1 }, { dedupeKey: key });
    const b = await enqueueInProcess("reports", "weekly", { x: 1 }, { dedupeKey: key });
    expect(b).toBe(a);
    expect(await db.job.count({ where: { dedupeKey: key } })).toBe(1);
  });

  it("gives a job left active by a dead process back to the queue", async () => {
    const id = await enqueueInProcess("backfill", "stale", {});
    await db.job.update({ where: { id }, data: { status: "active", lockedAt: new Date(Date.now() - 60 * 60_000), lockedBy: "dead", attempts: 1 } });
    let ran = 0;
    const runner = startInProcessRunner({ handlers: { backfill: async () => void ran++ }, pollMs: 20, staleAfterMs: 1000 });
    for (let i = 0; i < 100 && ran === 0; i++) await new Promise((r) => setTimeout(r, 25));
    await runner.stop();
    expect(ran).toBe(1);
    expect((await db.job.findUnique({ where: { id } }))?.status).toBe("completed");
  });
});

describe("BullMQ driver (real Redis)", () => {
  const redis = testRedisUrl();
  afterAll(async () => {
    await closeBullQueues();
  });

  it.skipIf(!redis)("runs the same handler under BullMQ with retries", async () => {
    process.env.REDIS_URL = redis;
    process.env.SPENDLENS_QUEUE_PREFIX = `sltest-${randomUUID().slice(0, 8)}`;
    const attempts: number[] = [];
    let resolveDone: (data: unknown) => void = () => {};
    const done = new Promise<unknown>((resolve) => (resolveDone = resolve));
    const worker = startBullWorker("alerts", async (data, ctx) => {
      attempts.push(ctx.attempt);
      if (ctx.attempt === 1) throw new Error("first try fails");
      resolveDone(data);
      return "ok";
    });
    // Backoff of the driver is 2 s exponential: one retry fits the test timeout.
    await enqueueBull("alerts", "t", { hello: "world" }, { attempts: 2 });
    expect(await done).toEqual({ hello: "world" });
    expect(attempts).toEqual([1, 2]);
    await worker.close();
    delete process.env.REDIS_URL;
  });
});
