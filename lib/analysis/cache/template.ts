// Template stripping: many calls wrap a small variable slot in a long fixed text (instructions,
// few-shot examples, a persona). Compared whole, unrelated requests look identical (18 WildChat
// prompts share 3.7k characters around a slot of a few words). So we find families of texts that share
// a long prefix and/or suffix, keep the fixed part as the template (it scopes the cache: two templates
// never share entries) and compare only the slot.
//
// A family needs `minMembers` distinct texts that each share the prefix (or suffix) with at least
// minMembers-1 others, covering `minShare` of the group's distinct texts, and a fixed part of at least
// `minFixedChars`: natural requests that happen to start alike ("How long does it take for a transfer")
// stay whole. Lines repeated across most of a family (a second fixed block between two slots) are
// removed from the slot too.
import { createHash } from "node:crypto";

export type TemplateOptions = {
  /** Distinct texts a family needs. Default 5. */
  minMembers?: number;
  /** Share of the group's distinct texts a family needs. Default 0.005. */
  minShare?: number;
  /** Shortest shared prefix or suffix considered. Default 16 characters. */
  minAffixChars?: number;
  /** Shortest fixed part (prefix + suffix) that makes a template. Default 48 characters. */
  minFixedChars?: number;
  /** A line found in at least this share of a family's slots is template text. Default 0.8. */
  sharedLineShare?: number;
};

export type Template = {
  id: string;
  prefix: string;
  suffix: string;
  /** Fixed lines removed from inside the slot. */
  sharedLines: string[];
  /** Distinct texts that use it. */
  members: number;
};

export type TemplateSplit = { templateId: string | null; varying: string };

export type TemplateExtraction = {
  templates: Template[];
  /** The template and varying part of a text that was part of the extraction input. */
  split(text: string): TemplateSplit;
};

const WORD = /[\p{L}\p{N}_]/u;

function commonPrefix(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

// Reverses UTF-16 code units (splits surrogate pairs, harmlessly: only used to sort and compare ends).
function reverse(s: string): string {
  return s.split("").reverse().join("");
}

/**
 * Prefix families of `texts` (distinct): returns for each text the length of its family's common
 * prefix, or 0. A text qualifies when some window of `k` consecutive texts in sorted order containing
 * it shares >= minChars; consecutive qualifying texts that share >= minChars form one family, whose
 * prefix is what all of them share (so a sub-group sharing one more word does not get its own template).
 */
function prefixFamilies(texts: readonly string[], k: number, minChars: number): Map<string, number> {
  const out = new Map<string, number>();
  const sorted = [...texts].sort();
  const n = sorted.length;
  if (n < k || k < 2) return out;
  const adj = new Int32Array(n); // adj[i] = lcp(sorted[i-1], sorted[i]), adj[0] = 0
  for (let i = 1; i < n; i++) adj[i] = commonPrefix(sorted[i - 1], sorted[i]);
  // windowMin[l] = shared prefix of sorted[l .. l+k-1] = min(adj[l+1 .. l+k-1]) (sliding minimum).
  const windows = n - k + 1;
  const windowMin = new Int32Array(windows);
  const deque: number[] = [];
  let head = 0;
  for (let i = 1; i < n; i++) {
    while (deque.length > head && adj[deque[deque.length - 1]] >= adj[i]) deque.pop();
    deque.push(i);
    // The window of texts [start-1, i] shares min(adj[start .. i]).
    const start = i - k + 2;
    if (start >= 1) {
      while (deque[head] < start) head++;
      windowMin[start - 1] = adj[deque[head]];
    }
  }
  const qualifies = new Uint8Array(n);
  for (let l = 0; l < windows; l++) if (windowMin[l] >= minChars) for (let i = l; i < l + k; i++) qualifies[i] = 1;
  let i = 0;
  while (i < n) {
    if (!qualifies[i]) {
      i++;
      continue;
    }
    let j = i;
    let shared = Infinity;
    while (j + 1 < n && qualifies[j + 1] && adj[j + 1] >= minChars) {
      shared = Math.min(shared, adj[j + 1]);
      j++;
    }
    if (j - i + 1 >= k) for (let m = i; m <= j; m++) out.set(sorted[m], shared);
    i = j + 1;
  }
  return out;
}

/** Moves a cut back so it never splits a word: the prefix ends at a non-word character. */
function snapPrefix(text: string, length: number): number {
  let p = Math.min(length, text.length);
  if (p < text.length) while (p > 0 && WORD.test(text[p - 1]) && WORD.test(text[p])) p--;
  return p;
}

function snapSuffix(text: string, length: number): number {
  let s = Math.min(length, text.length);
  const start = () => text.length - s;
  if (s < text.length) while (s > 0 && WORD.test(text[start()]) && WORD.test(text[start() - 1])) s--;
  return s;
}

function templateId(prefix: string, suffix: string, lines: string[]): string {
  return createHash("sha256").update(prefix).update("\u0000").update(suffix).update("\u0000").update(lines.join("\n")).digest("hex").slice(0, 16);
}

function commonPrefixOf(texts: readonly string[]): number {
  let p = texts[0]?.length ?? 0;
  for (const t of texts) p = Math.min(p, commonPrefix(texts[0], t));
  return p;
}

function commonSuffixOf(texts: readonly string[]): number {
  return commonPrefixOf(texts.map(reverse));
}

/** Finds templates among the distinct `texts` of one group (feature + model). Deterministic. */
export function extractTemplates(texts: readonly string[], opts: TemplateOptions = {}): TemplateExtraction {
  const minMembers = opts.minMembers ?? 5;
  const minShare = opts.minShare ?? 0.005;
  const minAffix = opts.minAffixChars ?? 16;
  const minFixed = opts.minFixedChars ?? 48;
  const lineShare = opts.sharedLineShare ?? 0.8;
  const distinct = [...new Set(texts)].sort();
  const k = Math.max(minMembers, Math.ceil(minShare * distinct.length));

  // Families keyed by their defining affix. Prefix families first; each takes, as its suffix, whatever
  // all its members still share at the end (the fixed text after the slot may be short, e.g. "Intent:").
  // Texts in no prefix family may form suffix families (slot first, instructions after).
  type Family = { texts: string[]; prefixLen: (t: string) => number; suffixLen: (t: string) => number };
  const families: Family[] = [];
  const prefixes = prefixFamilies(distinct, k, minAffix);
  const byPrefix = new Map<number, Map<string, string[]>>();
  for (const [text, len] of prefixes) {
    const key = text.slice(0, len);
    let m = byPrefix.get(len);
    if (!m) byPrefix.set(len, (m = new Map()));
    const list = m.get(key) ?? [];
    list.push(text);
    m.set(key, list);
  }
  const inPrefixFamily = new Set(prefixes.keys());
  for (const m of byPrefix.values()) {
    for (const [key, members] of m) {
      const p = members.reduce((min, t) => Math.min(min, snapPrefix(t, key.length)), key.length);
      const rest = members.map((t) => t.slice(p));
      const s = commonSuffixOf(rest);
      families.push({ texts: members, prefixLen: () => p, suffixLen: (t) => snapSuffix(t, Math.min(s, t.length - p)) });
    }
  }
  const others = distinct.filter((t) => !inPrefixFamily.has(t));
  const suffixes = prefixFamilies(others.map(reverse), k, minAffix);
  const bySuffix = new Map<string, string[]>();
  for (const [rev, len] of suffixes) {
    const text = reverse(rev);
    const key = text.slice(text.length - len);
    const list = bySuffix.get(key) ?? [];
    list.push(text);
    bySuffix.set(key, list);
  }
  for (const [key, members] of bySuffix) {
    const s = members.reduce((min, t) => Math.min(min, snapSuffix(t, key.length)), key.length);
    const p = commonPrefixOf(members.map((t) => t.slice(0, t.length - s)));
    families.push({ texts: members, prefixLen: (t) => snapPrefix(t, Math.min(p, t.length - s)), suffixLen: () => s });
  }

  const templates: Template[] = [];
  const byText = new Map<string, { template: Template; slot: string }>();
  for (const f of families) {
    const first = f.texts[0];
    const prefix = first.slice(0, f.prefixLen(first));
    const suffix = first.slice(first.length - f.suffixLen(first));
    if (prefix.length + suffix.length < minFixed) continue;
    const slots = f.texts.map((t) => t.slice(prefix.length, t.length - suffix.length));
    const lineCounts = new Map<string, number>();
    for (const slot of slots) for (const line of new Set(slot.split("\n").map((l) => l.trim()))) if (line.length >= minAffix) lineCounts.set(line, (lineCounts.get(line) ?? 0) + 1);
    const sharedLines = [...lineCounts.entries()].filter(([, c]) => c >= lineShare * slots.length).map(([l]) => l).sort();
    const shared = new Set(sharedLines);
    const template: Template = { id: templateId(prefix, suffix, sharedLines), prefix, suffix, sharedLines, members: f.texts.length };
    templates.push(template);
    f.texts.forEach((t, i) => {
      const slot = shared.size ? slots[i].split("\n").filter((l) => !shared.has(l.trim())).join("\n") : slots[i];
      byText.set(t, { template, slot });
    });
  }
  templates.sort((a, b) => b.members - a.members || (a.id < b.id ? -1 : 1));
  return {
    templates,
    split(text: string): TemplateSplit {
      const hit = byText.get(text);
      return hit ? { templateId: hit.template.id, varying: hit.slot.trim() } : { templateId: null, varying: text };
    },
  };
}
