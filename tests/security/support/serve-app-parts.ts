// Child process for tests/security/secret-logs.test.ts: the parts of `npm start` that handle secrets, in
// one process whose stdout/stderr the test captures — the ingest API (handleIngestRequest on node:http),
// the proxy (startProxyServer) and the in-process job runner with the production handlers, logging to the
// console as scripts/start.ts does. Prints one JSON line with its URLs, stops cleanly on SIGTERM.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { closeDb } from "../../../lib/db/client";
import { handleIngestRequest } from "../../../lib/ingest/http";
import { toNodeListener } from "../../../lib/ingest/node-http";
import { startProxyServer } from "../../../lib/proxy/server";
import { startInProcessRunner } from "../../../lib/queue/inprocess";
import { handlers } from "../../../workers/registry";

const log = (line: string) => console.log(`[spendlens] ${line}`);

const ingest = http.createServer(toNodeListener(handleIngestRequest));
await new Promise<void>((resolve) => ingest.listen(0, "127.0.0.1", resolve));
const proxy = await startProxyServer({ port: 0, host: "127.0.0.1" });
const runner = startInProcessRunner({ handlers, log, pollMs: 100 });

console.log(JSON.stringify({ ready: true, ingest: `http://127.0.0.1:${(ingest.address() as AddressInfo).port}`, proxy: `http://127.0.0.1:${proxy.port}` }));

process.once("SIGTERM", () => {
  void (async () => {
    await runner.stop();
    await proxy.close(2_000);
    ingest.closeAllConnections();
    await new Promise<void>((resolve) => ingest.close(() => resolve()));
    await closeDb();
    process.exit(0);
  })();
});
