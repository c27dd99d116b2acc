import { randomBytes } from "node:crypto";
import { requireProject } from "@/lib/auth/guards";
import { db } from "@/lib/db/client";
import { jsonRoute } from "@/lib/http/route";
import type { IngestEvent } from "@/lib/ingest/event";
import { writeEvents } from "@/lib/ingest/writer";

type P = { org: string; project: string };

/** One small OpenAI chat call, shaped like what the SDK or proxy would log. */
function testCallEvent(id: string, at: Date): IngestEvent {
  return {
    id,
    timestamp: at.toISOString(),
    provider: "openai",
    endpoint: "/v1/chat/completions",
    request: {
      model: "gpt-4o-mini",
      messages: [
        { role: "system", content: "You are a helpful assistant. Answer in one sentence." },
        { role: "user", content: "Say hello to Spendlens." },
      ],
    },
    response: {
      id: `chatcmpl-${id}`,
      object: "chat.completion",
      model: "gpt-4o-mini-2024-07-18",
      choices: [{ index: 0, message: { role: "assistant", content: "Hello, Spendlens! Your first call has arrived." }, finish_reason: "stop" }],
      usage: { prompt_tokens: 29, completion_tokens: 11, total_tokens: 40 },
    },
    latency_ms: 420,
    tags: { feature: "test-call" },
  };
}

/**
 * POST (MEMBER+) -> 201 { eventId, costUsd }: one test call written through the real ingest writer
 * (source "api": priced, rolled up and listed like any call), so the overview shows data at once.
 */
export const POST = jsonRoute<P>(async (req, ctx) => {
  const { org, project } = await ctx.params;
  const access = await requireProject(org, project, "MEMBER", req);
  const eventId = `test-call-${randomBytes(6).toString("hex")}`;
  const result = await writeEvents({ projectId: access.project.id, organizationId: access.organization.id, source: "api" }, [
    testCallEvent(eventId, new Date()),
  ]);
  const call = await db.call.findUnique({ where: { projectId_eventId: { projectId: access.project.id, eventId } }, select: { costUsd: true } });
  return [201, { eventId, inserted: result.inserted, costUsd: call?.costUsd ?? null }];
});
