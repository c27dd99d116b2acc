// Task profiling: what kind of work a group of calls does, decided from what was logged (output
// shape and label cardinality, response_format, tools, reasoning settings), with the evidence shown.
// Only tasks small models are known to do well are right-sizing candidates by default; the seed warns
// that open generation degrades on small models.
import { quantile } from "../../stats/bootstrap";
import { requestMessages } from "../messages";
import type { AnalysisCall } from "../types";
import { answerLabel, callOutput, parseJsonOutput, wordCount } from "../replay/answers";

export const TASK_KINDS = ["classification", "extraction", "short_summarisation", "open_generation", "reasoning", "tool_use"] as const;
export type TaskKind = (typeof TASK_KINDS)[number];
export const DEFAULT_CANDIDATE_KINDS: readonly TaskKind[] = ["classification", "extraction", "short_summarisation"];

export type TaskEvidence = {
  calls: number;
  /** Calls with a logged answer (text or tool call). */
  withOutput: number;
  outputWords: { p50: number; p90: number; max: number };
  inputWords: { p50: number };
  /** Median of output words / input words. */
  outputInputRatio: number;
  distinctLabels: number;
  /** Most frequent normalised answers with their share of calls (up to 10). */
  topLabels: { label: string; share: number }[];
  /** Share of calls whose normalised answer occurs at least twice in the group. */
  repeatedLabelShare: number;
  /** Most common response_format / text.format type, or null. */
  responseFormat: string | null;
  jsonOutputShare: number;
  /** Share of answers that are JSON with several fields (records, not a wrapped label). */
  multiFieldJsonShare: number;
  maxTools: number;
  /** tool_choice forces one named tool (a structured-output idiom rather than tool use). */
  forcedTool: boolean;
  toolCallShare: number;
  /** Share of requests with tool results in their history (multi-step agent loops). */
  toolResultShare: number;
  reasoningConfigShare: number;
  stepMarkerShare: number;
  summaryInstructionShare: number;
};

export type TaskProfile = {
  kind: TaskKind;
  /** True when the kind is a right-sizing candidate under the options used. */
  candidate: boolean;
  /** One sentence naming the evidence that decided the kind. */
  reason: string;
  evidence: TaskEvidence;
};

export type ProfileOptions = {
  candidateKinds?: readonly TaskKind[];
  /** Outputs of at most this many words (90th percentile) can be labels. Default 6. */
  maxLabelWords?: number;
};

const SUMMARY_RE = /\b(summari[sz]e|summary|tl;?dr|condense|key points|recap|in (?:one|two|three|a few) sentences)\b/i;
const STEP_RE = /\b(step\s*\d|step-by-step|first,|let'?s think|therefore|thus,|we get|=\s*-?\d)/i;

function obj(v: unknown): Record<string, unknown> | null {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

function responseFormatOf(request: Record<string, unknown>): string | null {
  const rf = obj(request.response_format);
  if (typeof rf?.type === "string") return rf.type;
  const fmt = obj(obj(request.text)?.format);
  if (typeof fmt?.type === "string") return fmt.type;
  const gen = obj(request.generationConfig);
  if (typeof gen?.responseMimeType === "string" && gen.responseMimeType.includes("json")) return "json_object";
  return null;
}

function forcesOneTool(request: Record<string, unknown>): boolean {
  const tc = obj(request.tool_choice);
  if (!tc) return false;
  // OpenAI {type:"function", function:{name}} / responses {type:"function", name}; Anthropic {type:"tool", name}
  return tc.type === "function" || tc.type === "tool";
}

function hasReasoningConfig(call: AnalysisCall): boolean {
  const r = call.request;
  if (typeof r.reasoning_effort === "string" && r.reasoning_effort !== "none" && r.reasoning_effort !== "minimal") return true;
  const reasoning = obj(r.reasoning);
  if (reasoning && typeof reasoning.effort === "string" && reasoning.effort !== "none" && reasoning.effort !== "minimal") return true;
  if (obj(r.thinking)?.type === "enabled") return true;
  return false;
}

function hasToolResults(request: Record<string, unknown>): boolean {
  const msgs = Array.isArray(request.messages) ? request.messages : Array.isArray(request.input) ? request.input : [];
  for (const m of msgs) {
    const mm = obj(m);
    if (!mm) continue;
    if (mm.role === "tool" || mm.type === "function_call_output") return true;
    if (Array.isArray(mm.content) && mm.content.some((p) => obj(p)?.type === "tool_result")) return true;
  }
  return false;
}

function share(count: number, n: number): number {
  return n === 0 ? 0 : count / n;
}

export function taskEvidence(calls: AnalysisCall[]): TaskEvidence {
  const outputWords: number[] = [];
  const ratios: number[] = [];
  const inputWords: number[] = [];
  const labels = new Map<string, number>();
  const formats = new Map<string, number>();
  let withOutput = 0;
  let json = 0;
  let multiField = 0;
  let toolCalls = 0;
  let toolResults = 0;
  let reasoningConfig = 0;
  let stepMarkers = 0;
  let summaryInstr = 0;
  let maxTools = 0;
  let forced = 0;
  for (const call of calls) {
    const msgs = requestMessages(call.request);
    const inWords = msgs.reduce((s, m) => s + wordCount(m.text), 0);
    inputWords.push(inWords);
    if (msgs.some((m) => (m.role === "system" || m.role === "developer" || m.role === "user") && SUMMARY_RE.test(m.text))) summaryInstr++;
    const rf = responseFormatOf(call.request);
    if (rf) formats.set(rf, (formats.get(rf) ?? 0) + 1);
    const tools = Array.isArray(call.request.tools) ? call.request.tools.length : 0;
    maxTools = Math.max(maxTools, tools);
    if (forcesOneTool(call.request)) forced++;
    if (hasToolResults(call.request)) toolResults++;
    if (hasReasoningConfig(call)) reasoningConfig++;

    const out = callOutput(call);
    if (!out.text && out.toolCalls.length === 0) continue;
    withOutput++;
    if (out.toolCalls.length > 0) toolCalls++;
    const words = wordCount(out.text);
    outputWords.push(words);
    if (inWords > 0) ratios.push(words / inWords);
    const parsed = out.text ? parseJsonOutput(out.text) : undefined;
    if (parsed !== null && typeof parsed === "object") {
      json++;
      if (Array.isArray(parsed) || Object.keys(parsed).length >= 2) multiField++;
    } else if (out.toolCalls.some((t) => t.arguments && typeof t.arguments === "object" && Object.keys(t.arguments).length >= 2)) multiField++;
    if (out.text && STEP_RE.test(out.text) && words >= 40) stepMarkers++;
    const label = answerLabel(out);
    labels.set(label, (labels.get(label) ?? 0) + 1);
  }
  const sortedLabels = [...labels.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const repeated = sortedLabels.filter(([, c]) => c >= 2).reduce((s, [, c]) => s + c, 0);
  const topFormat = [...formats.entries()].sort((a, b) => b[1] - a[1])[0];
  return {
    calls: calls.length,
    withOutput,
    outputWords: { p50: quantile(outputWords, 0.5) || 0, p90: quantile(outputWords, 0.9) || 0, max: outputWords.length ? Math.max(...outputWords) : 0 },
    inputWords: { p50: quantile(inputWords, 0.5) || 0 },
    outputInputRatio: quantile(ratios, 0.5) || 0,
    distinctLabels: labels.size,
    topLabels: sortedLabels.slice(0, 10).map(([label, c]) => ({ label, share: share(c, withOutput) })),
    repeatedLabelShare: share(repeated, withOutput),
    responseFormat: topFormat && topFormat[1] * 2 >= calls.length ? topFormat[0] : null,
    jsonOutputShare: share(json, withOutput),
    multiFieldJsonShare: share(multiField, withOutput),
    maxTools,
    forcedTool: forced * 2 >= calls.length && forced > 0,
    toolCallShare: share(toolCalls, withOutput),
    toolResultShare: share(toolResults, calls.length),
    reasoningConfigShare: share(reasoningConfig, calls.length),
    stepMarkerShare: share(stepMarkers, withOutput),
    summaryInstructionShare: share(summaryInstr, calls.length),
  };
}

function decide(e: TaskEvidence, maxLabelWords: number): { kind: TaskKind; reason: string } {
  const pct = (x: number) => `${Math.round(x * 100)}%`;
  if (e.maxTools > 0 && !e.forcedTool && (e.toolCallShare >= 0.2 || e.toolResultShare >= 0.2)) {
    return { kind: "tool_use", reason: `${e.maxTools} tools offered and the model chooses: ${pct(e.toolCallShare)} of answers call a tool, ${pct(e.toolResultShare)} of requests carry tool results` };
  }
  if (e.withOutput === 0) {
    if (e.responseFormat === "json_schema" || e.responseFormat === "json_object" || e.forcedTool) {
      return { kind: "extraction", reason: `no answers logged, but requests ask for structured output (${e.forcedTool ? "a forced tool" : `response_format ${e.responseFormat}`})` };
    }
    return { kind: "open_generation", reason: "no answers logged and nothing in the requests constrains the output (no response_format, no forced tool): treated as open generation" };
  }
  const structured = e.responseFormat === "json_schema" || e.responseFormat === "json_object" || e.forcedTool || e.jsonOutputShare >= 0.8;
  const structuredWhy = () =>
    e.forcedTool ? "tool_choice forces one tool (schema-shaped output)" : e.responseFormat ? `response_format ${e.responseFormat}` : `${pct(e.jsonOutputShare)} of answers are JSON`;
  if (structured && e.multiFieldJsonShare >= 0.5) {
    return { kind: "extraction", reason: `structured output: ${structuredWhy()}; ${pct(e.multiFieldJsonShare)} of answers are records with several fields` };
  }
  const labelLike = e.outputWords.p90 <= maxLabelWords && e.distinctLabels <= Math.max(2, e.withOutput / 2) && e.repeatedLabelShare >= 0.5;
  if (labelLike && e.toolCallShare < 0.5) {
    return {
      kind: "classification",
      reason: `short answers (90% within ${e.outputWords.p90} words) from ${e.distinctLabels} distinct labels; ${pct(e.repeatedLabelShare)} of answers repeat a label`,
    };
  }
  if (structured) return { kind: "extraction", reason: `structured output: ${structuredWhy()}` };
  if (e.reasoningConfigShare >= 0.5 || e.stepMarkerShare >= 0.4) {
    return {
      kind: "reasoning",
      reason: e.reasoningConfigShare >= 0.5 ? `${pct(e.reasoningConfigShare)} of requests enable reasoning/thinking` : `${pct(e.stepMarkerShare)} of answers work through steps`,
    };
  }
  const shortOutput = e.outputWords.p50 <= 150 && e.outputWords.p90 <= 250;
  if (shortOutput && (e.summaryInstructionShare >= 0.5 ? e.outputInputRatio <= 0.6 : e.outputInputRatio <= 0.25 && e.inputWords.p50 >= 200)) {
    return {
      kind: "short_summarisation",
      reason: `answers are short (median ${e.outputWords.p50} words) and ${Math.round(e.outputInputRatio * 100)}% of the input's length${e.summaryInstructionShare >= 0.5 ? ", and the prompt asks for a summary" : ""}`,
    };
  }
  return {
    kind: "open_generation",
    reason: `free-text answers (median ${e.outputWords.p50} words, ${e.distinctLabels} distinct among ${e.withOutput}) with no label set or schema`,
  };
}

/** Profile one group of calls (normally one feature / prompt / model). */
export function profileTask(calls: AnalysisCall[], opts: ProfileOptions = {}): TaskProfile {
  const evidence = taskEvidence(calls);
  const { kind, reason } = decide(evidence, opts.maxLabelWords ?? 6);
  const candidateKinds = opts.candidateKinds ?? DEFAULT_CANDIDATE_KINDS;
  return { kind, candidate: candidateKinds.includes(kind), reason, evidence };
}
