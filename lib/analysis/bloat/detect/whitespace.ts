// Heavy whitespace and markdown: blank-line runs, trailing and repeated spaces, deep indentation, bold
// markers, heading hashes, horizontal rules and decorative emoji all cost tokens on every call and tell
// the model nothing it needs. Code fences are left alone (there the characters mean something).
import type { TextEdit, TextSpan } from "../types";
import type { DetectContext, DraftFinding } from "./context";

type Hit = { start: number; end: number; replacement: string };

function fencedRanges(text: string): Array<{ start: number; end: number }> {
  const out: Array<{ start: number; end: number }> = [];
  const re = /```[\s\S]*?(?:```|$)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) out.push({ start: m.index, end: m.index + m[0].length });
  return out;
}

function collect(text: string, re: RegExp, replace: (m: RegExpExecArray) => string, fences: Array<{ start: number; end: number }>): Hit[] {
  const out: Hit[] = [];
  const g = new RegExp(re.source, re.flags.includes("g") ? re.flags : re.flags + "g");
  let m: RegExpExecArray | null;
  while ((m = g.exec(text))) {
    if (m[0].length === 0) {
      g.lastIndex++;
      continue;
    }
    const start = m.index;
    const end = start + m[0].length;
    if (fences.some((f) => start < f.end && f.start < end)) continue;
    const replacement = replace(m);
    if (replacement !== m[0]) out.push({ start, end, replacement });
  }
  return out;
}

/** Non-overlapping hits, earliest first (a later rule never edits text an earlier rule already edits). */
function merge(hits: Hit[]): Hit[] {
  const sorted = hits.slice().sort((a, b) => a.start - b.start || b.end - a.end);
  const out: Hit[] = [];
  for (const h of sorted) {
    const last = out[out.length - 1];
    if (last && h.start < last.end) continue;
    out.push(h);
  }
  return out;
}

export function whitespaceHits(text: string, part: "whole" | "prefix" | "suffix"): Hit[] {
  const fences = fencedRanges(text);
  const hits: Hit[] = [];
  hits.push(...collect(text, /\n[ \t]*\n(?:[ \t]*\n)+/, () => "\n\n", fences));
  // Trailing spaces; the end of a prefix part is where the variable text starts, so it stays.
  hits.push(...collect(text, /[ \t]+(?=\n)/, () => "", fences));
  if (part !== "prefix") hits.push(...collect(text, /[ \t]+$/, () => "", fences));
  hits.push(...collect(text, /(?<=\S)[ \t]{2,}(?=\S)/, () => " ", fences));
  hits.push(...collect(text, /(?<=^|\n)[ \t]{4,}(?=\S)/, () => "", fences));
  if (part !== "suffix") hits.push(...collect(text, /^\s*\n/, () => "", fences));
  if (part !== "prefix") hits.push(...collect(text, /\n\s*$/, () => "", fences));
  return merge(hits);
}

export function markdownHits(text: string): Hit[] {
  const fences = fencedRanges(text);
  const hits: Hit[] = [];
  hits.push(...collect(text, /\*\*([^*\n]+?)\*\*/, (m) => m[1], fences));
  hits.push(...collect(text, /(?<![\w_])__([^_\n]+?)__(?![\w_])/, (m) => m[1], fences));
  hits.push(...collect(text, /(?<=^|\n)#{1,6}[ \t]+(?=\S)/, () => "", fences));
  hits.push(...collect(text, /(?<=^|\n)[ \t]*([-*_=])(?:[ \t]*\1){2,}[ \t]*(?:\n|$)/, () => "", fences));
  hits.push(...collect(text, /[ \t]?\p{Extended_Pictographic}\uFE0F?/u, () => "", fences));
  return merge(hits);
}

function finding(ctx: DetectContext, kind: "whitespace" | "markdown", perSegment: Hit[][], message: string): DraftFinding | null {
  const spans: TextSpan[] = [];
  const edits: TextEdit[] = [];
  perSegment.forEach((hits, segment) => {
    for (const h of hits) {
      spans.push({ segment, start: h.start, end: h.end, text: ctx.segments[segment].text.slice(h.start, h.end) });
      edits.push({ segment, start: h.start, end: h.end, replacement: h.replacement });
    }
  });
  if (edits.length === 0) return null;
  return { kind, message, spans, edits, evidence: { places: edits.length } };
}

export function detectWhitespaceAndMarkdown(ctx: DetectContext): DraftFinding[] {
  const ws = ctx.segments.map((s) => whitespaceHits(s.text, s.part));
  const md = ctx.segments.map((s) => markdownHits(s.text));
  return [
    finding(ctx, "whitespace", ws, "Blank-line runs, trailing/repeated spaces and deep indentation; collapsed."),
    finding(ctx, "markdown", md, "Markdown decoration (bold markers, heading hashes, rules, emoji); plain text says the same."),
  ].filter((f): f is DraftFinding => f !== null);
}
