import { beforeAll, describe, expect, it } from "vitest";
import { useTestDatabase } from "../db/testing";
import type { IngestEvent } from "../ingest/event";
import { normaliseEvent } from "../ingest/normalise";
import { createProjectWithKey, openAIChatEvent, type ProjectFixture } from "../ingest/test-fixtures";
import { writeEvents } from "../ingest/writer";
import { eventToAnalysisCall, loadCallsForAnalysis } from "./load";

useTestDatabase();

const SYSTEM = "You route banking questions to one of 77 intents. Reply with the intent label only, lower case, no punctuation.";
let p: ProjectFixture;
let other: ProjectFixture;

function call(id: string, minute: number, user: string, feature = "intents"): IngestEvent {
  const e = openAIChatEvent({ id, timestamp: new Date(Date.UTC(2026, 11, 1, 10, minute)).toISOString(), tags: { feature, user: "u1", team: "ops" } });
  e.request = { model: "gpt-4o-mini", messages: [{ role: "system", content: SYSTEM }, { role: "user", content: user }] };
  return e;
}

beforeAll(async () => {
  p = await createProjectWithKey("load");
  other = await createProjectWithKey("load2");
  const ctx = { projectId: p.projectId, organizationId: p.organizationId, source: "sdk" as const };
  await writeEvents(ctx, [call("c3", 30, "Where is my card?"), call("c1", 10, "I lost my card"), call("c2", 20, "Fee for top up?", "fees")]);
  await writeEvents({ ...ctx, source: "replay", replayRunId: "run" }, [call("replayed", 15, "replay me")]);
  await writeEvents({ projectId: other.projectId, organizationId: other.organizationId, source: "sdk" }, [call("c1", 10, "other project")]);
});

describe("loadCallsForAnalysis", () => {
  it("returns the project's production calls oldest first, with the static prompt restored, never replays or other projects", async () => {
    const calls = await loadCallsForAnalysis(p.projectId);
    expect(calls.map((c) => c.id)).toEqual(["c1", "c2", "c3"]);
    expect(calls[0].request).toEqual(call("c1", 10, "I lost my card").request);
    expect(calls[0]).toMatchObject({ model: "gpt-4o-mini-2024-07-18", feature: "intents", endUser: "u1", tags: { feature: "intents", user: "u1", team: "ops" }, inputTokens: 48 });
    expect(calls[0].costUsd).toBeGreaterThan(0);
    expect(calls[0].timestamp).toBeInstanceOf(Date);
  });

  it("filters by time window and feature, and keeps the most recent calls under a limit", async () => {
    const since = new Date(Date.UTC(2026, 11, 1, 10, 15));
    expect((await loadCallsForAnalysis(p.projectId, { since })).map((c) => c.id)).toEqual(["c2", "c3"]);
    expect((await loadCallsForAnalysis(p.projectId, { until: since })).map((c) => c.id)).toEqual(["c1"]);
    expect((await loadCallsForAnalysis(p.projectId, { feature: "fees" })).map((c) => c.id)).toEqual(["c2"]);
    expect((await loadCallsForAnalysis(p.projectId, { limit: 2 })).map((c) => c.id)).toEqual(["c2", "c3"]);
  });
});

describe("eventToAnalysisCall", () => {
  it("builds the same AnalysisCall from an event as the database path does", async () => {
    const e = call("c1", 10, "I lost my card");
    const fromDb = (await loadCallsForAnalysis(p.projectId)).find((c) => c.id === "c1")!;
    const offline = eventToAnalysisCall(e, normaliseEvent(e), fromDb.costUsd);
    expect(offline).toEqual(fromDb);
  });
});
