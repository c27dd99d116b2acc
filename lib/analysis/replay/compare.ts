// How a replayed answer is compared with the reference answer (the logged production answer, or a
// baseline replay): by normalised label, JSON field by field, text similarity (local embeddings when
// given, else word-overlap F1), or an LLM judge. Each comparator says whether the two agree.
import { answerLabel, type CallOutput, normaliseLabel, parseJsonOutput, responseOutput } from "./answers";
import type { ReplayClient, ReplayUsage } from "./client";

export type ComparisonMethod = "label" | "json" | "similarity" | "judge";

export type AnswerComparison = {
  method: ComparisonMethod;
  /** false when the comparison could not be made (judge out of budget, judge error): left out of the agreement. */
  decided: boolean;
  agree: boolean;
  /** 0..1: 1/0 for labels, share of matching fields for JSON, the similarity, or the judge's verdict. */
  score: number;
  /** JSON: the fields that differ. */
  differingFields?: string[];
  detail?: string;
};

export type Comparator = (reference: CallOutput, candidate: CallOutput) => AnswerComparison | Promise<AnswerComparison>;

export function compareLabels(reference: CallOutput, candidate: CallOutput): AnswerComparison {
  const a = answerLabel(reference);
  const b = answerLabel(candidate);
  const agree = a === b && a !== "";
  return { method: "label", decided: true, agree, score: agree ? 1 : 0, detail: agree ? undefined : `${a || "(empty)"} vs ${b || "(empty)"}` };
}

function jsonOf(out: CallOutput): unknown {
  if (out.toolCalls.length === 1) return out.toolCalls[0].arguments;
  if (out.toolCalls.length > 1) return out.toolCalls.map((t) => ({ name: t.name, arguments: t.arguments }));
  return parseJsonOutput(out.text);
}

/** Leaf values of a JSON document keyed by path ("items[0].name"); strings normalised like labels. */
export function flattenJson(value: unknown, prefix = "", out = new Map<string, string>()): Map<string, string> {
  if (Array.isArray(value)) {
    if (value.length === 0) out.set(prefix, "[]");
    value.forEach((v, i) => flattenJson(v, `${prefix}[${i}]`, out));
  } else if (value !== null && typeof value === "object") {
    const keys = Object.keys(value as object);
    if (keys.length === 0) out.set(prefix, "{}");
    for (const k of keys) flattenJson((value as Record<string, unknown>)[k], prefix ? `${prefix}.${k}` : k, out);
  } else if (typeof value === "string") out.set(prefix, normaliseLabel(value));
  else out.set(prefix, JSON.stringify(value));
  return out;
}

/** Field-by-field: agree only when every field of either answer matches; score = matching / all fields. */
export function compareJson(reference: CallOutput, candidate: CallOutput): AnswerComparison {
  const ref = jsonOf(reference);
  const cand = jsonOf(candidate);
  if (ref === undefined) return { method: "json", decided: false, agree: false, score: 0, detail: "reference answer is not JSON" };
  if (cand === undefined) return { method: "json", decided: true, agree: false, score: 0, detail: "replayed answer is not JSON", differingFields: ["(whole answer)"] };
  const a = flattenJson(ref);
  const b = flattenJson(cand);
  const fields = [...new Set([...a.keys(), ...b.keys()])].sort();
  const differing = fields.filter((f) => a.get(f) !== b.get(f));
  const score = fields.length ? (fields.length - differing.length) / fields.length : 1;
  return { method: "json", decided: true, agree: differing.length === 0, score, differingFields: differing.length ? differing : undefined };
}

function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** Word-overlap F1 (bag of words, with multiplicity): 1 for identical wording, 0 for nothing shared. */
export function wordOverlapF1(a: string, b: string): number {
  const wa = words(a);
  const wb = words(b);
  if (wa.length === 0 && wb.length === 0) return 1;
  if (wa.length === 0 || wb.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const w of wa) counts.set(w, (counts.get(w) ?? 0) + 1);
  let common = 0;
  for (const w of wb) {
    const c = counts.get(w) ?? 0;
    if (c > 0) {
      common++;
      counts.set(w, c - 1);
    }
  }
  const p = common / wb.length;
  const r = common / wa.length;
  return p + r === 0 ? 0 : (2 * p * r) / (p + r);
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}

export type SimilarityOptions = {
  /** Agree at or above this. Default 0.85 with embeddings, 0.5 with word overlap. */
  threshold?: number;
  /** Local embedder (lib/analysis/embeddings); without it, word-overlap F1 is used. */
  embed?: (texts: string[]) => Promise<ArrayLike<number>[]>;
};

export function similarityComparator(opts: SimilarityOptions = {}): Comparator {
  const threshold = opts.threshold ?? (opts.embed ? 0.85 : 0.5);
  return async (reference, candidate) => {
    const score = opts.embed
      ? await opts.embed([reference.text, candidate.text]).then(([a, b]) => cosine(a, b))
      : wordOverlapF1(reference.text, candidate.text);
    return { method: "similarity", decided: true, agree: score >= threshold, score, detail: `${opts.embed ? "embedding cosine" : "word-overlap F1"} ${score.toFixed(3)} (threshold ${threshold})` };
  };
}

export type JudgeOptions = {
  client: ReplayClient;
  model: string;
  /** Hard cap for judge calls, in dollars. Comparisons beyond it are left undecided. */
  budgetUsd: number;
  priceUsage: (usage: ReplayUsage) => number | null;
  /** What "the same" means for this feature, added to the judge's instructions. */
  criteria?: string;
};

export const JUDGE_PROMPT =
  "You compare two answers to the same request. Reply with exactly one word: SAME if a user relying on answer A would be equally well served by answer B (same facts, same decision, nothing important missing or added), DIFFERENT otherwise.";

/** An LLM judge with its own budget; its spend is readable from `spentUsd`. */
export function judgeComparator(opts: JudgeOptions): Comparator & { spentUsd: () => number } {
  let spent = 0;
  let reserved = 0;
  const cap = 16;
  const fn = async (reference: CallOutput, candidate: CallOutput): Promise<AnswerComparison> => {
    const user = `${opts.criteria ? `Criteria: ${opts.criteria}\n\n` : ""}Answer A:\n${reference.text}\n\nAnswer B:\n${candidate.text}`;
    const estimate = opts.priceUsage({ inputTokens: Math.ceil((JUDGE_PROMPT.length + user.length) / 3) + 32, outputTokens: cap, cachedInputTokens: 0 });
    if (estimate === null || spent + reserved + estimate > opts.budgetUsd) return { method: "judge", decided: false, agree: false, score: 0, detail: "judge budget exhausted" };
    reserved += estimate;
    const api = opts.client.provider === "anthropic" ? "anthropic.messages" : "openai.chat";
    const body =
      api === "anthropic.messages"
        ? { model: opts.model, system: JUDGE_PROMPT, messages: [{ role: "user", content: user }], max_tokens: cap, temperature: 0 }
        : { model: opts.model, messages: [{ role: "system", content: JUDGE_PROMPT }, { role: "user", content: user }], max_tokens: cap, temperature: 0 };
    let res;
    try {
      res = await opts.client.send(api, body);
    } catch (err) {
      reserved -= estimate;
      // A dropped connection may have been billed: count it, as the replay harness does.
      if ((err as { maybeBilled?: boolean }).maybeBilled) spent += estimate;
      return { method: "judge", decided: false, agree: false, score: 0, detail: `judge failed: ${(err as Error).message.slice(0, 200)}` };
    }
    reserved -= estimate;
    spent += (res.usage ? opts.priceUsage(res.usage) : null) ?? estimate;
    const verdict = normaliseLabel(responseOutput(res.body).text);
    if (verdict.startsWith("same")) return { method: "judge", decided: true, agree: true, score: 1 };
    if (verdict.startsWith("different")) return { method: "judge", decided: true, agree: false, score: 0, detail: "judge: different" };
    return { method: "judge", decided: false, agree: false, score: 0, detail: `judge answered "${verdict.slice(0, 40)}"` };
  };
  return Object.assign(fn, { spentUsd: () => spent });
}

export const compareByMethod: Record<Exclude<ComparisonMethod, "similarity" | "judge">, Comparator> = { label: compareLabels, json: compareJson };
