// The one way to start background work: BullMQ when REDIS_URL is set, else the in-process queue.
import { enqueueBull } from "./bullmq";
import { enqueueInProcess } from "./inprocess";
import type { EnqueueOptions, QueueName } from "./types";

export function queueDriver(): "bullmq" | "inprocess" {
  return process.env.REDIS_URL ? "bullmq" : "inprocess";
}

export async function enqueue(queue: QueueName, name: string, data: unknown, opts: EnqueueOptions = {}): Promise<string> {
  return queueDriver() === "bullmq" ? enqueueBull(queue, name, data, opts) : enqueueInProcess(queue, name, data, opts);
}
