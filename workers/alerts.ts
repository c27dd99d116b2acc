// Queue "alerts": the periodic budget/spike check (a job scheduler).
import { runAlertChecks } from "../lib/alerts/check";
import type { JobContext } from "../lib/queue/types";

export type AlertsJob = { at?: string; projectId?: string };

export async function handleAlerts(data: AlertsJob, _ctx: JobContext): Promise<unknown> {
  return runAlertChecks(data.at ? new Date(data.at) : new Date(), { projectId: data.projectId });
}
