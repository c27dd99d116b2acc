// What every bloat detector gets, and the finding shape it returns before token measurement.
import { removalEdit, sentenceSpans } from "../text";
import type { BloatFinding, StaticSegment, TextEdit, TextSpan } from "../types";

export type DetectContext = {
  segments: StaticSegment[];
  /** Token count of a text for the group's model (exact for OpenAI). */
  countTokens: (text: string) => number;
  /** Logged outputs of the group's calls (successful ones). */
  outputs: string[];
  /** Property names of a JSON schema sent as response_format / tool parameters, when the calls send one. */
  schema: { keys: string[]; described: string[] } | null;
  /** Regions already claimed by a detector (examples, schema blocks): sentence detectors skip them. */
  claimed: Array<{ segment: number; start: number; end: number }>;
  longExampleTokens: number;
  minOutputsForUnusedFormat: number;
};

export type DraftFinding = Omit<BloatFinding, "tokens" | "tokensSaved" | "applied">;

export function isClaimed(ctx: DetectContext, segment: number, start: number, end: number): boolean {
  return ctx.claimed.some((r) => r.segment === segment && r.start < end && start < r.end);
}

export type SegmentSentence = { segment: number; start: number; end: number; text: string; line: number; index: number };

/** Sentences of all segments, in order, outside claimed regions. */
export function unclaimedSentences(ctx: DetectContext): SegmentSentence[] {
  const out: SegmentSentence[] = [];
  ctx.segments.forEach((seg, segment) => {
    for (const s of sentenceSpans(seg.text)) {
      if (isClaimed(ctx, segment, s.start, s.end)) continue;
      out.push({ ...s, segment, index: out.length });
    }
  });
  return out;
}

export function spanOf(ctx: DetectContext, segment: number, start: number, end: number): TextSpan {
  return { segment, start, end, text: ctx.segments[segment].text.slice(start, end) };
}

/** Removal edit for a sentence (whole line when it is alone on it). */
export function removeSentence(ctx: DetectContext, s: { segment: number; start: number; end: number }): TextEdit {
  return { segment: s.segment, ...removalEdit(ctx.segments[s.segment].text, s.start, s.end) };
}
