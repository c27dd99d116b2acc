// Test helpers for anything that sends events (ingest, OTLP, SDK, proxy tests): a project with a key in
// the test database, and a handler mounted on node:http on a loopback port.
import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createApiKey } from "../auth/api-keys";
import { db } from "../db/client";
import type { IngestEvent } from "./event";
import { toNodeListener, type FetchHandler } from "./node-http";

export type ProjectFixture = { organizationId: string; projectId: string; key: string; keyId: string };

/** A new organization + project + project API key (call inside a file that uses useTestDatabase()). */
export async function createProjectWithKey(label = "p"): Promise<ProjectFixture> {
  const suffix = randomBytes(4).toString("hex");
  const org = await db.organization.create({ data: { name: `Org ${label}`, slug: `org-${label}-${suffix}` } });
  const project = await db.project.create({ data: { organizationId: org.id, name: `Project ${label}`, slug: `${label}-${suffix}` } });
  const { key, apiKey } = await createApiKey({ projectId: project.id, name: "test" });
  return { organizationId: org.id, projectId: project.id, key, keyId: apiKey.id };
}

/** Serve `handler` on 127.0.0.1:<ephemeral>; close() when done. */
export async function serveOnLoopback(handler: FetchHandler): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer(toNodeListener(handler));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A realistic OpenAI chat completion event (override any field). */
export function openAIChatEvent(overrides: Partial<IngestEvent> & { id: string }): IngestEvent {
  return {
    timestamp: new Date(Date.UTC(2026, 11, 1, 10, 15)).toISOString(),
    provider: "openai",
    endpoint: "/v1/chat/completions",
    request: {
      model: "gpt-4o-mini",
      messages: [
        { role: "system", content: "You are a support assistant for a bank. Answer briefly and politely, and never invent fees." },
        { role: "user", content: "How do I top up my card with a bank transfer?" },
      ],
      temperature: 0.2,
    },
    response: {
      id: "chatcmpl-1",
      object: "chat.completion",
      created: 1764584100,
      model: "gpt-4o-mini-2024-07-18",
      choices: [{ index: 0, message: { role: "assistant", content: "Open the app, choose Top up, then Bank transfer." }, finish_reason: "stop" }],
      usage: { prompt_tokens: 48, completion_tokens: 12, total_tokens: 60, prompt_tokens_details: { cached_tokens: 0 } },
    },
    latency_ms: 640,
    tags: { feature: "support", user: "u-1" },
    ...overrides,
  };
}
