// Output bloat: a classification prompt (it lists the labels) whose answers are sentences around the
// label ("The customer is asking about card_arrival, because ...") pays output tokens — the most
// expensive kind — for words nobody reads. max_tokens far above the outputs is harmless (billing is by
// tokens produced) and only reported for context.
import { priceCall, type Usage } from "../../pricing/cost";
import { quantile } from "../../stats/bootstrap";
import { periodTotal } from "../../stats/period-total";
import { wilsonInterval } from "../../stats/wilson";
import type { AnalysisCall } from "../types";
import { findExamples } from "./detect/examples";
import { outputShape } from "./output-shape";
import type { OutputBloat, StaticSegment } from "./types";

const TASK = /\b(?:classif\w*|categori[sz]\w*|categor(?:y|ies)|labels?|intents?|which of the following)\b/i;
const IDENT = /^[a-z][a-z0-9]*(?:[_-][a-z0-9]+)+$|^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/;

/** Label names a prompt offers: identifier-like list items, comma lists after "labels:/categories:", label-shaped example outputs. */
export function promptLabels(segments: StaticSegment[]): string[] {
  const labels = new Set<string>();
  for (const seg of segments) {
    for (const line of seg.text.split("\n")) {
      const item = /^\s*(?:[-*•]|\d{1,3}[.)])?\s*[`"']?([A-Za-z][\w-]{2,60})[`"']?\s*(?:[:(—–-].*)?$/.exec(line);
      if (item && IDENT.test(item[1])) labels.add(item[1]);
      const list = /\b(?:labels?|categor(?:y|ies)|intents?|classes)\b[^:\n]*:\s*(.+)$/i.exec(line);
      // The list ends with its sentence ("..., wrong_exchange_rate. Copy labels exactly.").
      if (list) for (const part of list[1].split(/[.!]\s/)[0].split(/[,;|]/)) {
        const p = part.trim().replace(/^[`"'(]+|[`"'.)?!]+$/g, "");
        if (IDENT.test(p) || /^[A-Za-z][\w-]{1,40}$/.test(p)) labels.add(p);
      }
    }
    for (const ex of findExamples(seg.text, 0)) if (ex.shape === "label") labels.add(ex.output.replace(/^[`"']+|[`"'.]+$/g, ""));
  }
  return [...labels];
}

export type OutputBloatOptions = {
  window: { from: Date; to: Date };
  countTokens: (text: string, model: string) => number;
  /** Fewest outputs to judge. Default 20. */
  minOutputs?: number;
  /** Share of verbose answers that gets flagged. Default 0.3. */
  minVerboseShare?: number;
  seed?: number;
};

function usageOf(c: AnalysisCall): Usage {
  return { inputTokens: c.inputTokens, outputTokens: c.outputTokens, cachedInputTokens: c.cachedInputTokens, cacheWriteTokens: c.cacheWriteTokens, reasoningTokens: 0 };
}

function requestedMaxTokens(call: AnalysisCall): number | null {
  const r = call.request;
  for (const k of ["max_tokens", "max_completion_tokens", "max_output_tokens"]) if (typeof r[k] === "number") return r[k] as number;
  return null;
}

export function analyseOutputBloat(segments: StaticSegment[], calls: AnalysisCall[], opts: OutputBloatOptions): OutputBloat | null {
  const staticText = segments.map((s) => s.text).join("\n");
  const labels = promptLabels(segments);
  const ok = calls.filter((c) => c.outputText && c.outputText.trim());
  const maxRequested = calls.map(requestedMaxTokens).filter((v): v is number => v !== null);
  const outTokens = ok.map((c) => c.outputTokens);
  const maxTokens = { requestedMedian: maxRequested.length ? quantile(maxRequested, 0.5) : null, outputP95: outTokens.length ? quantile(outTokens, 0.95) : 0 };
  if (labels.length < 3 || !TASK.test(staticText) || ok.length < (opts.minOutputs ?? 20)) return null;

  // Longest label first, so "card_payment_fee_charged" wins over a shorter label inside it.
  const matchers = labels
    .slice()
    .sort((a, b) => b.length - a.length)
    .map((l) => ({ label: l, re: new RegExp(`(^|[^a-z0-9_])${l.toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/[-_]/g, "[-_ ]")}($|[^a-z0-9_])`) }));
  const findLabel = (out: string) => {
    const low = out.toLowerCase();
    return matchers.find((m) => m.re.test(low))?.label ?? null;
  };
  const checked: Array<{ call: AnalysisCall; label: string; verbose: boolean }> = [];
  for (const call of ok) {
    const label = findLabel(call.outputText!);
    if (!label) continue;
    checked.push({ call, label, verbose: outputShape(call.outputText) !== "label" && call.outputText!.trim().split(/\s+/).length > label.split(/[\s_-]+/).length + 4 });
  }
  if (checked.length < (opts.minOutputs ?? 20)) return null;
  const verbose = checked.filter((c) => c.verbose);
  const share = wilsonInterval(verbose.length, checked.length);
  const labelTokens = checked.map((c) => opts.countTokens(c.label, c.call.model ?? ""));
  const savings = verbose.map((v) => {
    const keepTokens = opts.countTokens(v.label, v.call.model ?? "") + 1;
    const u = usageOf(v.call);
    const removed = Math.max(0, u.outputTokens - keepTokens);
    const ctx = { provider: v.call.provider, model: v.call.model ?? "", batch: v.call.batch };
    const a = priceCall(u, ctx);
    const b = priceCall({ ...u, outputTokens: u.outputTokens - removed }, ctx);
    return { time: v.call.timestamp.getTime(), value: a && b ? a.costUsd - b.costUsd : 0 };
  });
  const m = periodTotal(savings, { from: opts.window.from.getTime(), to: opts.window.to.getTime() }, { seed: opts.seed ?? 1 });
  return {
    verboseLabelShare: share,
    labels: labels.length,
    outputsChecked: checked.length,
    medianOutputTokens: quantile(checked.map((c) => c.call.outputTokens), 0.5),
    medianLabelTokens: quantile(labelTokens, 0.5),
    examples: verbose.slice(0, 5).map((v) => ({ callId: v.call.id, output: v.call.outputText!.slice(0, 300), label: v.label })),
    monthly: { usd: m.point, low: Math.max(0, m.low), high: m.high },
    flagged: share.point >= (opts.minVerboseShare ?? 0.3),
    maxTokens,
  };
}
