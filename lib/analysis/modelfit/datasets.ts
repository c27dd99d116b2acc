// AnalysisCall fixtures built from the real public data sets in ../shared/data (see its README), for
// tests and benchmarks of model-fit and distillation. Each builder turns rows into the chat calls a
// product would have logged: the system prompt of the feature, the user's text, the model's answer.
// Arrival order: the CSVs are sorted by label, so rows are shuffled with a fixed seed within each
// split (train stays before test: past then future) before timestamps are assigned.
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { parseCsv } from "../../datasets/csv";
import { sharedDataDir } from "../../datasets/shared-data";
import { priceCall } from "../../pricing/cost";
import { seededRandom, shuffled } from "../../stats/random";
import { countTokens } from "../../tokens/count";
import type { AnalysisCall } from "../types";

const csvCache = new Map<string, Record<string, string>[]>();

/** CSV with a header row, as objects keyed by column name (parsed once per process; do not mutate). */
export function readCsvRecords(file: string): Record<string, string>[] {
  const hit = csvCache.get(file);
  if (hit) return hit;
  const [header, ...rows] = parseCsv(readFileSync(file, "utf8"));
  const records = rows.filter((r) => r.length === header.length).map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])));
  csvCache.set(file, records);
  return records;
}

/** Cost of one call from its token counts (default: lib/pricing priceCall; null = unpriced). */
export type FixturePricer = (usage: { inputTokens: number; outputTokens: number }, model: string) => number | null;

export const tablePrice: FixturePricer = (u, model) =>
  priceCall({ inputTokens: u.inputTokens, outputTokens: u.outputTokens, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 }, { model })?.costUsd ?? null;

export type ChatFixtureRow = { system?: string; user: string; answer: string; tags?: Record<string, string>; request?: Record<string, unknown> };

export type ChatFixtureOptions = {
  model: string;
  provider?: string;
  feature: string;
  /** Time of the first call; later calls follow `spacingMs` apart. */
  start?: Date;
  spacingMs?: number;
  idPrefix?: string;
  /** Default: the price table (tablePrice). */
  price?: FixturePricer;
  /** Default: lib/tokens countTokens for the model. */
  countTokens?: (text: string) => number;
};

/** OpenAI chat-completions calls from rows of (system, user, answer). */
export function chatCalls(rows: ChatFixtureRow[], opts: ChatFixtureOptions): AnalysisCall[] {
  const start = (opts.start ?? new Date("2026-11-01T00:00:00Z")).getTime();
  const spacing = opts.spacingMs ?? 60_000;
  const count = opts.countTokens ?? ((text: string) => countTokens(text, opts.model).tokens);
  const price = opts.price ?? tablePrice;
  return rows.map((row, i) => {
    const messages = [...(row.system ? [{ role: "system", content: row.system }] : []), { role: "user", content: row.user }];
    const inputTokens = messages.reduce((s, m) => s + count(m.content) + 4, 3);
    const outputTokens = count(row.answer);
    const id = `${opts.idPrefix ?? opts.feature}-${i}`;
    return {
      id,
      timestamp: new Date(start + i * spacing),
      provider: opts.provider ?? "openai",
      endpoint: "/v1/chat/completions",
      model: opts.model,
      feature: opts.feature,
      endUser: null,
      session: null,
      tags: row.tags ?? {},
      request: { model: opts.model, messages, ...(row.request ?? {}) },
      response: {
        id: `chatcmpl-${id}`,
        object: "chat.completion",
        model: opts.model,
        choices: [{ index: 0, message: { role: "assistant", content: row.answer }, finish_reason: "stop" }],
        usage: { prompt_tokens: inputTokens, completion_tokens: outputTokens, total_tokens: inputTokens + outputTokens },
      },
      outputText: row.answer,
      status: 200,
      inputTokens,
      outputTokens,
      cachedInputTokens: 0,
      cacheWriteTokens: 0,
      costUsd: price({ inputTokens, outputTokens }, opts.model),
      latencyMs: 400,
      batch: false,
    };
  });
}

export const BANKING77_SYSTEM =
  "You are the intent classifier of an online bank's support inbox. Read the customer's message and reply with exactly one intent label from the bank's list of 77 intents (snake_case), nothing else.";

export type LabelledText = { text: string; label: string };

/** Banking77 rows; `split` "train" = the past, "test" = the future. Shuffled (seeded) within the split. */
export function banking77Rows(split: "train" | "test", seed = 77): LabelledText[] {
  const rows = readCsvRecords(path.join(sharedDataDir(), "banking77", `${split}.csv`)).map((r) => ({ text: r.text, label: r.category }));
  return shuffled(rows, seededRandom(`${seed}:${split}`));
}

/** Banking77 as a logged classification feature: train then test in time order; the answer is the intent. */
export function banking77Calls(opts: Partial<ChatFixtureOptions> & { limitTrain?: number; limitTest?: number } = {}): {
  train: AnalysisCall[];
  test: AnalysisCall[];
} {
  const train = banking77Rows("train").slice(0, opts.limitTrain);
  const test = banking77Rows("test").slice(0, opts.limitTest);
  const all = chatCalls(
    [...train, ...test].map((r) => ({ system: BANKING77_SYSTEM, user: r.text, answer: r.label })),
    { model: "gpt-4o", feature: "support-intent", ...opts },
  );
  return { train: all.slice(0, train.length), test: all.slice(train.length) };
}

export type BitextRow = { instruction: string; intent: string; category: string; entityType: string; entityValue: string; response: string };

export function bitextRows(seed = 27): BitextRow[] {
  const rows = readCsvRecords(path.join(sharedDataDir(), "bitext_support", "Bitext_Sample_Customer_Support_Training_Dataset.csv")).map((r) => ({
    instruction: r.instruction,
    intent: r.intent,
    category: r.category,
    entityType: r.entity_type,
    entityValue: r.entity_value,
    response: r.response,
  }));
  return shuffled(rows, seededRandom(`${seed}:bitext`));
}

export const BITEXT_REPLY_SYSTEM = "You are the customer support assistant of an online shop. Answer the customer helpfully and concisely.";

/** Bitext as a support-reply feature: the logged answer is the free-text response. */
export function bitextReplyCalls(opts: Partial<ChatFixtureOptions> & { limit?: number } = {}): AnalysisCall[] {
  return chatCalls(
    bitextRows().slice(0, opts.limit).map((r) => ({ system: BITEXT_REPLY_SYSTEM, user: r.instruction, answer: r.response })),
    { model: "gpt-4o", feature: "support-reply", ...opts },
  );
}

export type ArenaPrompt = { uid: string; cluster: string; prompt: string };

export function arenaHardPrompts(): ArenaPrompt[] {
  const file = path.join(sharedDataDir(), "arena_hard", "question_v0.1.jsonl");
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as ArenaPrompt);
}

export type MmluItem = { subject: string; index: number; prompt: string; cheapCorrect: boolean; flagshipCorrect: boolean };

export const MMLU_CHEAP_COLUMN = "mistralai/Mixtral-8x7B-Instruct-v0.1";
export const MMLU_FLAGSHIP_COLUMN = "gpt-4-1106-preview";

/** RouteLLM's MMLU responses: per prompt, whether Mixtral-8x7B and GPT-4-1106 answered correctly. */
export function mmluItems(): MmluItem[] {
  const dir = path.join(sharedDataDir(), "routellm_mmlu", "mmlu_responses");
  const out: MmluItem[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".csv")).sort()) {
    const subject = file.replace(/^mmlu_/, "").replace(/\.csv$/, "");
    readCsvRecords(path.join(dir, file)).forEach((r, index) => {
      out.push({ subject, index, prompt: r.prompt, cheapCorrect: r[MMLU_CHEAP_COLUMN] === "True", flagshipCorrect: r[MMLU_FLAGSHIP_COLUMN] === "True" });
    });
  }
  return out;
}
