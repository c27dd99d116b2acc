// npm run prices:import -- FILE [--out DIR] [--commit SHA] [--repo OWNER/NAME] [--path PATH] [--fetched-at DATE]
// Validates a copy of LiteLLM's model_prices_and_context_window.json, writes lib/pricing/prices.snapshot.json
// and prices.source.json, and prints the models added, changed and removed. A changed price affects new
// calls at once (the price version changes); recomputing history is the backfill job's work.
import path from "node:path";
import { importPriceFile, type PriceSource } from "../lib/pricing/import";

function usage(message?: string): never {
  if (message) console.error(`prices:import: ${message}`);
  console.error("usage: npm run prices:import -- FILE [--out DIR] [--commit SHA] [--repo OWNER/NAME] [--path PATH] [--fetched-at DATE]");
  process.exit(2);
}

function list(label: string, names: string[]): string {
  const shown = names.slice(0, 40).join(", ");
  return `${label} (${names.length})${names.length ? `: ${shown}${names.length > 40 ? `, … ${names.length - 40} more` : ""}` : ""}`;
}

function main(): void {
  const args = process.argv.slice(2);
  let file: string | undefined;
  let outDir = path.resolve("lib/pricing");
  const source: PriceSource = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = () => args[++i] ?? usage(`${a} needs a value`);
    if (a === "--out") outDir = path.resolve(value());
    else if (a === "--commit") source.commit = value();
    else if (a === "--repo") source.repo = value();
    else if (a === "--path") source.path = value();
    else if (a === "--fetched-at") source.fetchedAt = value();
    else if (a.startsWith("--")) usage(`unknown option ${a}`);
    else if (file) usage(`one FILE only (got ${file} and ${a})`);
    else file = a;
  }
  if (!file) usage("FILE is required");
  try {
    const r = importPriceFile(path.resolve(file), { outDir, source });
    console.log(`prices:import: ${Object.keys(r.table).length} models written to ${path.relative(process.cwd(), r.snapshotPath)} (version ${r.version})`);
    console.log(list("added", r.added));
    console.log(list("changed", r.changed));
    console.log(list("removed", r.removed));
  } catch (err) {
    console.error(`prices:import: ${(err as Error).message}`);
    process.exit(1);
  }
}

main();
