// npm run bench [-- part ...] — runs benchmark parts (scripts/bench/<part>.ts, each exporting
// `run(): Promise<string>` returning a markdown section) and rewrites that part's section of
// docs/benchmarks.md, keeping the other sections. Parts run one after another, never in tests.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const dir = path.dirname(new URL(import.meta.url).pathname);
const doc = path.resolve("docs/benchmarks.md");
const available = readdirSync(dir)
  .filter((f) => f.endsWith(".ts") && f !== "index.ts" && !f.startsWith("_"))
  .map((f) => f.replace(/\.ts$/, ""))
  .sort();
const wanted = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const parts = wanted.length ? wanted : available;

function machine(): string {
  const cpu = os.cpus()[0]?.model ?? "unknown cpu";
  return `${os.cpus().length} x ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, ${os.platform()} ${os.release()}`;
}

function sections(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /<!-- bench:(\S+) -->\n([\s\S]*?)<!-- \/bench:\1 -->/g;
  for (const m of text.matchAll(re)) out.set(m[1], m[2]);
  return out;
}

async function main() {
  const existing = existsSync(doc) ? sections(readFileSync(doc, "utf8")) : new Map<string, string>();
  for (const part of parts) {
    if (!available.includes(part)) throw new Error(`no benchmark part "${part}" (have: ${available.join(", ")})`);
    console.log(`[bench] ${part} ...`);
    const mod = (await import(path.join(dir, `${part}.ts`))) as { run: () => Promise<string> };
    const body = await mod.run();
    const stamped = `${body.trim()}\n\n_Measured ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC on ${machine()}; command: \`npm run bench -- ${part}\`._\n`;
    existing.set(part, stamped);
    console.log(stamped);
  }
  const order = [...new Set([...available, ...existing.keys()])].filter((p) => existing.has(p));
  const text =
    "# Benchmarks\n\nEvery figure here was produced by `npm run bench` on the machine named under it. Speed goals are checked here, never by timed assertions in tests.\n\n" +
    order.map((p) => `<!-- bench:${p} -->\n${existing.get(p)}<!-- /bench:${p} -->\n`).join("\n");
  writeFileSync(doc, text);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
