// Queue name -> handler. The same map serves BullMQ workers (workers/index.ts) and the in-process
// runner started by `npm start` when there is no Redis.
import type { JobHandler, QueueName } from "../lib/queue/types";
import { handleAlerts, type AlertsJob } from "./alerts";
import { handleAnalysis, type AnalysisJob } from "./analysis";
import { handleBackfill, type BackfillJobData } from "./backfill";
import { handleDemo, type DemoLoadJob } from "./demo";
import { handleReports, type ReportsJob } from "./reports";

export const handlers: Partial<Record<QueueName, JobHandler>> = {
  analysis: (data, ctx) => handleAnalysis(data as AnalysisJob, ctx),
  backfill: (data, ctx) => handleBackfill(data as BackfillJobData, ctx),
  reports: (data, ctx) => handleReports(data as ReportsJob, ctx),
  alerts: (data, ctx) => handleAlerts(data as AlertsJob, ctx),
  demo: (data, ctx) => handleDemo(data as DemoLoadJob, ctx),
};
