// The compressed candidate: the findings' deterministic edits applied to the static segments, in a fixed
// priority order, skipping edits that overlap one already taken. Whitespace left behind by removals is
// tidied (empty list items, blank-line runs), so the measured saving is what the new prompt really costs.
import type { StaticSegment, TextEdit } from "./types";

/** Order in which findings' edits are taken when they overlap. */
export const EDIT_PRIORITY = [
  "duplicate_schema",
  "extra_example",
  "unused_output_format",
  "contradicted_instruction",
  "repeated_instruction",
  "persona",
  "markdown",
  "whitespace",
] as const;

type Editable = { edits: TextEdit[] };

/**
 * Applies `findings[i].edits` in the given order. Returns the new segments and, per finding, whether all
 * of its edits took effect (taken, or inside text another edit removed).
 */
export function applyFindingEdits(segments: StaticSegment[], findings: Editable[]): { segments: StaticSegment[]; applied: boolean[] } {
  const accepted: TextEdit[][] = segments.map(() => []);
  const applied = findings.map((f) => {
    let all = true;
    for (const edit of f.edits) {
      const seg = segments[edit.segment];
      if (!seg) {
        all = false;
        continue;
      }
      const taken = accepted[edit.segment];
      let e = { ...edit };
      let skip = false;
      for (const t of taken) {
        if (!(e.start < t.end && t.start < e.end) && !(e.start === e.end && e.start > t.start && e.start < t.end)) continue;
        // Inside a removal already taken: nothing left to do.
        if (t.replacement === "" && e.start >= t.start && e.end <= t.end) {
          skip = true;
          break;
        }
        // Overlap only in whitespace: clip it off.
        const overlapStart = Math.max(e.start, t.start);
        const overlapEnd = Math.min(e.end, t.end);
        const whitespaceOnly = e.replacement.trim() === "" && (e.replacement === "" || seg.text.slice(e.start, e.end).trim() === "");
        if (whitespaceOnly && seg.text.slice(overlapStart, overlapEnd).trim() === "") {
          if (e.start < t.start) e = { ...e, end: t.start };
          else e = { ...e, start: t.end };
          if (e.end <= e.start) {
            skip = true;
            break;
          }
          continue;
        }
        all = false;
        skip = true;
        break;
      }
      if (!skip) taken.push(e);
    }
    return all;
  });
  const out = segments.map((seg, i) => ({ ...seg, text: tidy(applyEdits(seg.text, accepted[i]), seg.part, seg.text) }));
  return { segments: out, applied };
}

export function applyEdits(text: string, edits: TextEdit[]): string {
  let out = text;
  for (const e of edits.slice().sort((a, b) => b.start - a.start || b.end - a.end)) out = out.slice(0, e.start) + e.replacement + out.slice(e.end);
  return out;
}

/** Cleans what removals leave: bare list markers, blank-line runs, spaces before punctuation/line ends. */
function tidy(text: string, part: StaticSegment["part"], original: string): string {
  if (text === original) return text;
  let t = text
    .replace(/(^|\n)[ \t]*(?:[-*•+]|\d{1,3}[.)])[ \t]*(?=\n|$)/g, "$1")
    .replace(/\n[ \t]*\n(?:[ \t]*\n)+/g, "\n\n")
    .replace(/[ \t]+(?=\n)/g, "");
  if (part !== "suffix") t = t.replace(/^\s*\n/, "");
  if (part !== "prefix") t = t.replace(/\n\s*$/, "");
  return t;
}
