// Persona and backstory that do not constrain the output: a name, years of experience, company history,
// personality adjectives. A sentence is only flagged when it has a persona cue and no word that shapes
// the answer (respond, format, only, never, label, ...), so "You are a classifier for banking intents"
// stays and "You are Ava, a warm assistant who has helped customers for 10 years" goes.
import { removeSentence, spanOf, unclaimedSentences, type DetectContext, type DraftFinding, type SegmentSentence } from "./context";

/** Cues that are about the persona or the company by themselves. */
const PERSONA_CUES: RegExp[] = [
  /\byour name is\b/i,
  /\byou are called\b/i,
  /\byou(?:'re| are) [A-Z][a-z]+,/,
  /\b\d+\+? years? of (?:experience|expertise)\b/i,
  /\bfounded (?:in|by)\b/i,
  /\bheadquartered\b/i,
  /\bfamily[- ]owned\b/i,
  /\baward[- ]winning\b/i,
  /\bour (?:mission|values|vision|story)\b/i,
  /\bpride (?:yourself|ourselves|itself)\b/i,
  /\bpersonality\b/i,
  /\bbackstory\b/i,
  /\bhobb(?:y|ies)\b/i,
  /\bin (?:your|her|his) (?:free|spare) time\b/i,
  /\bgrew up\b/i,
  /\btrusted by\b/i,
  /\bmillions of (?:customers|users|people|clients)\b/i,
  /\bleading (?:provider|bank|company|retailer)\b/i,
];

/** Traits and history that are persona only when the sentence is about "you" / "we" (not "warm colour tones"). */
const TRAIT_CUES: RegExp[] = [
  /\b(?:warm|cheerful|empathetic|caring|kind-hearted|bubbly|upbeat|friendly|world[- ]class|renowned|proud)\b/i,
  /\bpassion(?:ate)?\b/i,
  /\b(?:love|loves|enjoy|enjoys) (?:helping|to help|assisting|solving|chatting|making)\b/i,
  /\bsince \d{4}\b/i,
  /\bfor (?:over|more than|almost|nearly|about) \d+ years\b/i,
];
const SELF = /\b(?:you|you're|your|yourself|we|we're|our|us)\b/i;

/** Words that make a sentence an instruction about the answer. */
const CONSTRAINS_OUTPUT =
  /\b(?:respond\w*|repl(?:y|ies)|answer\w*|output\w*|return\w*|format\w*|classif\w*|categor\w*|label\w*|intents?|json|only|never|not|don't|do not|must|exactly|words?|sentences?|limit\w*|include|exclude|escalat\w*|if|when|unless|always|avoid)\b/i;

export function isPersonaSentence(text: string): boolean {
  const cue = PERSONA_CUES.some((re) => re.test(text)) || (SELF.test(text) && TRAIT_CUES.some((re) => re.test(text)));
  return cue && !CONSTRAINS_OUTPUT.test(text);
}

export function detectPersona(ctx: DetectContext): DraftFinding[] {
  const sentences = unclaimedSentences(ctx);
  const runs: SegmentSentence[][] = [];
  let run: SegmentSentence[] = [];
  for (const s of sentences) {
    if (isPersonaSentence(s.text)) {
      const prev = run[run.length - 1];
      if (prev && (prev.segment !== s.segment || prev.index !== s.index - 1)) {
        runs.push(run);
        run = [];
      }
      run.push(s);
    } else if (run.length) {
      runs.push(run);
      run = [];
    }
  }
  if (run.length) runs.push(run);
  return runs.map((r) => ({
    kind: "persona" as const,
    message: `Persona/backstory (${r.length} sentence${r.length > 1 ? "s" : ""}) that no output constraint depends on; removed.`,
    spans: r.map((s) => spanOf(ctx, s.segment, s.start, s.end)),
    edits: r.map((s) => removeSentence(ctx, s)),
  }));
}
