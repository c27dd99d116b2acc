// A loopback stand-in for POST /api/v1/ingest, for beacon unit tests: it stores events by id (so a
// duplicate shows), can fail, answer slowly, ask to retry later, or stop listening altogether.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";

type Json = Record<string, any>;

export type IngestRequest = { at: number; headers: http.IncomingHttpHeaders; rawBytes: number; ids: string[] };

export type Reply =
  | { kind: "ok" }
  | { kind: "status"; status: number; retryAfter?: string; body?: unknown }
  /** Read the body, then drop the connection without answering. */
  | { kind: "hangup" }
  /** Store the events, then drop the connection: the client cannot know they arrived. */
  | { kind: "stored-no-answer" };

export type FakeIngest = {
  url: string;
  /** Every event by id; `deliveries` counts how often each id arrived. */
  events: Map<string, Json>;
  deliveries: Map<string, number>;
  requests: IngestRequest[];
  /** Replies for the next requests, in order; when empty, requests succeed. */
  script: Reply[];
  /** Delay before answering (ms). */
  delayMs: number;
  /** Stop accepting connections (connection refused) / start again on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
};

export async function startFakeIngest(): Promise<FakeIngest> {
  const events = new Map<string, Json>();
  const deliveries = new Map<string, number>();
  const requests: IngestRequest[] = [];
  const state: { script: Reply[]; delayMs: number } = { script: [], delayMs: 0 };

  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let raw = Buffer.concat(chunks);
    const rawBytes = raw.length;
    if (req.headers["content-encoding"] === "gzip") raw = gunzipSync(raw);
    const payload = JSON.parse(raw.toString("utf8")) as { events: Json[] };
    const ids = payload.events.map((e) => String(e.id));
    requests.push({ at: Date.now(), headers: req.headers, rawBytes, ids });
    if (state.delayMs) await new Promise((r) => setTimeout(r, state.delayMs));
    const reply = state.script.shift() ?? { kind: "ok" };
    if (reply.kind === "hangup") {
      req.socket.destroy();
      return;
    }
    if (reply.kind === "status") {
      res.writeHead(reply.status, { "content-type": "application/json", ...(reply.retryAfter ? { "retry-after": reply.retryAfter } : {}) });
      res.end(JSON.stringify(reply.body ?? { error: `status ${reply.status}` }));
      return;
    }
    let duplicates = 0;
    for (const e of payload.events) {
      const n = deliveries.get(e.id) ?? 0;
      if (n > 0) duplicates++;
      deliveries.set(e.id, n + 1);
      events.set(e.id, e);
    }
    if (reply.kind === "stored-no-answer") {
      req.socket.destroy();
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ accepted: payload.events.length - duplicates, duplicates, rejected: [] }));
  });
  server.keepAliveTimeout = 500;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  let listening = true;

  return {
    url: `http://127.0.0.1:${port}`,
    events,
    deliveries,
    requests,
    get script() {
      return state.script;
    },
    set script(s: Reply[]) {
      state.script = s;
    },
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(ms: number) {
      state.delayMs = ms;
    },
    async stop() {
      if (!listening) return;
      listening = false;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    async start() {
      if (listening) return;
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, "127.0.0.1", () => {
          server.off("error", reject);
          resolve();
        });
      });
      listening = true;
    },
    async close() {
      if (!listening) return;
      listening = false;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
