// The RouteLLM MMLU record as a pair of fake models: for every MMLU prompt the "cheap" model answers
// right or wrong as Mixtral-8x7B did, the "flagship" as GPT-4-1106 did. The data records only
// correctness, so the correct letter is a fixed hash of the prompt and a wrong answer is one of the
// other three letters, chosen by a hash of (model, prompt): two wrong models agree a third of the time.
// Used by the model-fit acceptance test and benchmark; the fake provider serves `answerFor`.
import { hashSeed } from "../../stats/random";
import { chatCalls, mmluItems, type MmluItem } from "./datasets";
import type { AnalysisCall } from "../types";

export const MMLU_FLAGSHIP = "gpt-4-1106-preview";
export const MMLU_CHEAP = "mixtral-8x7b";
export const MMLU_SYSTEM = "Answer the multiple-choice question with the letter of the correct option only.";
const LETTERS = "ABCD";

function letter(item: MmluItem, model: string, correct: boolean): string {
  const right = hashSeed(item.prompt) % 4;
  if (correct) return LETTERS[right];
  const wrong = [0, 1, 2, 3].filter((x) => x !== right);
  return LETTERS[wrong[hashSeed(`${model}\u0000${item.prompt}`) % 3]];
}

export type MmluWorld = {
  items: MmluItem[];
  /** What a model answers to a prompt (the first item with that prompt decides duplicates). */
  answerFor(model: string, prompt: string): string | null;
  /** Logged production calls: every item sent to the flagship, one feature per subject. */
  loggedCalls(): AnalysisCall[];
  /** The agreement of the cheap model with the logged answers over every item of a subject. */
  trueAgreement(subject: string): number;
};

export function mmluWorld(): MmluWorld {
  const items = mmluItems();
  const byPrompt = new Map<string, MmluItem>();
  for (const it of items) if (!byPrompt.has(it.prompt)) byPrompt.set(it.prompt, it);
  const answerFor = (model: string, prompt: string) => {
    const it = byPrompt.get(prompt);
    if (!it) return null;
    return model === MMLU_CHEAP ? letter(it, model, it.cheapCorrect) : letter(it, model, it.flagshipCorrect);
  };
  return {
    items,
    answerFor,
    loggedCalls: () =>
      chatCalls(
        items.map((it) => ({ system: MMLU_SYSTEM, user: it.prompt, answer: answerFor(MMLU_FLAGSHIP, it.prompt)!, tags: { subject: it.subject } })),
        { model: MMLU_FLAGSHIP, feature: "mmlu", spacingMs: 10_000, idPrefix: "mmlu" },
      ).map((c) => ({ ...c, feature: `mmlu-${c.tags.subject}` })),
    trueAgreement: (subject) => {
      const its = items.filter((i) => i.subject === subject);
      return its.filter((i) => answerFor(MMLU_CHEAP, i.prompt) === answerFor(MMLU_FLAGSHIP, i.prompt)).length / its.length;
    },
  };
}
