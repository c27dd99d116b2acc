// npm run demo -- [--out FILE.jsonl] [--count N] [--seed S] [--end ISO-DATE]
// Writes the demo project's events (built from ../shared/data) as ingest-event JSONL: the input of
// `spendlens analyze`, of the benchmarks, and what the "load demo data" button stores.
import { createWriteStream, mkdirSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { generateDemoEvents } from "../lib/demo/generate";

const { values } = parseArgs({
  options: {
    out: { type: "string", default: ".spendlens/demo.jsonl" },
    count: { type: "string", default: "50000" },
    seed: { type: "string", default: "42" },
    end: { type: "string" },
  },
});
const count = Number(values.count);
const seed = Number(values.seed);
if (!Number.isInteger(count) || count <= 0) throw new Error("--count must be a positive integer");
if (!Number.isInteger(seed)) throw new Error("--seed must be an integer");
const end = values.end ? new Date(values.end) : new Date();
if (Number.isNaN(end.getTime())) throw new Error("--end must be a date (ISO 8601)");

const out = path.resolve(values.out!);
mkdirSync(path.dirname(out), { recursive: true });
const stream = createWriteStream(out);
let n = 0;
const started = Date.now();
for (const event of generateDemoEvents({ count, seed, end })) {
  if (!stream.write(JSON.stringify(event) + "\n")) await new Promise<void>((r) => stream.once("drain", () => r()));
  if (++n % 10_000 === 0) process.stderr.write(`\r${n}/${count} events`);
}
await new Promise<void>((resolve, reject) => stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
process.stderr.write(`\rwrote ${n} events to ${path.relative(process.cwd(), out)} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
