// Groups calls by the fixed text they all send: first by hash of the system/developer prompt, then, for
// calls left over (a system prompt with a date in it, or no system prompt and a template in the user
// message), by template extraction: texts sharing a long common prefix or suffix. Inside every group the
// last user message's fixed text around the variable slot ("Classify this message: {text}") is static too.
import { createHash } from "node:crypto";
import { requestMessages, systemText } from "../messages";
import { staticPromptHash } from "../modelfit/groups";
import type { AnalysisCall, PlainMessage } from "../types";
import type { StaticSegment } from "./types";

export type StaticPromptGroup = {
  id: string;
  method: "hash" | "template";
  segments: StaticSegment[];
  calls: AnalysisCall[];
};

export type GroupingOptions = {
  /** Smallest group reported (a prompt sent once is not worth compressing). Default 2. */
  minGroupCalls?: number;
  /** Shortest common prefix/suffix (chars) that makes a template group. Default 120. */
  minTemplateChars?: number;
  /** Shortest fixed text around the user message's slot kept as a static segment. Default 12. */
  minSlotChars?: number;
};

function sha(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function lcp(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

const BOUNDARY = /[\s.,;:!?()[\]{}"'`<>|/\\-]/;

/** Longest common prefix of all texts, cut back to a word boundary where the texts go different ways. */
export function commonPrefix(texts: readonly string[]): string {
  if (texts.length === 0) return "";
  let n = texts[0].length;
  for (const t of texts) n = Math.min(n, lcp(texts[0], t));
  const exactForAll = texts.every((t) => t.length === n);
  if (exactForAll) return texts[0];
  // Some text continues past n: do not end inside a word ("Classify the messa|ge").
  const continuesMidWord = texts.some((t) => t.length > n && !BOUNDARY.test(t[n])) && n > 0 && !BOUNDARY.test(texts[0][n - 1]);
  if (continuesMidWord) {
    while (n > 0 && !BOUNDARY.test(texts[0][n - 1])) n--;
  }
  return texts[0].slice(0, n);
}

/** Longest common suffix of all texts, cut forward to a word boundary. */
export function commonSuffix(texts: readonly string[]): string {
  if (texts.length === 0) return "";
  const reversed = texts.map((t) => [...t].reverse().join(""));
  const r = commonPrefix(reversed);
  return [...r].reverse().join("");
}

type Keyed = { call: AnalysisCall; key: string };

/** Runs of sorted texts whose neighbours share >= minChars of prefix (chained, so a group's common prefix is the run's minimum). */
function prefixRuns(items: Keyed[], minChars: number, minCalls: number): { runs: Keyed[][]; rest: Keyed[] } {
  const sorted = items.slice().sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.call.id < b.call.id ? -1 : 1));
  const runs: Keyed[][] = [];
  const rest: Keyed[] = [];
  let cur: Keyed[] = [];
  let curMin = Infinity;
  const flush = () => {
    if (cur.length >= minCalls) runs.push(cur);
    else rest.push(...cur);
    cur = [];
    curMin = Infinity;
  };
  for (const it of sorted) {
    if (cur.length === 0) {
      cur.push(it);
      continue;
    }
    const l = lcp(cur[cur.length - 1].key, it.key);
    if (l >= minChars && Math.min(curMin, l) >= minChars) {
      cur.push(it);
      curMin = Math.min(curMin, l);
    } else {
      flush();
      cur.push(it);
    }
  }
  flush();
  return { runs, rest };
}

/** Same as prefixRuns on the reversed texts. */
function suffixRuns(items: Keyed[], minChars: number, minCalls: number): { runs: Keyed[][]; rest: Keyed[] } {
  const original = new Map(items.map((it) => [it.call.id, it.key]));
  const { runs, rest } = prefixRuns(
    items.map((it) => ({ call: it.call, key: [...it.key].reverse().join("") })),
    minChars,
    minCalls,
  );
  const back = (k: Keyed): Keyed => ({ call: k.call, key: original.get(k.call.id) ?? "" });
  return { runs: runs.map((r) => r.map(back)), rest: rest.map(back) };
}

function lastUserIndex(msgs: PlainMessage[]): number {
  for (let i = msgs.length - 1; i >= 0; i--) if (msgs[i].role === "user") return i;
  return -1;
}

function firstSystemIndex(msgs: PlainMessage[]): number {
  return msgs.findIndex((m) => m.role === "system" || m.role === "developer");
}

/** Fixed text before/after the slot of a message across the group (or the whole message when identical). */
function slotSegments(texts: string[], messageIndex: number, role: PlainMessage["role"], minChars: number): StaticSegment[] {
  if (texts.length === 0 || texts.some((t) => t === undefined)) return [];
  if (texts.every((t) => t === texts[0])) return texts[0].trim() ? [{ messageIndex, role, part: "whole", text: texts[0] }] : [];
  const prefix = commonPrefix(texts);
  const remainders = texts.map((t) => t.slice(prefix.length));
  const suffix = commonSuffix(remainders);
  const out: StaticSegment[] = [];
  if (prefix.trim().length >= minChars) out.push({ messageIndex, role, part: "prefix", text: prefix });
  if (suffix.trim().length >= minChars) out.push({ messageIndex, role, part: "suffix", text: suffix });
  return out;
}

/** Groups calls by static prompt. Calls in no group of at least `minGroupCalls` are returned as `ungrouped`. */
export function groupByStaticPrompt(calls: AnalysisCall[], opts: GroupingOptions = {}): { groups: StaticPromptGroup[]; ungrouped: AnalysisCall[] } {
  const minCalls = opts.minGroupCalls ?? 2;
  const minTemplate = opts.minTemplateChars ?? 120;
  const minSlot = opts.minSlotChars ?? 12;
  const ok = calls.filter((c) => c.status < 400);

  // 1. Exact system prompt.
  const byHash = new Map<string, AnalysisCall[]>();
  const leftovers: Keyed[] = [];
  const noSystem: AnalysisCall[] = [];
  for (const call of ok) {
    const h = staticPromptHash(call);
    if (!h) {
      noSystem.push(call);
      continue;
    }
    let arr = byHash.get(h);
    if (!arr) byHash.set(h, (arr = []));
    arr.push(call);
  }
  const groups: StaticPromptGroup[] = [];
  for (const [hash, members] of byHash) {
    if (members.length >= minCalls) {
      groups.push({ id: hash, method: "hash", segments: [], calls: members });
    } else for (const call of members) leftovers.push({ call, key: systemText(call) });
  }

  // 2. Templates: system prompts that differ (a date, a user name) and user messages built from a template.
  const templateGroups: Keyed[][] = [];
  const systemPrefix = prefixRuns(leftovers, minTemplate, minCalls);
  templateGroups.push(...systemPrefix.runs);
  const systemSuffix = suffixRuns(systemPrefix.rest, minTemplate, minCalls);
  templateGroups.push(...systemSuffix.runs);
  const userKeyed = noSystem.map((call) => ({ call, key: userTextOf(call) }));
  const userPrefix = prefixRuns(userKeyed, minTemplate, minCalls);
  templateGroups.push(...userPrefix.runs);
  const userSuffix = suffixRuns(userPrefix.rest, minTemplate, minCalls);
  templateGroups.push(...userSuffix.runs);
  const ungrouped = [...systemSuffix.rest, ...userSuffix.rest].map((k) => k.call);
  for (const run of templateGroups) groups.push({ id: "", method: "template", segments: [], calls: run.map((k) => k.call) });

  // 3. Segments of each group.
  for (const g of groups) {
    g.calls.sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime() || (a.id < b.id ? -1 : 1));
    const msgs = g.calls.map((c) => requestMessages(c.request));
    const first = msgs[0];
    const segs: StaticSegment[] = [];
    const sysIdx = firstSystemIndex(first);
    if (sysIdx >= 0) {
      const sysTexts = g.calls.map((c) => systemText(c));
      segs.push(...slotSegments(sysTexts, sysIdx, first[sysIdx].role, g.method === "hash" ? 0 : minSlot));
    }
    const userIdx = lastUserIndex(first);
    // Two or three calls share short openings by chance ("I would like to "): ask for a few calls.
    if (userIdx >= 0 && g.calls.length >= 3) {
      const userTexts = msgs.map((m) => m[lastUserIndex(m)]?.text ?? "");
      // A user message identical in every call of a multi-call group is a fixed instruction, not input.
      segs.push(...slotSegments(userTexts, userIdx, "user", minSlot));
    }
    g.segments = segs;
    if (!g.id) g.id = "t" + sha(segs.map((s) => `${s.role}:${s.part}:${s.text}`).join("\u0000")).slice(0, 15);
  }
  const withText = groups.filter((g) => g.segments.some((s) => s.text.trim()));
  for (const g of groups) if (!withText.includes(g)) ungrouped.push(...g.calls);
  const spend = (g: StaticPromptGroup) => g.calls.reduce((s, c) => s + (c.costUsd ?? 0), 0);
  withText.sort((a, b) => spend(b) - spend(a) || b.calls.length - a.calls.length || (a.id < b.id ? -1 : 1));
  return { groups: withText, ungrouped };
}

function userTextOf(call: AnalysisCall): string {
  const msgs = requestMessages(call.request);
  const i = lastUserIndex(msgs);
  return i >= 0 ? msgs[i].text : "";
}

/** The static text of a group as one string (segments joined by a blank line), for display and hashing. */
export function staticTextOf(segments: StaticSegment[]): string {
  return segments.map((s) => s.text).join("\n\n");
}
