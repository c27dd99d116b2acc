// A child process for exit.test.ts: queues events, then ends in the way EXIT_MODE says.
//   natural        - does nothing more: the event loop runs dry (beforeExit must flush, no timer may hold it)
//   sigterm        - stays alive (like a server) until SIGTERM, with no handler of its own
//   sigterm-app    - has its own SIGTERM handler that exits with code 3 after 300 ms
import { Spendlens } from "../../src/index";

const mode = process.env.EXIT_MODE ?? "natural";
const sl = new Spendlens({
  apiKey: "sl_child",
  baseUrl: process.env.INGEST_URL!,
  flushAt: 1000,
  flushIntervalMs: 60_000,
  requestTimeoutMs: 2000,
  exitFlushTimeoutMs: 2000,
  onError: () => {},
});
for (let i = 0; i < Number(process.env.EVENTS ?? 5); i++) {
  sl.log({
    id: `${process.env.ID_PREFIX}-${i}`,
    timestamp: new Date().toISOString(),
    provider: "openai",
    endpoint: "/v1/chat/completions",
    request: { model: "gpt-4o-mini", messages: [{ role: "user", content: `question ${i}` }] },
    response: null,
    latency_ms: 3,
  });
}
if (mode === "sigterm") {
  setInterval(() => {}, 1000);
} else if (mode === "sigterm-app") {
  setInterval(() => {}, 1000);
  process.on("SIGTERM", () => {
    console.log("app handler ran");
    setTimeout(() => process.exit(3), 300);
  });
}
console.log("ready");
