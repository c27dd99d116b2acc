// Loads the demo project's events into a project through the real ingest writer (source "demo"), so
// prices, prompt dedup and rollups are exactly what real traffic would get.
import type { IngestEvent } from "../ingest/event";
import { writeEvents } from "../ingest/writer";
import { generateDemoEvents, type DemoOptions } from "./generate";

export async function loadDemoData(
  target: { projectId: string; organizationId: string },
  opts: DemoOptions & { onProgress?: (done: number, total: number) => void | Promise<void> } = {},
): Promise<{ inserted: number; duplicates: number }> {
  const total = opts.count ?? 5_000;
  let batch: IngestEvent[] = [];
  let inserted = 0;
  let duplicates = 0;
  const flush = async () => {
    const r = await writeEvents({ ...target, source: "demo" }, batch);
    inserted += r.inserted;
    duplicates += r.duplicates;
    batch = [];
    // Awaited, so a progress write lands before the next batch (and before the caller records the end).
    await opts.onProgress?.(inserted + duplicates, total);
  };
  for (const e of generateDemoEvents({ ...opts, count: total })) {
    batch.push(e);
    if (batch.length >= 500) await flush();
  }
  if (batch.length) await flush();
  return { inserted, duplicates };
}
