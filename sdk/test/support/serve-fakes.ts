// Runs the fake provider and the fake ingest sink in their own process (for the SDK benchmark, so their
// CPU is not counted as the app's). Prints {"provider": url, "ingest": url} on one line, exits when stdin closes.
import { startFakeIngest } from "./fake-ingest";
import { startFakeProvider } from "./fake-provider";

const provider = await startFakeProvider();
const ingest = await startFakeIngest();
// The sink keeps no events: a long benchmark must not grow this process.
ingest.events.set = function (this: Map<string, unknown>) {
  return this;
} as never;
process.stdout.write(`${JSON.stringify({ provider: provider.url, ingest: ingest.url })}\n`);
process.stdin.resume();
process.stdin.on("end", async () => {
  await provider.close();
  await ingest.close();
  process.exit(0);
});
