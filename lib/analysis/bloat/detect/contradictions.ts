// Instructions contradicted later: a prompt grown by appending fixes keeps the old rule next to the new
// one ("Keep answers under 50 words" ... "Answers may be up to 120 words"; "Always greet the customer" ...
// "Do not greet the customer"; "Respond in JSON" ... "Respond with the label only"). The later rule is the
// fix, so the earlier one is what goes.
import { contentWords, coverage } from "../text";
import { removeSentence, spanOf, unclaimedSentences, type DetectContext, type DraftFinding, type SegmentSentence } from "./context";

const LIMIT =
  /\b(?:under|below|fewer than|less than|at most|no more than|not more than|maximum(?: of)?|max(?:imum)?|up to|within|limit(?:ed)? to|not exceed(?:ing)?|exceed)\s+(\d+)\s+(words?|sentences?|characters?|chars?|tokens?|lines?|bullet points?|bullets?|paragraphs?|items?)\b/i;

const CONDITIONAL = /\b(?:if|when|whenever|unless|in case|for (?:any|each|every|requests?|messages?|questions?) (?:that|about|where|which|with))\b/i;

const RESPONSE_VERB = /\b(?:respond|reply|answer|output|return|format|write|provide|give|use)\b/i;

/** The response format a sentence prescribes, if any. */
export function formatOf(text: string): string | null {
  if (!RESPONSE_VERB.test(text)) return null;
  if (/\bjson\b/i.test(text)) return "json";
  if (/\b(?:only|just) (?:the |a |one )?(?:category|label|intent|class)(?: name)?\b|\b(?:single|one)[- ](?:word|label)\b|\blabel only\b/i.test(text)) return "label";
  if (/\bxml\b/i.test(text)) return "xml";
  if (/\byaml\b/i.test(text)) return "yaml";
  if (/\bcsv\b/i.test(text)) return "csv";
  if (/\bplain text\b/i.test(text)) return "plain text";
  if (/\bmarkdown table\b|\bas a table\b|\bin a table\b/i.test(text)) return "table";
  if (/\bbullet(?:ed)? (?:list|points)\b|\bnumbered list\b/i.test(text)) return "list";
  return null;
}

type Polar = { polarity: "always" | "never"; words: string[] };

function polarityOf(text: string): Polar | null {
  const never = /\b(?:never|do not|don't|avoid|must not|should not)\b\s+(.*)$/i.exec(text);
  if (never) return { polarity: "never", words: contentWords(never[1]) };
  const always = /\b(?:always|make sure to|be sure to|you must)\b\s+(.*)$/i.exec(text);
  if (always) return { polarity: "always", words: contentWords(always[1]) };
  return null;
}

function unitKey(unit: string): string {
  const u = unit.toLowerCase().replace(/s$/, "");
  return u === "char" ? "character" : u === "bullet point" ? "bullet" : u;
}

export function detectContradictions(ctx: DetectContext): DraftFinding[] {
  const sentences = unclaimedSentences(ctx);
  const findings: DraftFinding[] = [];
  const flagged = new Set<number>();
  const flag = (earlier: SegmentSentence, later: SegmentSentence, what: string, evidence: Record<string, unknown>) => {
    if (flagged.has(earlier.index)) return;
    flagged.add(earlier.index);
    // Removing is only safe when the sentence is about nothing else (short); longer ones are flagged.
    const short = earlier.text.split(/\s+/).length <= 25;
    findings.push({
      kind: "contradicted_instruction",
      message: `${what} The later instruction wins${short ? "; the earlier one is removed" : "; the earlier one is long, so it is only flagged"}.`,
      spans: [spanOf(ctx, earlier.segment, earlier.start, earlier.end)],
      related: [spanOf(ctx, later.segment, later.start, later.end)],
      edits: short ? [removeSentence(ctx, earlier)] : [],
      evidence,
    });
  };
  for (let j = 0; j < sentences.length; j++) {
    const later = sentences[j];
    const laterLimit = LIMIT.exec(later.text);
    const laterFormat = CONDITIONAL.test(later.text) ? null : formatOf(later.text);
    const laterPolar = polarityOf(later.text);
    for (let i = 0; i < j; i++) {
      const earlier = sentences[i];
      if (laterLimit) {
        const el = LIMIT.exec(earlier.text);
        if (el && unitKey(el[2]) === unitKey(laterLimit[2]) && el[1] !== laterLimit[1]) {
          flag(earlier, later, `Two different limits on the answer length (${el[1]} vs ${laterLimit[1]} ${unitKey(el[2])}s).`, {
            type: "limit",
            earlier: Number(el[1]),
            later: Number(laterLimit[1]),
            unit: unitKey(el[2]),
          });
          continue;
        }
      }
      if (laterFormat && !CONDITIONAL.test(earlier.text)) {
        const ef = formatOf(earlier.text);
        if (ef && ef !== laterFormat) {
          flag(earlier, later, `Two different answer formats (${ef} vs ${laterFormat}).`, { type: "format", earlier: ef, later: laterFormat });
          continue;
        }
      }
      if (laterPolar && laterPolar.words.length >= 2) {
        const ep = polarityOf(earlier.text);
        if (ep && ep.polarity !== laterPolar.polarity && ep.words.length >= 2) {
          const small = ep.words.length <= laterPolar.words.length ? ep.words : laterPolar.words;
          const big = small === ep.words ? laterPolar.words : ep.words;
          if (coverage(small, big) >= 0.7) {
            flag(earlier, later, `"${ep.polarity}" here and "${laterPolar.polarity}" later about the same thing.`, {
              type: "polarity",
              earlier: ep.polarity,
              later: laterPolar.polarity,
            });
          }
        }
      }
    }
  }
  return findings;
}
