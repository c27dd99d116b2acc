// `npm run worker`: BullMQ workers for every queue (production mode, REDIS_URL and DATABASE_URL set).
import { migrate } from "../lib/db/migrate";
import { closeDb, databaseUrl } from "../lib/db/client";
import { bullQueue, startBullWorker } from "../lib/queue/bullmq";
import { SCHEDULES } from "../lib/queue/schedules";
import type { QueueName } from "../lib/queue/types";
import { handlers } from "./registry";

async function main() {
  if (!process.env.REDIS_URL) {
    console.error("npm run worker needs REDIS_URL (without Redis, `npm start` runs jobs in-process).");
    process.exit(2);
  }
  await migrate(databaseUrl(), { log: (l) => console.log(`[worker] ${l}`) });
  const workers = Object.entries(handlers).map(([queue, handler]) =>
    startBullWorker(queue as QueueName, handler!, Number(process.env.WORKER_CONCURRENCY ?? 2)),
  );
  for (const s of SCHEDULES) {
    await bullQueue(s.queue).upsertJobScheduler(s.id, { every: s.everyMs }, { name: s.name, data: s.data });
  }
  console.log(`[worker] listening on queues: ${Object.keys(handlers).join(", ")}`);
  const shutdown = async () => {
    console.log("[worker] shutting down");
    await Promise.all(workers.map((w) => w.close()));
    await closeDb();
    process.exit(0);
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
