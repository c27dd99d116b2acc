// Conversation bloat, found across calls: history re-sent in full on every turn with nothing ever dropped
// (input grows with every turn), and the same long document pasted into more than one message of a
// request. Savings are priced per call: the tokens a fix removes, at that call's own prices.
import { createHash } from "node:crypto";
import { priceCall, type Usage } from "../../pricing/cost";
import { periodTotal } from "../../stats/period-total";
import { requestMessages } from "../messages";
import type { AnalysisCall, MonthlySavings, PlainMessage } from "../types";
import type { ConversationFinding } from "./types";

export type ConversationOptions = {
  window: { from: Date; to: Date };
  countTokens: (text: string, model: string) => number;
  /** Messages (besides system) kept when history is truncated. Default 6 (three exchanges). */
  keepMessages?: number;
  /** Tokens allowed for a summary of what is dropped. Default 150. */
  summaryTokens?: number;
  /** Shortest conversation (calls) that counts. Default 4. */
  minTurns?: number;
  /** Shortest repeated block (chars) that counts as a document. Default 400. */
  minDocumentChars?: number;
  seed?: number;
};

function usageOf(c: AnalysisCall): Usage {
  return { inputTokens: c.inputTokens, outputTokens: c.outputTokens, cachedInputTokens: c.cachedInputTokens, cacheWriteTokens: c.cacheWriteTokens, reasoningTokens: 0 };
}

/** $ saved on a call if `removed` input tokens were not sent (cached/written tokens shrink proportionally). */
export function inputSavingUsd(call: AnalysisCall, removed: number): number {
  if (removed <= 0 || !call.model) return 0;
  const u = usageOf(call);
  const r = Math.min(removed, u.inputTokens);
  const keep = u.inputTokens > 0 ? (u.inputTokens - r) / u.inputTokens : 0;
  const after: Usage = { ...u, inputTokens: u.inputTokens - r, cachedInputTokens: Math.floor(u.cachedInputTokens * keep), cacheWriteTokens: Math.floor(u.cacheWriteTokens * keep) };
  const ctx = { provider: call.provider, model: call.model, batch: call.batch };
  const a = priceCall(u, ctx);
  const b = priceCall(after, ctx);
  return a && b ? a.costUsd - b.costUsd : 0;
}

function monthly(items: Array<{ call: AnalysisCall; usd: number }>, opts: ConversationOptions): MonthlySavings {
  const iv = periodTotal(
    items.map((i) => ({ time: i.call.timestamp.getTime(), value: i.usd })),
    { from: opts.window.from.getTime(), to: opts.window.to.getTime() },
    { seed: opts.seed ?? 1 },
  );
  return { usd: iv.point, low: Math.max(0, iv.low), high: iv.high };
}

const hash = (t: string) => createHash("sha256").update(t).digest("hex").slice(0, 16);

function turns(msgs: PlainMessage[]): PlainMessage[] {
  return msgs.filter((m) => m.role !== "system" && m.role !== "developer");
}

/** Conversations that re-send their whole history on every turn. */
export function findUnboundedHistory(calls: AnalysisCall[], opts: ConversationOptions): ConversationFinding | null {
  const keep = opts.keepMessages ?? 6;
  const summary = opts.summaryTokens ?? 150;
  const minTurns = opts.minTurns ?? 4;
  const convs = new Map<string, Array<{ call: AnalysisCall; msgs: PlainMessage[] }>>();
  for (const call of calls) {
    const msgs = turns(requestMessages(call.request));
    if (msgs.length === 0) continue;
    // A session tag names the conversation; without one, the opening message does.
    const key = call.session ? `s:${call.session}` : `m:${hash(msgs[0].text)}`;
    let arr = convs.get(key);
    if (!arr) convs.set(key, (arr = []));
    arr.push({ call, msgs });
  }
  const flagged: Array<{ key: string; items: Array<{ call: AnalysisCall; msgs: PlainMessage[] }> }> = [];
  for (const [key, items] of convs) {
    if (items.length < minTurns) continue;
    items.sort((a, b) => a.call.timestamp.getTime() - b.call.timestamp.getTime());
    const counts = items.map((i) => i.msgs.length);
    const growing = counts.every((n, i) => i === 0 || n > counts[i - 1]);
    // Nothing dropped: every call still starts with the conversation's opening message.
    const opening = items[0].msgs[0].text;
    const untruncated = items.every((i) => i.msgs[0].text === opening);
    if (growing && untruncated && counts[counts.length - 1] > keep) flagged.push({ key, items });
  }
  if (flagged.length === 0) return null;
  const saved: Array<{ call: AnalysisCall; usd: number }> = [];
  let oldTokens = 0;
  const tokenCache = new Map<string, number>();
  const tok = (text: string, model: string) => {
    const k = `${model}\u0000${hash(text)}`;
    let n = tokenCache.get(k);
    if (n === undefined) tokenCache.set(k, (n = opts.countTokens(text, model)));
    return n;
  };
  for (const conv of flagged) {
    for (const { call, msgs } of conv.items) {
      if (msgs.length <= keep) continue;
      const old = msgs.slice(0, msgs.length - keep).reduce((s, m) => s + tok(m.text, call.model ?? "") + 4, 0);
      const removed = Math.max(0, old - summary);
      oldTokens += old;
      saved.push({ call, usd: inputSavingUsd(call, removed) });
    }
  }
  const maxMessages = flagged.reduce((m, f) => f.items.reduce((mm, i) => Math.max(mm, i.msgs.length), m), 0);
  return {
    kind: "unbounded_history",
    message: `${flagged.length} conversation${flagged.length > 1 ? "s" : ""} re-send the whole history on every turn (up to ${maxMessages} messages, nothing dropped). Keeping the last ${keep} messages plus a short summary removes ${oldTokens} input tokens.`,
    conversations: flagged.length,
    calls: flagged.reduce((s, f) => s + f.items.length, 0),
    maxMessages,
    oldHistoryTokens: oldTokens,
    keepMessages: keep,
    monthly: monthly(saved, opts),
    callIds: saved.map((s) => s.call.id),
    examples: flagged.slice(0, 3).map((f) => ({
      conversation: f.key,
      messagesPerCall: f.items.map((i) => i.msgs.length),
      inputTokensPerCall: f.items.map((i) => i.call.inputTokens),
    })),
  };
}

/** The same long block (a document) in more than one message of one request. */
export function findResentDocuments(calls: AnalysisCall[], opts: ConversationOptions): ConversationFinding | null {
  const minChars = opts.minDocumentChars ?? 400;
  const saved: Array<{ call: AnalysisCall; usd: number }> = [];
  const examples: Extract<ConversationFinding, { kind: "resent_document" }>["examples"] = [];
  let repeatedTokens = 0;
  for (const call of calls) {
    const msgs = requestMessages(call.request);
    const seen = new Map<string, { messageIndex: number; start: number; end: number }>();
    const repeats: Array<{ messageIndex: number; start: number; end: number; text: string }> = [];
    msgs.forEach((m, messageIndex) => {
      // Documents come in through user, assistant and tool turns; the system prompt is the static part
      // (analysed on its own) and is the same long text on every call, so it is not scanned here.
      if (m.role === "system" || m.role === "developer") return;
      // Blocks are paragraphs: text between blank lines.
      const re = /[^\n]+(?:\n(?!\s*\n)[^\n]*)*/g;
      let b: RegExpExecArray | null;
      while ((b = re.exec(m.text))) {
        const text = b[0].trim();
        if (text.length < minChars) continue;
        const start = b.index + (b[0].length - b[0].trimStart().length);
        const span = { messageIndex, start, end: start + text.length };
        const h = hash(text);
        if (seen.has(h)) repeats.push({ ...span, text });
        else seen.set(h, span);
      }
    });
    if (repeats.length === 0) continue;
    const tokens = repeats.reduce((s, r) => s + opts.countTokens(r.text, call.model ?? ""), 0);
    repeatedTokens += tokens;
    saved.push({ call, usd: inputSavingUsd(call, tokens) });
    if (examples.length < 5) {
      const firstCopies = repeats.map((r) => seen.get(hash(r.text))!);
      examples.push({ callId: call.id, spans: [...firstCopies, ...repeats.map(({ messageIndex, start, end }) => ({ messageIndex, start, end }))], preview: repeats[0].text.slice(0, 160) });
    }
  }
  if (saved.length === 0) return null;
  return {
    kind: "resent_document",
    message: `${saved.length} call${saved.length > 1 ? "s" : ""} send the same document more than once in one request (${repeatedTokens} tokens of copies). Send it once and refer back to it.`,
    calls: saved.length,
    repeatedTokens,
    monthly: monthly(saved, opts),
    callIds: saved.map((s) => s.call.id),
    examples,
  };
}
