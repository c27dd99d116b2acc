// Queue "reports": the hourly weekly-report tick (a job scheduler) and on-demand sends.
import type { JobContext } from "../lib/queue/types";
import { sendWeeklyReport, weeklyReportTick } from "../lib/reports/send";

export type ReportsJob = { kind: "weekly-tick"; at?: string } | { kind: "weekly-send"; organizationId: string; at?: string };

export async function handleReports(data: ReportsJob, _ctx: JobContext): Promise<unknown> {
  const at = data.at ? new Date(data.at) : new Date();
  if (data.kind === "weekly-tick") return weeklyReportTick(at);
  if (data.kind === "weekly-send") return sendWeeklyReport(data.organizationId, at);
  throw new Error(`unknown reports job ${(data as { kind: string }).kind}`);
}
