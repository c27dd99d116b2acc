// Loaders for the public data sets in ../shared/data (see its README), used by tests, benchmarks and
// the demo generator so figures come from real text. Read once per process and cached.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseCsv, parseCsvObjects } from "./csv";

let resolvedDir: string | undefined;

/**
 * Where the data sets are: SPENDLENS_SHARED_DATA, else `../shared/data` beside the checkout, else beside
 * the repository this one was cloned from (a fresh clone in a temp folder, as the newcomer check makes).
 */
export function sharedDataDir(): string {
  if (process.env.SPENDLENS_SHARED_DATA) return path.resolve(process.env.SPENDLENS_SHARED_DATA);
  if (resolvedDir) return resolvedDir;
  const beside = path.resolve(process.cwd(), "../shared/data");
  resolvedDir = beside;
  if (!existsSync(beside)) {
    try {
      const origin = execFileSync("git", ["config", "--get", "remote.origin.url"], { cwd: process.cwd(), encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
      const local = origin.startsWith("file://") ? new URL(origin).pathname : origin;
      const candidate = path.resolve(local, "../shared/data");
      if (path.isAbsolute(local) && existsSync(candidate)) resolvedDir = candidate;
    } catch {
      // not a git checkout: keep the default, whose path the read error will name
    }
  }
  return resolvedDir;
}

const cache = new Map<string, unknown>();
function once<T>(key: string, load: () => T): T {
  if (!cache.has(key)) cache.set(key, load());
  return cache.get(key) as T;
}
// Some files start with a UTF-8 byte order mark.
const read = (...parts: string[]) => readFileSync(path.join(sharedDataDir(), ...parts), "utf8").replace(/^\uFEFF/, "");

export type LabelledText = { text: string; label: string };

/** Banking77 support queries with their intent (train 10,003 / test 3,080). */
export function banking77(split: "train" | "test"): LabelledText[] {
  return once(`banking77:${split}`, () =>
    parseCsvObjects(read("banking77", `${split}.csv`)).map((r) => ({ text: r.text, label: r.category })),
  );
}

export type BitextRow = { instruction: string; intent: string; category: string; response: string };

/** Bitext customer-support requests (4,514) with intent, category and a free-text response. */
export function bitextSupport(): BitextRow[] {
  return once("bitext", () =>
    parseCsvObjects(read("bitext_support", "Bitext_Sample_Customer_Support_Training_Dataset.csv")).map((r) => ({
      instruction: r.instruction,
      intent: r.intent,
      category: r.category,
      response: r.response,
    })),
  );
}

export type ArenaPrompt = { uid: string; cluster: string; prompt: string };

/** Real Chatbot Arena prompts (v0.1: 500, v2.0: 750). */
export function arenaHard(version: "v0.1" | "v2.0" = "v0.1"): ArenaPrompt[] {
  return once(`arena:${version}`, () =>
    read("arena_hard", `question_${version}.jsonl`)
      .split("\n")
      .filter((l) => l.trim())
      .map((l) => {
        const o = JSON.parse(l) as { uid: string; cluster?: string; prompt?: string; turns?: Array<{ content: string }> };
        return { uid: o.uid, cluster: o.cluster ?? "", prompt: o.prompt ?? o.turns?.[0]?.content ?? "" };
      }),
  );
}

/** 100 real first user turns from WildChat (18 share one long template). */
export function wildchatUsers(): string[] {
  return once("wildchat", () => (JSON.parse(read("wildchat_sample", "wildchat_users.json")) as Array<{ user: string }>).map((r) => r.user));
}

export type SentencePair = { s1: string; s2: string; score: number };

/** STS-B pairs with similarity 0-5. */
export function stsb(split: "train" | "dev" | "test"): SentencePair[] {
  return once(`stsb:${split}`, () =>
    parseCsv(read("stsb_en", `stsb-en-${split}.csv`)).map((r) => ({ s1: r[0], s2: r[1], score: Number(r[2]) })),
  );
}

export type ParaphrasePair = { s1: string; s2: string; paraphrase: boolean };

/** MRPC sentence pairs labelled paraphrase or not. */
export function mrpc(split: "train" | "test"): ParaphrasePair[] {
  return once(`mrpc:${split}`, () =>
    read("mrpc", `msr_paraphrase_${split}.txt`)
      .split("\n")
      .filter((l) => l.trim())
      .map((l) => l.split("\t"))
      .filter((c) => c.length >= 5 && (c[0] === "0" || c[0] === "1"))
      .map((c) => ({ s1: c[3], s2: c[4], paraphrase: c[0] === "1" })),
  );
}
