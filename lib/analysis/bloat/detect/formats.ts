// Output formats the prompt describes but the logged outputs never use ("If the customer reports fraud,
// reply ESCALATE: <reason>", "For multiple requests return a JSON object ..."). Every call pays for the
// description; if none of N outputs used it, the Wilson upper bound says how rare it can still be.
// Conditional formats are removed; an unconditional format that is never produced is only flagged
// (the model ignores it, but removing it changes what the prompt asks for).
import { wilsonInterval } from "../../../stats/wilson";
import { parseJsonOutput } from "../output-shape";
import { removeSentence, spanOf, unclaimedSentences, type DetectContext, type DraftFinding } from "./context";

type Described = { format: string; test: (output: string) => boolean };

const RESPONSE_WORDS = /\b(?:respond|reply|answer|output|return|format|write|use|start|prefix|begin|produce|send)\w*\b/i;
const CONDITIONAL = /\b(?:if|when|whenever|in case|for (?:any|each|every|requests?|messages?|questions?|customers?)\b)/i;

/** The output formats a sentence describes, each with a test on an output. */
export function describedFormats(text: string): Described[] {
  if (!RESPONSE_WORDS.test(text)) return [];
  const out: Described[] = [];
  if (/\bjson\b/i.test(text)) out.push({ format: "json", test: (o) => parseJsonOutput(o) !== undefined || /^\s*[{[][\s\S]*[}\]]\s*$/.test(o) });
  if (/\b(?:markdown )?table\b/i.test(text)) out.push({ format: "table", test: (o) => /^\s*\|.*\|\s*$/m.test(o) });
  if (/\bbullet(?:ed)? (?:list|points)\b/i.test(text)) out.push({ format: "bullet list", test: (o) => /^\s*[-*•]\s+\S/m.test(o) });
  if (/\bnumbered list\b/i.test(text)) out.push({ format: "numbered list", test: (o) => /^\s*\d{1,2}[.)]\s+\S/m.test(o) });
  if (/\bxml\b/i.test(text)) out.push({ format: "xml", test: (o) => /<([A-Za-z][\w-]*)[^>]*>[\s\S]*<\/\1>/.test(o) });
  if (/\bcode block\b/i.test(text)) out.push({ format: "code block", test: (o) => o.includes("```") });
  // Literal markers: an upper-case word the answer must start with or contain ("ESCALATE:", "NEEDS_HUMAN").
  const markers = new Set<string>();
  for (const m of text.matchAll(/["'`“]?\b([A-Z][A-Z_]{3,})\b["'`”]?\s*:?/g)) {
    if (!["JSON", "XML", "YAML", "CSV", "HTML", "NOTE", "IMPORTANT", "ONLY", "NEVER", "ALWAYS", "NOT", "MUST", "DO"].includes(m[1])) markers.add(m[1]);
  }
  for (const marker of markers) out.push({ format: `marker ${marker}`, test: (o) => o.includes(marker) });
  return out;
}

export function detectUnusedFormats(ctx: DetectContext): DraftFinding[] {
  const outputs = ctx.outputs.filter((o) => o && o.trim());
  if (outputs.length < ctx.minOutputsForUnusedFormat) return [];
  const findings: DraftFinding[] = [];
  for (const s of unclaimedSentences(ctx)) {
    const described = describedFormats(s.text);
    if (described.length === 0) continue;
    const unused = described.filter((d) => !outputs.some((o) => d.test(o)));
    // Every format the sentence offers is unused (a sentence offering JSON-or-label, with labels seen, is in use).
    if (unused.length === 0 || unused.length < described.length) continue;
    const conditional = CONDITIONAL.test(s.text);
    const bound = wilsonInterval(0, outputs.length);
    findings.push({
      kind: "unused_output_format",
      message: `Describes ${unused.map((u) => u.format).join(", ")}, which none of ${outputs.length} logged outputs uses (at most ${(bound.high * 100).toFixed(
        1,
      )}% of calls need it, 95% bound)${conditional ? "; removed" : "; it is the main instruction, so only flagged"}.`,
      spans: [spanOf(ctx, s.segment, s.start, s.end)],
      edits: conditional ? [removeSentence(ctx, s)] : [],
      evidence: { formats: unused.map((u) => u.format), outputsChecked: outputs.length, usedBy: 0, usageUpperBound: bound.high, conditional },
    });
  }
  return findings;
}
