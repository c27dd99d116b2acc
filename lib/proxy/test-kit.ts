// Shared set-up for the proxy's end-to-end tests: a migrated test database (useTestDatabase), an
// organization + project whose upstream override points at a loopback fake upstream that the proxy's
// allow-list admits, a real project API key, and the proxy server itself on a free port.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, expect } from "vitest";
import { createApiKey } from "../auth/api-keys";
import { db } from "../db/client";
import { useTestDatabase } from "../db/testing";
import { startFakeUpstream, type FakeUpstream } from "./fake-upstream";
import { startProxyServer, type ProxyServerOptions, type RunningProxy } from "./server";

export type ProxyTestKit = {
  upstream: FakeUpstream;
  proxy: RunningProxy;
  /** http://127.0.0.1:<proxy port> */
  proxyUrl: string;
  projectId: string;
  organizationId: string;
  /** The Spendlens project key. */
  key: string;
};

/** `options` go to the proxy server (on top of the kit's port, host, allow-list and retry delays). */
export function useProxyTestKit(options: ProxyServerOptions = {}): () => ProxyTestKit {
  useTestDatabase();
  let kit: ProxyTestKit | undefined;
  beforeAll(async () => {
    const upstream = await startFakeUpstream();
    const suffix = randomBytes(4).toString("hex");
    const org = await db.organization.create({ data: { name: "Acme", slug: `acme-${suffix}` } });
    const project = await db.project.create({
      data: { organizationId: org.id, name: "Support", slug: "support", openaiUpstream: upstream.url, anthropicUpstream: upstream.url },
    });
    const { key } = await createApiKey({ projectId: project.id, name: "proxy tests" });
    const proxy = await startProxyServer({ logRetryDelaysMs: [20, 50], ...options, port: 0, host: "127.0.0.1", allowlist: upstream.url });
    kit = { upstream, proxy, proxyUrl: `http://127.0.0.1:${proxy.port}`, projectId: project.id, organizationId: org.id, key };
  });
  afterAll(async () => {
    await kit?.proxy.close(1_000);
    await kit?.upstream.close();
  });
  return () => {
    if (!kit) throw new Error("proxy test kit used before beforeAll ran");
    return kit;
  };
}

/**
 * The calls logged for one test session tag, once the proxy's log queue has drained and at least
 * `atLeast` rows are there (calls ended by a client abort are queued when the proxy notices).
 */
export async function loggedCalls(kit: ProxyTestKit, session: string, atLeast = 1, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await kit.proxy.handler.flushLogs();
    const rows = await db.call.findMany({ where: { projectId: kit.projectId, session }, orderBy: { timestamp: "asc" } });
    if (rows.length >= atLeast || Date.now() > deadline) return rows;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** No secret may appear anywhere in a stored row. */
export function expectNoSecrets(row: unknown, secrets: string[]): void {
  const text = JSON.stringify(row);
  for (const s of secrets) expect(text.includes(s), `stored row contains a secret (${s.slice(0, 6)}...)`).toBe(false);
}
