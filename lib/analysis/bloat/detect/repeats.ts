// Repeated and near-repeated instructions: prompts grown by appending fixes say the same thing twice
// ("Respond only with the label." ... "Remember: only answer with the label, nothing else."). A sentence
// whose meaningful words are (almost) all in another sentence adds nothing; the one that says less goes.
import { contentWords, coverage, normalise } from "../text";
import { removeSentence, spanOf, unclaimedSentences, type DetectContext, type DraftFinding, type SegmentSentence } from "./context";

/** Share of a sentence's words that may be new for it still to count as a near-repeat. */
const NEAR_REPEAT_COVERAGE = 0.8;

type Read = SegmentSentence & { words: string[]; norm: string; negated: boolean; numbers: string };

export function detectRepeats(ctx: DetectContext): DraftFinding[] {
  const sentences: Read[] = unclaimedSentences(ctx).map((s) => {
    const words = contentWords(s.text);
    return { ...s, words, norm: normalise(s.text), negated: words.includes("not"), numbers: (s.text.match(/\d+/g) ?? []).join(",") };
  });
  const kept: Read[] = [];
  const findings: DraftFinding[] = [];
  const flag = (removed: Read, other: Read, exact: boolean) => {
    findings.push({
      kind: "repeated_instruction",
      message: exact
        ? "This sentence repeats an earlier one word for word; the repeat is removed."
        : `This sentence says nothing that ${other.index < removed.index ? "an earlier" : "a later"} sentence does not already say (${Math.round(
            coverage(removed.words, other.words) * 100,
          )}% of its words are there); it is removed.`,
      spans: [spanOf(ctx, removed.segment, removed.start, removed.end)],
      related: [spanOf(ctx, other.segment, other.start, other.end)],
      edits: [removeSentence(ctx, removed)],
      evidence: { exact, coverage: coverage(removed.words, other.words) },
    });
  };
  for (const s of sentences) {
    const wordCount = s.norm ? s.norm.split(" ").length : 0;
    if (wordCount >= 3) {
      const twin = kept.find((k) => k.norm === s.norm);
      if (twin) {
        flag(s, twin, true);
        continue;
      }
    }
    if (s.words.length >= 3) {
      // Same polarity and the same numbers only: "never X" vs "X", or "50 words" vs "80 words", are
      // contradictions (detected elsewhere), not repeats.
      const comparable = kept.filter((k) => k.words.length >= 3 && k.negated === s.negated && k.numbers === s.numbers);
      const covered = comparable.find((k) => coverage(s.words, k.words) >= NEAR_REPEAT_COVERAGE);
      if (covered) {
        flag(s, covered, false);
        continue;
      }
      // The earlier sentence is the one that says less: drop it, keep the later, fuller one.
      const weaker = comparable.find((k) => coverage(k.words, s.words) >= NEAR_REPEAT_COVERAGE);
      if (weaker) {
        flag(weaker, s, false);
        kept.splice(kept.indexOf(weaker), 1);
      }
    }
    kept.push(s);
  }
  return findings.sort((a, b) => a.spans[0].segment - b.spans[0].segment || a.spans[0].start - b.spans[0].start);
}
