// Recurring jobs. Under BullMQ they are job schedulers (workers/index.ts upserts them); in-process,
// scripts/start.ts enqueues them on a timer. Their handlers are idempotent per window (weekly report per
// member and week, alerts per project/kind/window), so an extra run never sends anything twice.
import type { QueueName } from "./types";

export type Schedule = { id: string; queue: QueueName; name: string; everyMs: number; data: Record<string, unknown> };

export const SCHEDULES: Schedule[] = [
  { id: "weekly-report-tick", queue: "reports", name: "weekly-tick", everyMs: 60 * 60_000, data: { kind: "weekly-tick" } },
  { id: "analysis-daily", queue: "analysis", name: "tick", everyMs: 6 * 60 * 60_000, data: { kind: "tick" } },
  { id: "alerts-check", queue: "alerts", name: "alerts-check", everyMs: 10 * 60_000, data: {} },
];
