// Call fixtures for the cache analysis, from the real public data sets (../shared/data): WildChat's
// first turns (18 share one long template) and mixed production-like traffic for the benchmark, where
// real texts recur with Zipf-like popularity and small edits, the way users repeat themselves.
import { arenaHard, banking77, bitextSupport, mrpc, stsb, wildchatUsers } from "../../datasets/shared-data";
import { randomInt, seededRandom, shuffled, type Random } from "../../stats/random";
import { BANKING77_SYSTEM, BITEXT_REPLY_SYSTEM, chatCalls, mmluItems, type ChatFixtureRow } from "../modelfit/datasets";
import type { AnalysisCall } from "../types";

/** The 100 WildChat first turns as one feature's calls (no system prompt; each answer is distinct). */
export function wildchatCalls(opts: { model?: string; spacingMs?: number } = {}): AnalysisCall[] {
  return chatCalls(
    wildchatUsers().map((user, i) => ({ user, answer: `Reply ${i + 1}: a long free-text answer written for this request only, number ${i + 1}.` })),
    { model: opts.model ?? "gpt-4o-mini", feature: "assistant", idPrefix: "wildchat", spacingMs: opts.spacingMs ?? 60_000 },
  );
}

// `user` is the user's own words (what gets edited); `wrap` puts it into the feature's fixed template.
type Source = { feature: string; model: string; system?: string; wrap?: (user: string) => string; rows: Array<{ user: string; answer: string }> };

function sources(): Source[] {
  const b77 = [...banking77("train"), ...banking77("test")];
  const mmlu = mmluItems();
  const sts = [...stsb("train"), ...stsb("dev"), ...stsb("test")];
  return [
    { feature: "support-intent", model: "gpt-4o-mini", system: BANKING77_SYSTEM, rows: b77.map((r) => ({ user: r.text, answer: r.label })) },
    { feature: "support-reply", model: "gpt-4o", system: BITEXT_REPLY_SYSTEM, rows: bitextSupport().map((r) => ({ user: r.instruction, answer: r.response })) },
    // MMLU has no logged answers: a letter derived from the prompt keeps repeats consistent.
    { feature: "quiz", model: "gpt-4o-mini", rows: mmlu.map((m) => ({ user: m.prompt, answer: "ABCD"[m.prompt.length % 4] })) },
    {
      feature: "rewrite",
      model: "gpt-4o-mini",
      wrap: (s) => `Rewrite the following sentence in plain, formal English and keep its meaning. Reply with the sentence only.\n\nSentence: ${s}`,
      rows: sts.map((p) => ({ user: p.s1, answer: p.s2 })),
    },
    {
      feature: "paraphrase-check",
      model: "gpt-4o-mini",
      wrap: (pair) => `Do these two sentences say the same thing? Answer yes or no.\n${pair}`,
      rows: mrpc("train").map((p) => ({ user: `A: ${p.s1}\nB: ${p.s2}`, answer: p.paraphrase ? "yes" : "no" })),
    },
    { feature: "assistant", model: "gpt-4o", rows: [...arenaHard("v0.1"), ...arenaHard("v2.0")].map((a) => ({ user: a.prompt, answer: `An answer about ${a.cluster || "the question"}.` })) },
  ];
}

const EDITS: Array<(text: string, random: Random) => string> = [
  (t) => t.toLowerCase(),
  (t) => t.replace(/[.?!]+\s*$/, ""),
  (t) => `Please, ${t.charAt(0).toLowerCase()}${t.slice(1)}`,
  (t) => t.replace(/ /, "  "),
  (t, r) => {
    const words = t.split(" ");
    if (words.length < 4) return t;
    const i = 1 + randomInt(r, words.length - 2);
    [words[i], words[i + 1]] = [words[i + 1], words[i]];
    return words.join(" ");
  },
  (t, r) => {
    const words = t.split(" ");
    if (words.length < 5) return t;
    words.splice(1 + randomInt(r, words.length - 2), 1);
    return words.join(" ");
  },
];

export type TrafficOptions = { calls: number; seed?: number; days?: number; start?: Date; editShare?: number };

/**
 * `calls` calls over `days` from ~56k real texts in six features. Each call picks a text with a skewed
 * popularity (index ~ N * u^2 over a seeded shuffle) and edits its user turn with probability
 * `editShare` (case, punctuation, a dropped or swapped word, a "please"). Token counts are estimated
 * (chars / 4) to keep generation fast; costs come from the price table.
 */
export function cacheTraffic(opts: TrafficOptions): AnalysisCall[] {
  const random = seededRandom(opts.seed ?? 6);
  const days = opts.days ?? 30;
  const start = (opts.start ?? new Date("2026-10-01T00:00:00Z")).getTime();
  const editShare = opts.editShare ?? 0.3;
  const srcs = sources().map((s) => ({ ...s, rows: shuffled(s.rows, random) }));
  const total = srcs.reduce((n, s) => n + s.rows.length, 0);
  const picked: Array<{ source: number; row: ChatFixtureRow }> = [];
  for (let i = 0; i < opts.calls; i++) {
    let k = randomInt(random, total);
    let s = 0;
    while (k >= srcs[s].rows.length) k -= srcs[s++].rows.length;
    const pool = srcs[s].rows;
    const u = random();
    const item = pool[Math.floor(pool.length * u * u)];
    let user = item.user;
    if (random() < editShare) user = EDITS[randomInt(random, EDITS.length)](user, random);
    const wrap = srcs[s].wrap;
    picked.push({ source: s, row: { system: srcs[s].system, user: wrap ? wrap(user) : user, answer: item.answer } });
  }
  const out: AnalysisCall[] = new Array(opts.calls);
  srcs.forEach((src, s) => {
    const idx = picked.map((p, i) => (p.source === s ? i : -1)).filter((i) => i >= 0);
    const calls = chatCalls(
      idx.map((i) => picked[i].row),
      { model: src.model, feature: src.feature, idPrefix: `${src.feature}-${opts.seed ?? 6}`, countTokens: (t) => Math.ceil(t.length / 4) },
    );
    calls.forEach((c, k) => {
      const i = idx[k];
      out[i] = { ...c, timestamp: new Date(start + Math.floor((i * days * 86_400_000) / Math.max(1, opts.calls))) };
    });
  });
  return out;
}
