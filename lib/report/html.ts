// The self-contained HTML report (`spendlens analyze --out report.html`): one file with inline CSS, a few
// lines of inline JS and inline SVG charts drawn here (waterfall, spend by day / feature / model, the
// cache threshold curves, batch arrival hours). It loads nothing from anywhere; every text from the
// logs is escaped.
import { evidenceLine, monthlyText, pct, usd } from "./terminal";
import { escapeHtml as esc } from "../html/escape";
import { barChartSvg, columnChartSvg, lineChartSvg, waterfallSvg, type WaterfallBar } from "./svg";
import type { Json, LeverSection, ReportFinding, SpendlensReport } from "./types";

const CSS = `
:root{--fg:#1d2330;--muted:#5d6677;--bg:#fff;--panel:#f5f7fa;--line:#dfe3ea;--accent:#2f6fde;--good:#1f9d61;--warn:#c77700;--bad:#c2413a}
*{box-sizing:border-box}body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:1040px;margin:0 auto;padding:24px 20px 64px}h1{font-size:26px;margin:0 0 4px}h2{font-size:20px;margin:36px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
h3{font-size:16px;margin:20px 0 6px}.muted{color:var(--muted)}.cards{display:flex;gap:12px;flex-wrap:wrap;margin:16px 0}
.card{flex:1 1 200px;background:var(--panel);border-radius:8px;padding:12px 14px}.card .big{font-size:24px;font-weight:600}
svg{width:100%;height:auto;display:block}svg text{font-size:11px;fill:var(--muted)}svg .label{font-size:12px;fill:var(--fg)}svg .value{font-size:11px;fill:var(--fg)}
svg .grid{stroke:var(--line);stroke-width:1}svg .bar{fill:var(--accent)}svg .saving{fill:var(--good)}svg .connector{stroke:var(--muted);stroke-dasharray:3 3}
svg .line{fill:none;stroke-width:2}svg .band{stroke:none;opacity:.18}svg .hits{stroke:var(--accent);fill:var(--accent)}svg .wrong{stroke:var(--bad);fill:var(--bad)}
svg polyline.hits,svg polyline.wrong{fill:none}svg .reference{stroke:var(--warn);stroke-dasharray:5 4}svg .marker{stroke:var(--good);stroke-width:2}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:16px}.chart{background:var(--panel);border-radius:8px;padding:10px}
.status{display:inline-block;font-size:12px;border-radius:10px;padding:1px 8px;margin-left:8px;vertical-align:middle;background:var(--panel)}
.status.ok{color:var(--good)}.status.not_available,.status.failed{color:var(--warn)}
.finding{border:1px solid var(--line);border-radius:8px;padding:10px 14px;margin:10px 0}.finding summary{cursor:pointer;font-weight:600;display:flex;gap:12px;list-style:none}
.finding summary::-webkit-details-marker{display:none}.finding summary::before{content:"\\25B8";color:var(--muted)}.finding[open] summary::before{content:"\\25BE"}
.finding .money{margin-left:auto;white-space:nowrap;font-weight:600}.finding .ev{color:var(--muted);font-size:13px;margin:4px 0}
pre{background:var(--panel);border-radius:6px;padding:10px;overflow:auto;font-size:12px;max-height:420px;white-space:pre-wrap;word-break:break-word}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top}td.n,th.n{text-align:right}
.legend span{display:inline-block;margin-right:12px;font-size:12px}.legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px;vertical-align:middle}
button{font:inherit;font-size:13px;padding:3px 10px;border:1px solid var(--line);border-radius:6px;background:var(--bg);cursor:pointer}
`;

// Open or close every evidence panel at once (the only script; it touches nothing outside the page).
const SCRIPT = `document.addEventListener("click",function(e){var b=e.target.closest("[data-toggle]");if(!b)return;var open=b.getAttribute("data-toggle")==="open";document.querySelectorAll("details.finding").forEach(function(d){d.open=open;});});`;

function obj(v: Json | undefined): { [k: string]: Json } {
  return v !== null && v !== undefined && typeof v === "object" && !Array.isArray(v) ? v : {};
}
function arr(v: Json | undefined): Json[] {
  return Array.isArray(v) ? v : [];
}
function num(v: Json | undefined): number | null {
  return typeof v === "number" ? v : null;
}
function str(v: Json | undefined): string | null {
  return typeof v === "string" ? v : null;
}

const money = (v: number) => usd(v);

function waterfall(report: SpendlensReport): string {
  const c = report.combined;
  const bars: WaterfallBar[] = [{ label: "now", start: 0, end: c.currentMonthlyUsd, kind: "total" }];
  let level = c.currentMonthlyUsd;
  for (const s of c.steps) {
    if (s.saved.usd <= 0) continue;
    bars.push({ label: s.lever, start: level, end: level - s.saved.usd, kind: "step" });
    level -= s.saved.usd;
  }
  bars.push({ label: "projected", start: 0, end: c.projectedMonthlyUsd, kind: "total" });
  return waterfallSvg(bars, { valueLabel: money, ariaLabel: "Monthly spend now, the saving of each lever in order, and the projected spend" });
}

function spendCharts(report: SpendlensReport): string {
  const s = report.spend;
  const days = columnChartSvg(
    s.byDay.map((d) => ({ label: d.date.slice(5), value: d.costUsd, title: `${d.date}: ${money(d.costUsd)} (${d.calls} calls)` })),
    { valueLabel: money, ariaLabel: "Spend per day" },
  );
  const slices = (items: typeof s.byFeature, what: string) =>
    barChartSvg(
      items.slice(0, 12).map((x) => ({ label: x.key ?? "(none)", value: x.monthlyUsd, title: `${x.key ?? "(none)"}: ${money(x.monthlyUsd)}/month, ${x.calls} calls` })),
      { valueLabel: (v) => `${money(v)}/mo`, ariaLabel: `Monthly spend by ${what}` },
    );
  return `<h3>Spend per day</h3><div class="chart">${days}</div>
<h3>By feature</h3><div class="chart">${slices(s.byFeature, "feature")}</div><h3>By model</h3><div class="chart">${slices(s.byModel, "model")}</div>`;
}

function cacheCurves(l: LeverSection): string {
  const d = obj(l.detail ?? undefined);
  const tolerance = num(obj(d.settings).tolerance) ?? 0.01;
  const groups = arr(d.groups).map(obj).filter((g) => (num(g.eligible) ?? 0) > 0 && arr(g.curve).length > 0);
  if (groups.length === 0) return "";
  const charts = groups.map((g) => {
    const curve = arr(g.curve).map(obj);
    const rec = obj(g.recommended);
    const threshold = num(rec.threshold);
    const hits = {
      name: "hit rate",
      className: "hits",
      points: curve.map((p) => ({ x: num(p.threshold) ?? 0, y: num(obj(p.hitRate).point) ?? 0, low: num(obj(p.hitRate).low) ?? 0, high: num(obj(p.hitRate).high) ?? 0 })),
    };
    const wrong = {
      name: "wrong answers (upper bound)",
      className: "wrong",
      points: curve.map((p) => ({ x: num(p.threshold) ?? 0, y: num(p.wrongHitUpper) ?? num(obj(p.wrongHitRate).point) ?? 0 })),
    };
    const title = `${str(g.feature) ?? "untagged"} · ${str(g.model) ?? "unknown model"}`;
    const wrongMax = Math.max(tolerance, ...wrong.points.map((p) => p.y));
    const hitChart = lineChartSvg([hits], {
      ariaLabel: `Cache hit rate by threshold for ${title}`,
      xLabel: (v) => v.toFixed(3),
      yLabel: (v) => pct(v, 0),
      yMax: 1,
      marker: threshold !== null ? { x: threshold, label: `chosen ${threshold}` } : undefined,
    });
    const wrongChart = lineChartSvg([wrong], {
      ariaLabel: `Wrong cache answers by threshold for ${title}`,
      xLabel: (v) => v.toFixed(3),
      yLabel: (v) => pct(v, wrongMax <= 0.1 ? 2 : 1),
      reference: { y: tolerance, label: `tolerance ${pct(tolerance)}` },
      marker: threshold !== null ? { x: threshold, label: `${threshold}` } : undefined,
    });
    const note = threshold !== null ? `recommended threshold ${threshold}: ${monthlyText({ usd: num(obj(rec.monthly).point) ?? 0, low: num(obj(rec.monthly).low) ?? 0, high: num(obj(rec.monthly).high) ?? 0 })}` : str(g.reason) ?? "no threshold recommended";
    return `<div class="chart"><h3>${esc(title)}</h3><p class="muted">${esc(`${num(g.eligible)} eligible of ${num(g.calls)} calls; ${note}`)}</p>
<div class="legend"><span><i style="background:var(--accent)"></i>hit rate (95% band)</span><span><i style="background:var(--bad)"></i>wrong answers, upper bound</span></div>${hitChart}${wrongChart}</div>`;
  });
  return `<h3>Threshold curves</h3><p class="muted">For each threshold, the replay of the logs through a cache: the share of calls answered from an earlier one, and how many of those answers disagree with the call's own logged answer.</p><div class="charts">${charts.join("")}</div>`;
}

function findingVisual(f: ReportFinding): string {
  const e = f.evidence;
  if (f.lever === "batch") {
    const hours = arr(e.eligibleHourHistogram).map((v) => num(v) ?? 0);
    if (hours.length === 24) {
      return `<div class="chart">${columnChartSvg(hours.map((v, h) => ({ label: String(h), value: v, title: `${h}:00 UTC: ${v} calls` })), { valueLabel: (v) => String(Math.round(v)), ariaLabel: "Eligible calls by hour of day (UTC)", height: 160 })}</div>`;
    }
  }
  if (f.lever === "compress" && str(e.original) && str(e.candidate)) {
    return `<div class="charts"><div><h3>Fixed prompt now (${num(e.originalTokens)} tokens)</h3><pre>${esc(str(e.original)!)}</pre></div><div><h3>Candidate (${num(e.candidateTokens)} tokens)</h3><pre>${esc(str(e.candidate)!)}</pre></div></div>`;
  }
  if (f.lever === "cache") {
    const clusters = arr(e.clusters).map(obj).slice(0, 3);
    if (clusters.length) {
      const rows = clusters.flatMap((c) => {
        const entry = obj(c.entry);
        return arr(c.examples)
          .map(obj)
          .map(
            (x) =>
              `<tr><td>${esc(str(x.prompt) ?? "")}</td><td>${esc(str(entry.prompt) ?? "")}</td><td class="n">${num(x.similarity)?.toFixed(3) ?? ""}</td><td>${esc(str(x.response) ?? "")}</td><td>${x.agreed === true ? "yes" : "no"}</td></tr>`,
          );
      });
      return `<table><thead><tr><th>call</th><th>answered by the earlier call</th><th class="n">cosine</th><th>its logged answer</th><th>same answer</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
    }
  }
  return "";
}

function findingHtml(f: ReportFinding): string {
  const how = f.howToApply;
  return `<details class="finding"><summary>${esc(f.title)}<span class="money">${esc(monthlyText(f.monthly))}</span></summary>
<p class="ev">${esc(evidenceLine(f))}</p>
<p class="muted">${esc(`${f.confidence} confidence · acts on ${money(f.affectedMonthlyCostUsd)}/month of spend${f.calls !== null ? ` (${f.calls} calls)` : ""}${f.scope.feature ? ` · feature ${f.scope.feature}` : ""}${f.scope.model ? ` · model ${f.scope.model}` : ""}`)}</p>
${findingVisual(f)}
<h3>How to apply</h3><p>${esc(how.summary)}</p>${how.snippet ? `<pre>${esc(how.snippet)}</pre>` : ""}${how.settings ? `<pre>${esc(JSON.stringify(how.settings, null, 2))}</pre>` : ""}
<h3>Evidence</h3><pre>${esc(JSON.stringify(f.evidence, null, 2))}</pre>${f.exampleCallIds.length ? `<p class="muted">Example calls: ${esc(f.exampleCallIds.join(", "))}</p>` : ""}</details>`;
}

function leverHtml(l: LeverSection): string {
  const head = `<h2 id="lever-${esc(l.lever)}">${esc(l.label)}<span class="status ${esc(l.status)}">${esc(l.status.replace("_", " "))}</span></h2>`;
  if (l.status !== "ok") return `${head}<p class="muted">${esc(l.reason ?? "")}</p>`;
  const summary = l.findings.length
    ? `<p><strong>${esc(monthlyText(l.monthly))}</strong> from ${l.findings.length} finding${l.findings.length === 1 ? "" : "s"} (overlaps within the lever counted once).</p>`
    : `<p class="muted">${esc(l.reason ?? "Nothing found.")}</p>`;
  return `${head}${summary}${l.findings.map(findingHtml).join("\n")}${l.lever === "cache" ? cacheCurves(l) : ""}`;
}

function inputHtml(report: SpendlensReport): string {
  const i = report.input;
  const files = i.files
    .map((f) => `<tr><td>${esc(f.name)}</td><td>${esc(f.kind)}</td><td class="n">${f.bytes.toLocaleString("en-US")}</td><td class="n">${f.events}</td><td class="n">${f.errors}</td><td><code>${esc(f.sha256.slice(0, 16))}</code></td></tr>`)
    .join("");
  const errors = i.errors.length
    ? `<h3>Lines that could not be read (${i.badLines}${i.badLines > i.errors.length ? `, first ${i.errors.length} listed` : ""})</h3><table><thead><tr><th>file</th><th class="n">line</th><th>field</th><th>problem</th></tr></thead><tbody>${i.errors
        .map((e) => `<tr><td>${esc(e.file)}</td><td class="n">${e.line}</td><td>${esc(e.field || "(line)")}</td><td>${esc(e.message)}</td></tr>`)
        .join("")}</tbody></table>`
    : "";
  const redactions = Object.entries(i.redactions);
  return `<h2 id="input">Input</h2><table><thead><tr><th>file</th><th>kind</th><th class="n">bytes</th><th class="n">events</th><th class="n">bad lines</th><th>sha256</th></tr></thead><tbody>${files}</tbody></table>
<p class="muted">${esc(`${i.calls} calls analysed (${i.duplicates} repeated ids skipped, ${i.unpricedCalls} on unpriced models); prices ${i.priceVersion}.`)}${
    redactions.length ? esc(` Secrets redacted before analysis: ${redactions.map(([k, n]) => `${k} ${n}`).join(", ")}.`) : ""
  }</p>${errors}`;
}

export function renderHtmlReport(report: SpendlensReport): string {
  const c = report.combined;
  const names = report.input.files.map((f) => f.name).join(", ");
  const window = report.window.from ? `${report.window.from.slice(0, 10)} to ${report.window.to!.slice(0, 10)} (${report.window.days.toFixed(1)} days)` : "no calls";
  const body = `<main>
<h1>Spendlens report</h1>
<p class="muted">${esc(`${names} · ${report.input.calls.toLocaleString("en-US")} calls · ${window}${report.generatedAt ? ` · generated ${report.generatedAt}` : ""}`)}</p>
<div class="cards">
<div class="card"><div class="muted">Spend now</div><div class="big">${esc(money(report.spend.monthlyUsd))}/month</div><div class="muted">${esc(money(report.spend.windowUsd))} in the window</div></div>
<div class="card"><div class="muted">Combined savings</div><div class="big">${esc(money(c.saved.usd))}/month</div><div class="muted">95% interval ${esc(money(c.saved.low))} – ${esc(money(c.saved.high))}</div></div>
<div class="card"><div class="muted">Projected spend</div><div class="big">${esc(money(c.projectedMonthlyUsd))}/month</div><div class="muted">${esc(pct(c.currentMonthlyUsd > 0 ? c.saved.usd / c.currentMonthlyUsd : 0))} less</div></div>
</div>
<h2 id="waterfall">From today's spend to the projection</h2><div class="chart">${waterfall(report)}</div>
<p class="muted">${esc(c.method)}</p>
<table><thead><tr><th>lever</th><th>status</th><th class="n">on its own ($/month)</th><th class="n">after earlier levers</th><th>findings</th></tr></thead><tbody>${report.levers
    .map((l) => {
      const step = c.steps.find((s) => s.lever === l.lever);
      return `<tr><td><a href="#lever-${esc(l.lever)}">${esc(l.label)}</a></td><td>${esc(l.status.replace("_", " "))}</td><td class="n">${esc(l.status === "ok" ? monthlyText(l.monthly) : "—")}</td><td class="n">${esc(step ? money(step.saved.usd) : "—")}</td><td>${l.findings.length}</td></tr>`;
    })
    .join("")}</tbody></table>
<h2 id="spend">Spend</h2>${spendCharts(report)}
<p><button type="button" data-toggle="open">Open all evidence</button> <button type="button" data-toggle="close">Close all</button></p>
${report.levers.map(leverHtml).join("\n")}
${inputHtml(report)}
<p class="muted">${esc(`${report.format} v${report.version} · spendlens ${report.generator.version} · seed ${report.settings.seed}${report.settings.replay.enabled ? ` · replays on ${report.settings.replay.provider}, ${money(report.settings.replay.spentUsd)} spent` : " · no replays (add --replay to measure right-sizing and verify prompts)"}`)}</p>
</main>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(`Spendlens report — ${names}`)}</title><style>${CSS}</style></head>
<body>${body}<script>${SCRIPT}</script></body></html>
`;
}
