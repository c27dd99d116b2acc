// Queue name -> handler. The same map serves BullMQ workers (workers/index.ts) and the in-process
// runner started by `npm start` when there is no Redis.
import type { JobHandler, QueueName } from "../lib/queue/types";
import { handleAnalysis, type AnalysisJob } from "./analysis";

export const handlers: Partial<Record<QueueName, JobHandler>> = {
  analysis: (data, ctx) => handleAnalysis(data as AnalysisJob, ctx),
};
