// Types of the prompt-bloat report: static-prompt groups, bloat findings with exact spans, the compressed
// candidate and its verification. Everything here is JSON-serialisable (the report is stored on the run).
import type { LeverFinding, MonthlySavings, PlainMessage } from "../types";

/**
 * A piece of fixed text every call of a group sends. `messageIndex` is the position in
 * `requestMessages(request)` order; `part` says whether the whole message is fixed or only the text
 * before ("prefix") or after ("suffix") a variable slot.
 */
export type StaticSegment = {
  messageIndex: number;
  role: PlainMessage["role"];
  part: "whole" | "prefix" | "suffix";
  text: string;
};

/** Exact place of some text: char offsets [start, end) into `segments[segment].text`. */
export type TextSpan = { segment: number; start: number; end: number; text: string };

/** A deterministic edit: replace [start, end) of a segment's text with `replacement`. */
export type TextEdit = { segment: number; start: number; end: number; replacement: string };

export type BloatKind =
  | "repeated_instruction"
  | "persona"
  | "extra_example"
  | "long_example"
  | "contradicted_instruction"
  | "unused_output_format"
  | "whitespace"
  | "markdown"
  | "duplicate_schema";

export type BloatFinding = {
  kind: BloatKind;
  /** What is wrong and what the edit does, in one or two sentences. */
  message: string;
  /** The bloat itself, exact text and offsets. */
  spans: TextSpan[];
  /** What it repeats / contradicts / the example that is kept. */
  related?: TextSpan[];
  /** Deterministic edits that remove it; empty means "flagged only" (no safe mechanical edit). */
  edits: TextEdit[];
  /** Tokens in `spans`. */
  tokens: number;
  /** Measured: tokens(static text) - tokens(static text with only this finding's edits applied). */
  tokensSaved: number;
  /** True when the edits went into the compressed candidate (false when they overlapped another edit). */
  applied: boolean;
  evidence?: Record<string, unknown>;
};

/** Conversation-level bloat, found across calls rather than in the static prompt. */
export type ConversationFinding =
  | {
      kind: "unbounded_history";
      message: string;
      conversations: number;
      calls: number;
      maxMessages: number;
      /** Input tokens spent on history older than the last `keepMessages` messages. */
      oldHistoryTokens: number;
      keepMessages: number;
      monthly: MonthlySavings;
      callIds: string[];
      examples: Array<{ conversation: string; messagesPerCall: number[]; inputTokensPerCall: number[] }>;
    }
  | {
      kind: "resent_document";
      message: string;
      calls: number;
      /** Tokens of the repeated copies (the first copy is needed). */
      repeatedTokens: number;
      monthly: MonthlySavings;
      callIds: string[];
      examples: Array<{ callId: string; spans: Array<{ messageIndex: number; start: number; end: number }>; preview: string }>;
    };

export type OutputBloat = {
  /** Classification tasks answering in sentences. */
  verboseLabelShare: { point: number; low: number; high: number };
  labels: number;
  outputsChecked: number;
  medianOutputTokens: number;
  medianLabelTokens: number;
  examples: Array<{ callId: string; output: string; label: string }>;
  monthly: MonthlySavings;
  flagged: boolean;
  /** requested max_tokens vs used: harmless, reported for context. */
  maxTokens: { requestedMedian: number | null; outputP95: number };
};

export type VerificationResult =
  | { status: "unverified"; reason: string }
  | {
      status: "verified" | "rejected" | "inconclusive";
      model: string;
      /** How answers were compared: label, json or similarity (free text, against a replay of the original prompt). */
      method: string;
      sampled: number;
      /** Comparisons that could be decided (replays that failed or ran out of budget are not counted). */
      compared: number;
      agreed: number;
      agreement: { point: number; low: number; high: number };
      target: number;
      replayCostUsd: number;
      disagreements: Array<{ callId: string; logged: string; replayed: string }>;
    };

export type Candidate = {
  method: "deterministic" | "model";
  segments: StaticSegment[];
  text: string;
  tokens: number;
  tokensSaved: number;
  /** Which findings' edits it applies (indexes into the group's findings), deterministic only. */
  appliedFindings: number[];
  monthly: MonthlySavings;
  verification: VerificationResult;
  /** model rewrites: the output constraints checked to be still present, and any that went missing. */
  constraints?: { checked: string[]; missing: string[] };
};

export type PromptGroupReport = {
  id: string;
  method: "hash" | "template";
  provider: string;
  models: Array<{ model: string; calls: number }>;
  features: string[];
  calls: number;
  segments: StaticSegment[];
  staticText: string;
  /** Tokens per call in the static part (sum over segments; exact for OpenAI models). */
  staticTokens: number;
  tokensExact: boolean;
  inputTokensPerCall: number;
  /** staticTokens * calls / input tokens of the group's calls. */
  staticShareOfInput: number;
  /** $ per month spent on the static part (at each call's own model and cache state). */
  staticMonthlyUsd: number;
  groupMonthlyUsd: number;
  findings: BloatFinding[];
  conversation: ConversationFinding[];
  output: OutputBloat | null;
  candidates: Candidate[];
};

export type BloatReport = {
  window: { from: string; to: string; days: number };
  calls: number;
  groups: PromptGroupReport[];
  ungroupedCalls: number;
  findings: LeverFinding[];
};
