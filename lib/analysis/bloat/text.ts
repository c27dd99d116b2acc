// Sentence-level reading of prompt text with exact char offsets, and the word-set comparisons the
// detectors share. Offsets always index the original string, so findings can point at the exact text.

export type Sentence = { start: number; end: number; text: string; line: number };

const LIST_MARKER = /^(?:[-*•+]\s+|\d{1,3}[.)]\s+|[a-z][.)]\s+)/;

/**
 * Sentences of `text`, one per line at least: lines are units (prompts are mostly lists), and a line is
 * split further after . ! ? followed by whitespace and an upper-case letter, digit or quote. Spans are
 * trimmed and exclude a leading list marker ("- ", "3. ").
 */
export function sentenceSpans(text: string): Sentence[] {
  const out: Sentence[] = [];
  let lineStart = 0;
  let lineNo = 0;
  while (lineStart <= text.length) {
    let lineEnd = text.indexOf("\n", lineStart);
    if (lineEnd === -1) lineEnd = text.length;
    const line = text.slice(lineStart, lineEnd);
    const lead = line.length - line.trimStart().length;
    const marker = LIST_MARKER.exec(line.slice(lead));
    let pos = lead + (marker ? marker[0].length : 0);
    const re = /[.!?]["')\]]?\s+(?=["'(\[]?[A-Z0-9])/g;
    re.lastIndex = pos;
    let m: RegExpExecArray | null;
    const cuts: number[] = [];
    while ((m = re.exec(line))) cuts.push(m.index + m[0].trimEnd().length);
    for (const cut of [...cuts, line.length]) {
      const raw = line.slice(pos, cut);
      const s = pos + (raw.length - raw.trimStart().length);
      const e = pos + raw.trimEnd().length;
      if (e > s) out.push({ start: lineStart + s, end: lineStart + e, text: text.slice(lineStart + s, lineStart + e), line: lineNo });
      pos = cut;
    }
    if (lineEnd === text.length) break;
    lineStart = lineEnd + 1;
    lineNo++;
  }
  return out;
}

const STOPWORDS = new Set(
  (
    "a an the to of and or in on at for with by from as is are be been being was were this that these those it its " +
    "you your yours we our us i me my please kindly should must shall will would can could may might always also just " +
    "really very make sure remember important note do does did so then than there here their them they he she his her " +
    "any all each every some such about into onto over under up out what which who whom whose how why where when " +
    "while have has had get gets got give gives given keep"
  ).split(" "),
);

function stem(w: string): string {
  if (w.length > 4 && w.endsWith("ies")) return w.slice(0, -3) + "y";
  if (w.length > 4 && w.endsWith("ing")) return w.slice(0, -3);
  if (w.length > 3 && w.endsWith("ed")) return w.slice(0, -2);
  if (w.length > 3 && w.endsWith("s") && !w.endsWith("ss")) return w.slice(0, -1);
  return w;
}

/** Lower-cased, stemmed words that carry meaning (negations kept and folded to "not"). */
export function contentWords(text: string): string[] {
  const words = text
    .toLowerCase()
    .replace(/n['’]t\b/g, " not")
    .match(/[a-z0-9_]+/g);
  if (!words) return [];
  const out: string[] = [];
  for (const w of words) {
    const v = w === "never" || w === "no" ? "not" : w;
    if (STOPWORDS.has(v)) continue;
    out.push(stem(v));
  }
  return out;
}

/** Share of `a`'s distinct words that also occur in `b` (1 = `a` says nothing `b` does not). */
export function coverage(a: readonly string[], b: readonly string[]): number {
  const sa = new Set(a);
  if (sa.size === 0) return 0;
  const sb = new Set(b);
  let n = 0;
  for (const w of sa) if (sb.has(w)) n++;
  return n / sa.size;
}

/** Normalised form for exact-repeat comparison. */
export function normalise(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, " ")
    .trim();
}

/**
 * The edit that removes [start, end) cleanly: the whole line (with its newline) when nothing else but a
 * list marker and whitespace is on it, else the span plus the spaces after it (or before it at line end).
 */
export function removalEdit(text: string, start: number, end: number): { start: number; end: number; replacement: string } {
  const lineStart = text.lastIndexOf("\n", start - 1) + 1;
  let lineEnd = text.indexOf("\n", end);
  if (lineEnd === -1) lineEnd = text.length;
  const before = text.slice(lineStart, start);
  const after = text.slice(end, lineEnd);
  if (/^\s*(?:[-*•+]\s+|\d{1,3}[.)]\s+|[a-z][.)]\s+)?$/.test(before) && /^\s*$/.test(after)) {
    // Whole line: take its newline too (or the previous one at the end of the text).
    if (lineEnd < text.length) return { start: lineStart, end: lineEnd + 1, replacement: "" };
    return { start: Math.max(0, lineStart - 1), end: lineEnd, replacement: "" };
  }
  let e = end;
  while (e < lineEnd && (text[e] === " " || text[e] === "\t")) e++;
  if (e === lineEnd) {
    let s = start;
    while (s > lineStart && (text[s - 1] === " " || text[s - 1] === "\t")) s--;
    return { start: s, end: lineEnd, replacement: "" };
  }
  return { start, end: e, replacement: "" };
}

/** Line [start, end) (without the newline) containing `offset`. */
export function lineAt(text: string, offset: number): { start: number; end: number } {
  const start = text.lastIndexOf("\n", offset - 1) + 1;
  let end = text.indexOf("\n", offset);
  if (end === -1) end = text.length;
  return { start, end };
}

export function overlaps(a: { start: number; end: number }, b: { start: number; end: number }): boolean {
  return a.start < b.end && b.start < a.end;
}
