// The readable summary `spendlens analyze` prints: spend, then per lever its $/month with interval and
// its top findings with one line of evidence each, then the combined waterfall (no double counting).
import type { Json, LeverSection, ReportFinding, SpendlensReport } from "./types";

export type TerminalOptions = {
  color?: boolean;
  /** Findings shown per lever. Default 3. */
  topFindings?: number;
  width?: number;
};

export function usd(x: number): string {
  const abs = Math.abs(x);
  const digits = abs >= 100 ? 0 : abs >= 1 ? 2 : abs >= 0.01 ? 3 : abs > 0 ? 4 : 2;
  return `${x < 0 ? "-" : ""}$${abs.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })}`;
}

export function pct(x: number, digits = 1): string {
  return `${(x * 100).toFixed(digits)}%`;
}

function int(n: number): string {
  return n.toLocaleString("en-US");
}

function num(v: Json | undefined): number | null {
  return typeof v === "number" ? v : null;
}

function str(v: Json | undefined): string | null {
  return typeof v === "string" ? v : null;
}

function obj(v: Json | undefined): { [k: string]: Json } {
  return v !== null && v !== undefined && typeof v === "object" && !Array.isArray(v) ? v : {};
}

function ellipsis(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** A line cut to the terminal width, its indentation kept. */
function clip(indent: string, text: string, width: number): string {
  return indent + ellipsis(text, Math.max(20, width - indent.length));
}

/** Monthly figure with its interval; a finding counted only at its upper end reads "up to". */
export function monthlyText(m: { usd: number; low: number; high: number }): string {
  if (m.usd === 0 && m.low === 0 && m.high > 0) return `up to ${usd(m.high)}/month (not counted until measured)`;
  return `${usd(m.usd)}/month [${usd(m.low)} – ${usd(m.high)}]`;
}

/** One line of the evidence that backs a finding, by lever. */
export function evidenceLine(f: ReportFinding): string {
  const e = f.evidence;
  switch (f.lever) {
    case "cache": {
      const hit = obj(e.hitRate);
      const parts: string[] = [];
      if (num(e.threshold) !== null) parts.push(`cosine ≥ ${num(e.threshold)}`);
      if (num(hit.point) !== null) parts.push(`${num(e.hits) ?? "?"} of ${num(e.eligible) ?? "?"} calls hit (${pct(num(hit.point)!)} [${pct(num(hit.low) ?? 0)} – ${pct(num(hit.high) ?? 0)}])`);
      else if (num(e.exactDuplicates) !== null) parts.push(`${num(e.exactDuplicates)} exact repeats of ${num(e.eligible) ?? "?"} calls`);
      if (num(e.wrongHitUpper) !== null) parts.push(`wrong answers ≤ ${pct(num(e.wrongHitUpper)!)} (tolerance ${pct(num(e.tolerance) ?? 0.01)})`);
      const cluster = obj(Array.isArray(e.clusters) ? e.clusters[0] : null);
      const example = obj(Array.isArray(cluster.examples) ? cluster.examples[0] : null);
      const entry = obj(cluster.entry);
      if (str(entry.prompt) && str(example.prompt)) parts.push(`e.g. "${ellipsis(str(example.prompt)!, 50)}" answered by "${ellipsis(str(entry.prompt)!, 50)}"`);
      return parts.join(" · ");
    }
    case "compress": {
      if (e.kind === "prompt_compression") {
        const byKind = new Map<string, number>();
        for (const x of (Array.isArray(e.findings) ? e.findings : []).map((y) => obj(y))) {
          const saved = num(x.tokensSaved) ?? 0;
          if (saved > 0 && str(x.kind)) byKind.set(str(x.kind)!, (byKind.get(str(x.kind)!) ?? 0) + saved);
        }
        const kinds = [...byKind.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 4).map(([k, n]) => `${k.replace(/_/g, " ")} −${n}`);
        const v = obj(e.verification);
        const status = str(v.status) ?? "unverified";
        return `${num(e.originalTokens)} → ${num(e.candidateTokens)} fixed tokens per call${kinds.length ? ` (${kinds.join(", ")})` : ""} · ${
          status === "unverified" ? "not yet checked by replay (--replay verifies it)" : `replay: ${status}`
        }`;
      }
      if (e.kind === "output_bloat") return `${pct(num(obj(e.verboseLabelShare).point) ?? 0, 0)} of ${num(e.outputsChecked)} answers are sentences around a label`;
      if (e.kind === "unbounded_history") return `${num(e.conversations)} conversations resend up to ${num(e.maxMessages)} messages; ${int(num(e.oldHistoryTokens) ?? 0)} tokens of old history`;
      if (e.kind === "resent_document") return `${num(e.calls)} calls resend the same document (${int(num(e.repeatedTokens) ?? 0)} repeated tokens)`;
      return genericEvidence(e);
    }
    case "prefix_cache":
      return `${num(e.staticTokens)} fixed tokens; cacheable now ${num(e.cacheableNow)}, after ${num(e.cacheableAfter)}; currently cached ${pct(num(e.currentCachedShare) ?? 0)}${
        Array.isArray(e.reasons) && e.reasons.length ? ` · ${ellipsis(e.reasons.map(String).join("; "), 80)}` : ""
      }`;
    case "rightsize": {
      const parts = [`task: ${str(e.task) ?? "?"}`];
      if (e.status === "recommended") {
        const a = obj(e.agreement);
        parts.push(`${num(e.agreed)}/${num(e.compared)} replayed answers agree (${pct(num(a.point) ?? 0)}, decision bound ${pct(num(obj(e.decisionInterval).low) ?? 0)} ≥ target ${pct(num(e.target) ?? 0.95)})`);
      } else {
        if (num(e.projectedMonthlyCostUsd) !== null) parts.push(`projected ${usd(num(e.projectedMonthlyCostUsd)!)}/month on the candidate`);
        if (str(e.status)) parts.push(`${str(e.status)}: ${ellipsis(str(e.reason) ?? "", 90)}`);
      }
      return parts.join(" · ");
    }
    case "batch": {
      const signals = obj(e.signals);
      const burst = obj(signals.burst);
      const parts = [`${int(num(e.eligible) ?? 0)} of ${int(num(e.calls) ?? 0)} calls eligible`];
      if (num(burst.bursts) !== null) parts.push(`${num(burst.bursts)} bursts (${pct(num(burst.shareInBursts) ?? 0, 0)} of calls)`);
      if (signals.jobFeature === true) parts.push("feature named like a job");
      if (num(signals.noUserShare) !== null) parts.push(`${pct(num(signals.noUserShare)!, 0)} without end user or session`);
      return parts.join(" · ");
    }
    default:
      return genericEvidence(e);
  }
}

function genericEvidence(e: { [k: string]: Json }): string {
  return Object.entries(e)
    .filter(([, v]) => typeof v === "number" || typeof v === "string" || typeof v === "boolean")
    .slice(0, 4)
    .map(([k, v]) => `${k}: ${typeof v === "number" ? Number(v.toPrecision(4)) : ellipsis(String(v), 40)}`)
    .join(" · ");
}

function leverHeadline(l: LeverSection): string {
  if (l.status === "not_available") return `not available — ${l.reason}`;
  if (l.status === "failed") return `failed — ${l.reason}`;
  if (l.findings.length === 0) return `nothing found (${l.reason ?? "no findings"})`;
  return `${monthlyText(l.monthly)} · ${l.findings.length} finding${l.findings.length === 1 ? "" : "s"}`;
}

export function renderTerminalSummary(report: SpendlensReport, opts: TerminalOptions = {}): string {
  const c = opts.color
    ? { bold: (s: string) => `\x1b[1m${s}\x1b[22m`, dim: (s: string) => `\x1b[2m${s}\x1b[22m`, green: (s: string) => `\x1b[32m${s}\x1b[39m`, yellow: (s: string) => `\x1b[33m${s}\x1b[39m` }
    : { bold: (s: string) => s, dim: (s: string) => s, green: (s: string) => s, yellow: (s: string) => s };
  const top = opts.topFindings ?? 3;
  const width = opts.width ?? 160;
  const lines: string[] = [];
  const { input, spend, window } = report;
  const fileNames = input.files.map((f) => f.name).join(", ");
  lines.push(c.bold(`Spendlens analysis of ${fileNames}`));
  lines.push(
    `${int(input.calls)} calls${window.from ? ` from ${window.from.slice(0, 10)} to ${window.to!.slice(0, 10)} (${window.days.toFixed(1)} days)` : ""}; ${int(input.badLines)} bad line${
      input.badLines === 1 ? "" : "s"
    }${input.duplicates ? `, ${int(input.duplicates)} repeated ids skipped` : ""}${input.unpricedCalls ? `, ${int(input.unpricedCalls)} calls on unpriced models` : ""}${
      Object.keys(input.redactions).length ? `, ${int(Object.values(input.redactions).reduce((s, n) => s + n, 0))} secrets redacted` : ""
    }`,
  );
  lines.push(`Spend: ${c.bold(usd(spend.windowUsd))} in the window = ${c.bold(`${usd(spend.monthlyUsd)}/month`)}`);
  const slice = (label: string, items: SpendlensReport["spend"]["byFeature"]) => {
    if (items.length === 0) return;
    const shown = items.slice(0, 5).map((s) => `${s.key ?? "(none)"} ${usd(s.monthlyUsd)} (${pct(spend.monthlyUsd > 0 ? s.monthlyUsd / spend.monthlyUsd : 0, 0)})`);
    lines.push(c.dim(`  by ${label}: ${shown.join(", ")}${items.length > 5 ? `, +${items.length - 5} more` : ""}`));
  };
  slice("feature", spend.byFeature);
  slice("model", spend.byModel);
  lines.push("");
  lines.push(c.bold("Savings per lever ($/month, 95% interval)"));
  for (const l of report.levers) {
    const head = `${l.label}: ${leverHeadline(l)}`;
    lines.push(l.status === "ok" && l.monthly.usd > 0 ? c.green(head) : l.status === "ok" ? head : c.yellow(head));
    l.findings.slice(0, top).forEach((f, i) => {
      lines.push(clip("  ", `${i + 1}. ${f.title}`, width));
      lines.push(clip("     ", `${monthlyText(f.monthly)} · ${f.confidence} confidence`, width));
      const ev = evidenceLine(f);
      if (ev) lines.push(c.dim(clip("     ", ev, width)));
    });
    if (l.findings.length > top) lines.push(c.dim(`     … ${l.findings.length - top} more in the report`));
  }
  lines.push("");
  const comb = report.combined;
  lines.push(
    c.bold(
      `Combined, without double counting: ${usd(comb.saved.usd)}/month [${usd(comb.saved.low)} – ${usd(comb.saved.high)}] of ${usd(comb.currentMonthlyUsd)} → ${usd(comb.projectedMonthlyUsd)}/month`,
    ),
  );
  if (comb.steps.length) lines.push(c.dim(`  ${comb.steps.map((s) => `${s.lever} −${usd(s.saved.usd)}`).join(" → ")} → ${usd(comb.projectedMonthlyUsd)}`));
  if (report.settings.replay.enabled) lines.push(c.dim(`  replays spent ${usd(report.settings.replay.spentUsd)} of the ${usd(report.settings.replay.budgetUsd ?? 0)} cap`));
  return `${lines.join("\n")}\n`;
}
