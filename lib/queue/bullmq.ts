// BullMQ driver (production: REDIS_URL set). Queues are created lazily and shared per process.
import { Queue, Worker, type ConnectionOptions } from "bullmq";
import type { EnqueueOptions, JobHandler, QueueName } from "./types";

export function redisConnection(url = process.env.REDIS_URL): ConnectionOptions {
  if (!url) throw new Error("REDIS_URL is not set");
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : undefined,
    tls: u.protocol === "rediss:" ? {} : undefined,
    // Required by BullMQ workers (blocking commands); harmless for queues.
    maxRetriesPerRequest: null,
  };
}

export function queuePrefix(): string {
  return process.env.SPENDLENS_QUEUE_PREFIX ?? "spendlens";
}

const queues = new Map<string, Queue>();

export function bullQueue(name: QueueName): Queue {
  const key = `${queuePrefix()}:${name}`;
  let q = queues.get(key);
  if (!q) {
    q = new Queue(name, { connection: redisConnection(), prefix: queuePrefix() });
    q.on("error", () => {}); // connection errors surface on add(); do not crash the process
    queues.set(key, q);
  }
  return q;
}

export async function enqueueBull(queue: QueueName, name: string, data: unknown, opts: EnqueueOptions = {}): Promise<string> {
  const job = await bullQueue(queue).add(name, data, {
    // BullMQ ignores add() of an existing job id: that is our dedupe while it is waiting/active.
    jobId: opts.dedupeKey ? opts.dedupeKey.replace(/:/g, "_") : undefined,
    attempts: opts.attempts ?? 3,
    backoff: { type: "exponential", delay: 2000 },
    delay: opts.delayMs,
    removeOnComplete: { count: 1000 },
    removeOnFail: { count: 5000 },
  });
  return job.id ?? "";
}

export function startBullWorker(queue: QueueName, handler: JobHandler, concurrency = 2): Worker {
  const worker = new Worker(
    queue,
    async (job) =>
      handler(job.data, {
        jobId: job.id ?? "",
        attempt: job.attemptsMade + 1,
        progress: async (fraction, message) => {
          await job.updateProgress({ fraction, message });
        },
      }),
    { connection: redisConnection(), prefix: queuePrefix(), concurrency },
  );
  worker.on("error", (err) => console.error(`[worker:${queue}]`, err.message));
  return worker;
}

export async function closeBullQueues(): Promise<void> {
  await Promise.all([...queues.values()].map((q) => q.close().catch(() => {})));
  queues.clear();
}
