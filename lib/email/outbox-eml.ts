// A stored outbox message (.eml written by deliver.ts when no SMTP server is configured), read back for
// the outbox page: only from inside this server's outbox directory, size-capped, parsed into headers and
// bodies (parse-eml.ts).
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { outboxDir } from "./deliver";
import { parseEml, type ParsedEml } from "./parse-eml";

/** Larger files are not shown in the app (ours are a few KB; the weekly report some tens of KB). */
export const MAX_OUTBOX_EML_BYTES = 1_000_000;

export type OutboxEml = { ok: true; raw: string; fileName: string; parsed: ParsedEml } | { ok: false; why: string };

/** The .eml file of an EmailMessage row (its emlPath), parsed. Never reads outside the outbox directory. */
export async function readOutboxEml(emlPath: string | null): Promise<OutboxEml> {
  if (!emlPath) return { ok: false, why: "This message was delivered over SMTP; no copy is kept." };
  const dir = path.resolve(outboxDir());
  const file = path.resolve(emlPath);
  if (!file.startsWith(dir + path.sep)) return { ok: false, why: "The file is outside this server's outbox directory (written by another data directory)." };
  let bytes: Buffer;
  try {
    const { size } = await stat(file);
    if (size > MAX_OUTBOX_EML_BYTES) {
      return { ok: false, why: `The .eml file is ${size.toLocaleString("en-US")} bytes, too large to show here (over ${MAX_OUTBOX_EML_BYTES.toLocaleString("en-US")}): open it in a mail program.` };
    }
    bytes = await readFile(file);
  } catch {
    return { ok: false, why: "The .eml file is no longer on disk." };
  }
  return { ok: true, raw: bytes.toString("utf8"), fileName: path.basename(file), parsed: parseEml(bytes) };
}
