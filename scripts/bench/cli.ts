// npm run bench -- cli — `spendlens analyze` on the 50,000-event demo JSONL (npm run demo, seed 42, window
// ending 2026-12-01): the real bin end to end (default threads), then the same file in-process with
// every analysis in turn to show where the time goes (wall and CPU per stage). Goal: under a minute.
// The machine is shared, so the load average is reported with every figure and CPU time beside wall time.
import { execFile } from "node:child_process";
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { promisify } from "node:util";
import { generateDemoEvents } from "../../lib/demo/generate";
import { loadCallsFromFiles } from "../../lib/cli/load-calls";
import { analysisWindow, runAnalyses, type AnalysisOutcome } from "../../lib/cli/run-analyses";
import { validateJsonSchema } from "../../lib/report/json-schema";
import { monthlyText, usd } from "../../lib/report/terminal";
import type { SpendlensReport } from "../../lib/report/types";

const COUNT = 50_000;
const SEED = 42;
const END = new Date("2026-12-01T00:00:00Z");
const GOAL_SECONDS = 60;

const run$ = promisify(execFile);
const load = () => os.loadavg()[0].toFixed(1);
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The demo file, generated once per machine (same bytes for the same count, seed and end). */
async function demoFile(): Promise<string> {
  const file = path.join(os.tmpdir(), `spendlens-bench-demo-${COUNT}-s${SEED}-${END.toISOString().slice(0, 10)}.jsonl`);
  if (existsSync(file) && statSync(file).size > 0) {
    const lines = readFileSync(file, "utf8").split("\n").filter(Boolean).length;
    if (lines === COUNT) return file;
  }
  const out = createWriteStream(file);
  for (const event of generateDemoEvents({ count: COUNT, seed: SEED, end: END })) {
    if (!out.write(JSON.stringify(event) + "\n")) await new Promise<void>((r) => out.once("drain", () => r()));
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return file;
}

function cpuSince(start: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(start);
  return (u.user + u.system) / 1000;
}

export async function run(): Promise<string> {
  const file = await demoFile();
  const dir = mkdtempSync(path.join(os.tmpdir(), "spendlens-bench-cli-"));
  try {
    // 1. The real bin, as a user runs it.
    const loadBefore = load();
    const t0 = performance.now();
    const { stderr } = await run$(process.execPath, [path.resolve("bin/spendlens.mjs"), "analyze", file, `--json=${path.join(dir, "report.json")}`, "--out", path.join(dir, "report.html")], {
      maxBuffer: 1 << 26,
    });
    const wallMs = performance.now() - t0;
    const loadAfter = load();
    const summary = /analysed (\d+) calls in ([\d.]+) s \(CPU ([\d.]+) s, peak memory (\d+) MB, (\d+) threads?\)/.exec(stderr);
    const stages = [...stderr.matchAll(/^([a-z-]+): done in ([\d.]+) s/gm)].map((m) => [m[1], Number(m[2])] as const);
    const report = JSON.parse(readFileSync(path.join(dir, "report.json"), "utf8")) as SpendlensReport;
    const schema = JSON.parse(readFileSync(path.resolve("docs/report.schema.json"), "utf8"));
    const schemaErrors = validateJsonSchema(schema, report);
    const htmlBytes = statSync(path.join(dir, "report.html")).size;

    // 2. In-process, one analysis after another: where the time goes.
    const loadBefore2 = load();
    const c0 = process.cpuUsage();
    const r0 = performance.now();
    const loaded = await loadCallsFromFiles([file]);
    const readWall = performance.now() - r0;
    const readCpu = cpuSince(c0);
    const outcomes: AnalysisOutcome[] = await runAnalyses(loaded.calls, { window: analysisWindow(loaded.calls)!, seed: 1 });
    const loadAfter2 = load();

    const byName = new Map(outcomes.map((o) => [o.name, o]));
    const cpuOf = (n: string) => byName.get(n as AnalysisOutcome["name"])?.cpuMs ?? 0;
    const mainThreadCpu = readCpu + cpuOf("modelfit") + cpuOf("bloat") + cpuOf("cache") + cpuOf("batch");
    const workerCpu = readCpu + cpuOf("distill");
    const sequentialCpu = readCpu + outcomes.reduce((t, o) => t + o.cpuMs, 0);

    const leverRows = report.levers.map((l) => {
      const evidence = l.findings[0] ? l.findings[0].title : l.reason ?? "";
      const nonZero = l.monthly.usd > 0 ? "yes" : l.monthly.high > 0 ? "upper end only (no replay)" : "no";
      return `| ${l.label} (\`${l.lever}\`) | ${l.status} | ${l.findings.length} | ${monthlyText(l.monthly)} | ${nonZero} | ${evidence.replace(/\|/g, "\\|")} |`;
    });
    const stageRows = outcomes.map((o) => `| ${o.name} | ${s(o.durationMs)} | ${s(o.cpuMs)} | ${o.status === "ok" ? `${o.findings.length} finding${o.findings.length === 1 ? "" : "s"}` : `${o.status}: ${o.reason}`} |`);
    const binSeconds = wallMs / 1000;
    const met = binSeconds < GOAL_SECONDS;
    const fourLevers = ["rightsize", "compress", "cache", "batch"].every((lever) => {
      const l = report.levers.find((x) => x.lever === lever)!;
      return l.status === "ok" && l.findings.length > 0 && l.monthly.high > 0;
    });

    return `## Offline analyser (\`spendlens analyze\`): the 50,000-event demo file

Input: \`npm run demo -- --count ${COUNT} --seed ${SEED} --end ${END.toISOString()}\` (${(statSync(file).size / 1_048_576).toFixed(0)} MB of JSONL; support classifier, ticket router, reply drafter, nightly summariser and chat traffic built from ../shared/data). Every analysis runs on its local defaults (TF-IDF embedder, no provider calls; right-sizing is therefore priced from the table and counted only at its upper end until \`--replay\` measures agreement).

**End to end** — \`node bin/spendlens.mjs analyze demo.jsonl --json=report.json --out report.html\` (what \`npx spendlens\` runs), default threads:

| figure | measured |
|---|---|
| wall time | **${binSeconds.toFixed(1)} s** |
| CPU time (all threads), peak memory | ${summary ? `${summary[3]} s, ${summary[4]} MB (${summary[5]} threads)` : "not reported"} |
| 1-minute load average before / after (2 cores shared with other engineers) | ${loadBefore} / ${loadAfter} |
| stages as printed (wall, overlapping when threaded) | ${stages.map(([n, t]) => `${n} ${t} s`).join(", ")} |
| JSON report valid against docs/report.schema.json | ${schemaErrors.length === 0 ? "yes" : `no: ${schemaErrors.slice(0, 3).join("; ")}`} |
| HTML report | ${(htmlBytes / 1024).toFixed(0)} KB, self-contained |
| calls / bad lines | ${report.input.calls.toLocaleString("en-US")} / ${report.input.badLines} |
| spend; combined savings (levers in order, no double counting) | ${usd(report.spend.monthlyUsd)}/month; ${monthlyText(report.combined.saved)} |

| lever | status | findings | $/month [95% interval] | non-zero | top finding |
|---|---|---|---|---|---|
${leverRows.join("\n")}

**Where the time goes** — the same file in-process, one analysis after another (load average ${loadBefore2} → ${loadAfter2}):

| stage | wall | CPU | result |
|---|---|---|---|
| read (parse, validate, redact, normalise, price) | ${s(readWall)} | ${s(readCpu)} | ${loaded.calls.length.toLocaleString("en-US")} calls |
${stageRows.join("\n")}
| **all, one thread** | | **${s(sequentialCpu)}** | |

With the default two threads the distillation runs in a worker (which reads the file again) beside the other analyses: on two idle cores the wall time would be about max(main thread ${s(mainThreadCpu)}, worker ${s(workerCpu)}) of CPU, an estimate from the figures above, not a measurement.

| goal | verdict |
|---|---|
| 50k events analysed in under ${GOAL_SECONDS} s here | **${met ? "met" : "not met"}** (${binSeconds.toFixed(1)} s wall at load average ${loadAfter} on 2 cores; busiest thread ≈ ${s(Math.max(mainThreadCpu, workerCpu))} of CPU) |
| all four levers (right-size, compress, cache, batch) report evidence-backed findings | **${fourLevers ? "met" : "not met"}**${fourLevers ? " (right-size at its upper end: no replay endpoint)" : ""} |
| JSON validates against the documented schema | **${schemaErrors.length === 0 ? "met" : "not met"}** |`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
