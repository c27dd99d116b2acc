// Optional second candidate: a configured model (an OpenAI-compatible endpoint through the official
// `openai` SDK, or Anthropic, via the project's replay credential) rewrites the system prompt under
// "keep every output constraint". The rewrite is checked mechanically before it is used: every label,
// length limit, JSON field and answer marker still present in the deterministic candidate must still be
// in the rewrite; otherwise it is rejected with the list of what went missing. Like every candidate, it
// is only recommended after the replay check.
import { priceCall } from "../../pricing/cost";
import { responseOutput } from "../replay/answers";
import type { ReplayClient } from "../replay/client";
import { describedFormats } from "./detect/formats";
import { promptLabels } from "./output";
import type { BloatFinding, StaticSegment } from "./types";

export const REWRITE_INSTRUCTIONS = [
  "You shorten system prompts for production LLM calls without changing what the model answers.",
  "Rewrite the prompt the user sends you so it is as short as possible while keeping EVERY output constraint:",
  "all allowed labels/categories exactly as written, every answer format, every length limit, every rule about what to include or leave out,",
  "and one example per answer format if the prompt has examples.",
  "Remove persona and backstory, repeated instructions, decoration (markdown headings, bold, rules, emoji) and extra examples.",
  "When two instructions contradict each other, keep the later one.",
  "Reply with the rewritten prompt only, no commentary.",
].join("\n");

/** The output constraints a prompt states, as literal strings a faithful rewrite must keep. */
export function outputConstraints(text: string): string[] {
  const seg: StaticSegment[] = [{ messageIndex: 0, role: "system", part: "whole", text }];
  const out = new Set<string>(promptLabels(seg));
  for (const m of text.matchAll(/\b(\d+)\s+(words?|sentences?|characters?|tokens?|lines?|bullet points?|bullets?|items?|paragraphs?)\b/gi)) out.add(`${m[1]} ${m[2].toLowerCase()}`);
  for (const m of text.matchAll(/"([A-Za-z_][\w-]*)"\s*:/g)) out.add(m[1]);
  for (const sentence of text.split(/(?<=[.!?])\s+|\n/)) for (const f of describedFormats(sentence)) out.add(f.format.startsWith("marker ") ? f.format.slice(7) : f.format);
  return [...out].sort();
}

function present(constraint: string, text: string): boolean {
  const c = constraint.toLowerCase();
  const t = text.toLowerCase();
  if (c === "bullet list") return /bullet/.test(t);
  if (c === "numbered list") return /numbered/.test(t);
  return t.includes(c);
}

export type RewriteResult =
  | { ok: true; segments: StaticSegment[]; constraints: { checked: string[]; missing: string[] }; costUsd: number; model: string }
  | { ok: false; reason: string; constraints?: { checked: string[]; missing: string[] }; costUsd: number; model: string };

function stripFence(text: string): string {
  const m = /^\s*```[a-zA-Z]*\s*\n([\s\S]*?)\n?```\s*$/.exec(text);
  return (m ? m[1] : text).trim();
}

/**
 * Asks `model` for a rewrite of the group's system prompt. `base` is the deterministic candidate (what
 * the findings already allow removing); constraints are checked against it.
 */
export async function rewriteWithModel(
  segments: StaticSegment[],
  base: StaticSegment[],
  findings: BloatFinding[],
  opts: { client: ReplayClient; model: string; provider?: string; maxOutputTokens?: number; signal?: AbortSignal },
): Promise<RewriteResult> {
  const index = segments
    .map((s, i) => ({ s, i }))
    .filter(({ s }) => (s.role === "system" || s.role === "developer") && s.part === "whole")
    .sort((a, b) => b.s.text.length - a.s.text.length)[0]?.i;
  if (index === undefined) return { ok: false, reason: "the group has no fixed system prompt to rewrite", costUsd: 0, model: opts.model };
  const original = segments[index].text;
  const hints = findings
    .filter((f) => f.edits.length > 0)
    .map((f) => `- ${f.kind}: ${f.spans.map((s) => JSON.stringify(s.text.length > 120 ? s.text.slice(0, 120) + "…" : s.text)).join(", ")}`)
    .join("\n");
  const user = `${hints ? `Already known to be removable:\n${hints}\n\n` : ""}Prompt to rewrite:\n<<<\n${original}\n>>>`;
  const maxTokens = opts.maxOutputTokens ?? 4096;
  const anthropic = opts.client.provider === "anthropic";
  const body = anthropic
    ? { model: opts.model, max_tokens: maxTokens, temperature: 0, system: REWRITE_INSTRUCTIONS, messages: [{ role: "user", content: user }] }
    : { model: opts.model, temperature: 0, messages: [{ role: "system", content: REWRITE_INSTRUCTIONS }, { role: "user", content: user }] };
  let response: Awaited<ReturnType<ReplayClient["send"]>>;
  try {
    response = await opts.client.send(anthropic ? "anthropic.messages" : "openai.chat", body, opts.signal);
  } catch (err) {
    return { ok: false, reason: `rewrite request failed: ${(err as Error).message}`, costUsd: 0, model: opts.model };
  }
  const u = response.usage;
  const costUsd = u
    ? (priceCall(
        { inputTokens: u.inputTokens, outputTokens: u.outputTokens, cachedInputTokens: Math.min(u.cachedInputTokens, u.inputTokens), cacheWriteTokens: 0, reasoningTokens: 0 },
        { provider: opts.provider ?? opts.client.provider, model: opts.model },
      )?.costUsd ?? 0)
    : 0;
  const text = stripFence(responseOutput(response.body).text);
  if (!text) return { ok: false, reason: "the model returned no text", costUsd, model: opts.model };
  const checked = outputConstraints(base[index]?.text ?? original);
  const missing = checked.filter((c) => !present(c, text));
  const constraints = { checked, missing };
  if (missing.length) return { ok: false, reason: `the rewrite dropped ${missing.length} output constraint(s): ${missing.slice(0, 10).join(", ")}`, constraints, costUsd, model: opts.model };
  return { ok: true, segments: segments.map((s, i) => (i === index ? { ...s, text } : s)), constraints, costUsd, model: opts.model };
}
