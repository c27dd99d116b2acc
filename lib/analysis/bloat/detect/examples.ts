// Few-shot examples in a prompt: one example per output format shows the format; more repeat it. Finds
// "Input:/Output:"-style blocks (any of the usual marker words, optional "Example N:" header) and
// quoted-input arrow lines ("\"I lost my card\" -> lost_or_stolen_card"), groups them by output format
// and keeps the shortest of each format.
import { outputShape } from "../output-shape";
import type { TextEdit, TextSpan } from "../types";
import type { DetectContext, DraftFinding } from "./context";

export type PromptExample = { segment: number; start: number; end: number; input: string; output: string; shape: string };

const INPUT_KEYS = new Set(
  ["message", "input", "user", "customer", "query", "text", "question", "q", "request", "ticket", "email", "prompt", "review", "sentence", "customer message", "user message", "user input"],
);
const OUTPUT_KEYS = new Set(
  ["output", "assistant", "label", "category", "intent", "answer", "a", "response", "reply", "classification", "result", "json", "agent", "bot", "expected output", "correct label", "your answer", "your reply"],
);

const MARKER = /^(\s*(?:[-*]\s+)?(?:\*\*|__)?)([A-Za-z][A-Za-z ]{0,24}?)((?:\*\*|__)?\s*:(?:\*\*|__)?)[ \t]?(.*)$/;
const HEADER = /^\s*(?:#{1,6}\s*)?(?:\*\*|__)?\s*example\s*(?:#?\d+|[a-z])?\s*(?:\([^)]*\))?\s*(?:\*\*|__)?\s*[:.)\-–]?\s*(?:\*\*|__)?\s*$/i;
const ARROW = /^\s*(?:[-*]\s+)?(?:example\s*#?\d*\s*[:.)-]\s*)?(["“'][^"”']{2,}["”'])\s*(?:->|→|=>)\s*(.+?)\s*$/i;
const SECTION = /^\s*(?:#{1,6}\s+\S.*|[A-Z][^.!?]{0,60}:\s*)$/;

type Line = { start: number; end: number; text: string };

function linesOf(text: string): Line[] {
  const out: Line[] = [];
  let s = 0;
  for (;;) {
    const e = text.indexOf("\n", s);
    const end = e === -1 ? text.length : e;
    out.push({ start: s, end, text: text.slice(s, end) });
    if (e === -1) break;
    s = e + 1;
  }
  return out;
}

const BARE_HEADER = /^\s*(?:#{1,6}\s*)?(?:\*\*|__)?\s*(?:here are (?:some )?)?(?:examples?|samples?)(?: (?:prompts?|outputs?|responses?|answers?|replies))?\s*(?:\*\*|__)?\s*:?\s*(?:\*\*|__)?\s*$/i;

/**
 * Bare examples under an "Examples:" header with no Input/Output markers (e.g. several "/imagine prompt:
 * ..." lines): the run of following lines that start with the same first word as the first one.
 */
function bareExamples(text: string, segment: number): PromptExample[] {
  const lines = linesOf(text);
  const out: PromptExample[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!BARE_HEADER.test(lines[i].text)) continue;
    let j = i + 1;
    while (j < lines.length && !lines[j].text.trim()) j++;
    const first = lines[j]?.text.trim();
    if (!first || HEADER.test(lines[j].text) || ARROW.test(lines[j].text) || MARKER.test(lines[j].text)) continue;
    const word = first.split(/\s+/)[0];
    if (word.length < 2) continue;
    const run: Line[] = [];
    for (; j < lines.length; j++) {
      const t = lines[j].text.trim();
      if (!t) continue;
      if (t.split(/\s+/)[0] !== word || t.length < 20) break;
      run.push(lines[j]);
    }
    if (run.length < 2) continue;
    for (const l of run) {
      const lead = l.text.length - l.text.trimStart().length;
      const body = l.text.trim();
      out.push({ segment, start: l.start + lead, end: l.start + l.text.trimEnd().length, input: "", output: body, shape: outputShape(body) });
    }
    i = j - 1;
  }
  return out;
}

/** The examples in one segment's text, in order. */
export function findExamples(text: string, segment: number): PromptExample[] {
  const marked = markedExamples(text, segment);
  const bare = bareExamples(text, segment).filter((b) => !marked.some((m) => m.start < b.end && b.start < m.end));
  return [...marked, ...bare].sort((a, b) => a.start - b.start);
}

function markedExamples(text: string, segment: number): PromptExample[] {
  const out: PromptExample[] = [];
  type Cur = { start: number; end: number; input?: string[]; output?: string[] };
  let cur: Cur | null = null;
  let mode: "none" | "input" | "output" = "none";
  const close = () => {
    if (cur && cur.input && cur.output) {
      const output = cur.output.join("\n").trim();
      out.push({ segment, start: cur.start, end: cur.end, input: cur.input.join("\n").trim(), output, shape: outputShape(output) });
    }
    cur = null;
    mode = "none";
  };
  for (const line of linesOf(text)) {
    const lead = line.text.length - line.text.trimStart().length;
    const at = line.start + lead;
    const endTrim = line.start + line.text.trimEnd().length;
    if (HEADER.test(line.text)) {
      close();
      cur = { start: at, end: endTrim };
      continue;
    }
    const arrow = ARROW.exec(line.text);
    if (arrow) {
      close();
      const output = arrow[2].trim();
      out.push({ segment, start: at, end: endTrim, input: arrow[1], output, shape: outputShape(output) });
      continue;
    }
    const m = MARKER.exec(line.text);
    const key = m ? m[2].trim().toLowerCase() : "";
    if (m && INPUT_KEYS.has(key)) {
      if (cur && (cur as Cur).output) close();
      if (!cur) cur = { start: at, end: endTrim };
      const c = cur as Cur;
      if (!c.input) c.input = [m[4]];
      else c.input.push(m[4]);
      c.end = endTrim;
      mode = "input";
      continue;
    }
    if (m && OUTPUT_KEYS.has(key) && cur && (cur as Cur).input) {
      const c = cur as Cur;
      if (c.output) {
        close();
        continue;
      }
      c.output = [m[4]];
      c.end = endTrim;
      mode = "output";
      continue;
    }
    if (!line.text.trim()) {
      // A blank line ends an example (or drops a marker line that never got an answer).
      if (cur && ((cur as Cur).output || (cur as Cur).input)) close();
      continue;
    }
    if (mode === "output" && cur) {
      if (SECTION.test(line.text) && !/^\s*[{[]/.test(line.text)) {
        close();
        continue;
      }
      (cur as Cur).output!.push(line.text);
      (cur as Cur).end = endTrim;
    } else if (mode === "input" && cur) {
      (cur as Cur).input!.push(line.text);
      (cur as Cur).end = endTrim;
    } else if (cur) {
      cur = null; // a header not followed by a recognisable example
      mode = "none";
    }
  }
  close();
  return out;
}

function span(ctx: DetectContext, segment: number, start: number, end: number): TextSpan {
  return { segment, start, end, text: ctx.segments[segment].text.slice(start, end) };
}

/** Removal of whole example lines (from its line start to after its last line's newline). */
function exampleRemoval(text: string, segment: number, start: number, end: number): TextEdit {
  const lineStart = text.lastIndexOf("\n", start - 1) + 1;
  const nl = text.indexOf("\n", end);
  if (nl === -1) return { segment, start: Math.max(0, lineStart - 1), end: text.length, replacement: "" };
  return { segment, start: lineStart, end: nl + 1, replacement: "" };
}

export function detectExamples(ctx: DetectContext): { findings: DraftFinding[]; examples: PromptExample[] } {
  const examples = ctx.segments.flatMap((s, i) => findExamples(s.text, i));
  const findings: DraftFinding[] = [];
  const byShape = new Map<string, PromptExample[]>();
  for (const ex of examples) {
    let arr = byShape.get(ex.shape);
    if (!arr) byShape.set(ex.shape, (arr = []));
    arr.push(ex);
  }
  const tokensOf = (ex: PromptExample) => ctx.countTokens(ctx.segments[ex.segment].text.slice(ex.start, ex.end));
  for (const [shape, list] of byShape) {
    const sized = list.map((ex) => ({ ex, tokens: tokensOf(ex) }));
    const kept = sized.reduce((best, cur) => (cur.tokens < best.tokens ? cur : best));
    const extra = sized.filter((s) => s !== kept);
    if (extra.length > 0) {
      findings.push({
        kind: "extra_example",
        message: `${list.length} examples show the same output format (${shape}); one is enough. Keeps the shortest, removes ${extra.length}.`,
        spans: extra.map((s) => span(ctx, s.ex.segment, s.ex.start, s.ex.end)),
        related: [span(ctx, kept.ex.segment, kept.ex.start, kept.ex.end)],
        edits: extra.map((s) => exampleRemoval(ctx.segments[s.ex.segment].text, s.ex.segment, s.ex.start, s.ex.end)),
        evidence: { shape, examples: list.length, exampleTokens: sized.map((s) => s.tokens) },
      });
    }
    if (kept.tokens > ctx.longExampleTokens) {
      findings.push({
        kind: "long_example",
        message: `The example kept for format ${shape} is ${kept.tokens} tokens (over ${ctx.longExampleTokens}); a shorter one shows the format as well.`,
        spans: [span(ctx, kept.ex.segment, kept.ex.start, kept.ex.end)],
        edits: [],
        evidence: { shape, tokens: kept.tokens, limit: ctx.longExampleTokens },
      });
    }
  }
  return { findings, examples };
}
