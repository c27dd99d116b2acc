// Background jobs: the same handlers run under BullMQ (REDIS_URL set, `npm run worker`) and under
// the in-process driver (no Redis: a Postgres-backed queue polled inside `npm start`).

/** One queue per kind of work; each has one handler file in workers/. */
export const QUEUE_NAMES = ["analysis", "backfill", "replay", "reports", "alerts", "demo"] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

export type JobContext = {
  jobId: string;
  /** 1 on the first try. */
  attempt: number;
  /** Report progress (0..1) and a short message; shown in the UI for analysis runs and demo loads. */
  progress(fraction: number, message?: string): Promise<void>;
};

export type JobHandler<T = unknown> = (data: T, ctx: JobContext) => Promise<unknown>;

export type EnqueueOptions = {
  /** A second job with the same key is not added while the first is waiting or running. */
  dedupeKey?: string;
  delayMs?: number;
  attempts?: number;
};
