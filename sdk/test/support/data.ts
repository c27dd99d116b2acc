// Real prompts and answers for the fake provider: the Bitext customer-support set (instruction, response)
// from ../shared/data (see its README). Read once per process.
import { readFileSync } from "node:fs";
import path from "node:path";

export type SupportPair = { instruction: string; response: string; intent: string };

/** Minimal RFC 4180 reader: quoted fields may hold commas, quotes ("") and newlines. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      row.push(field);
      field = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else field += ch;
  }
  if (field !== "" || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

let cached: SupportPair[] | undefined;

export function supportPairs(): SupportPair[] {
  if (cached) return cached;
  const file = path.resolve(process.cwd(), "../shared/data/bitext_support/Bitext_Sample_Customer_Support_Training_Dataset.csv");
  const [header, ...rows] = parseCsv(readFileSync(file, "utf8"));
  const col = (name: string) => header!.indexOf(name);
  const [ins, res, intent] = [col("instruction"), col("response"), col("intent")];
  cached = rows
    .filter((r) => r.length === header!.length)
    .map((r) => ({ instruction: r[ins]!, response: r[res]!, intent: r[intent]! }));
  return cached;
}
