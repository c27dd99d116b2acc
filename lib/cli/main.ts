// `spendlens analyze FILE.jsonl [--json[=FILE]] [--out report.html]`: read the logs, run every analysis
// in-process, print a summary per lever and write the JSON / HTML reports. Returns the exit status
// (0 analysed, 1 nothing to analyse, 2 bad command line) instead of exiting, so tests can call it.
import { readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { createReplayClient } from "../analysis/replay/client";
import { buildReport, type AnalysisResult } from "../report/build";
import { renderHtmlReport } from "../report/html";
import { stableStringify, toJson } from "../report/json";
import { renderTerminalSummary } from "../report/terminal";
import type { AnalysisName } from "../report/types";
import { parseCommandLine, USAGE, UsageError, type AnalyzeArgs } from "./args";
import { InputFileError, loadCallsFromFiles } from "./load-calls";
import { createProgress, type ProgressStream, type Stage } from "./progress";
import { ANALYSIS_ORDER, analysisWindow, planJobs, runAnalyses, startAnalysisWorker, type AnalysisEvents, type AnalysisOutcome, type ReplaySettings } from "./run-analyses";

export type CliIO = {
  stdout: ProgressStream;
  stderr: ProgressStream;
  env: Record<string, string | undefined>;
  cwd: string;
};

/** Bad lines printed on the terminal (all of them are counted; the report lists the first 1000). */
const PRINTED_LINE_ERRORS = 20;

const STAGE_NAMES: Record<AnalysisName, string> = { modelfit: "right-size", distill: "distil", bloat: "compress", cache: "cache", batch: "batch" };

export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version?: string };
    return pkg.version ?? "0.0.0";
  } catch {
    return "0.0.0";
  }
}

function mb(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MB`;
}

function outcomeSummary(o: AnalysisOutcome): string {
  if (o.status !== "ok") return `failed: ${o.reason}`;
  return `${o.findings.length} finding${o.findings.length === 1 ? "" : "s"}`;
}

export async function main(argv: string[], io: CliIO): Promise<number> {
  let args;
  try {
    args = parseCommandLine(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr.write(`spendlens: ${err.message}\nRun "spendlens --help" for usage.\n`);
    return 2;
  }
  if (args.command === "help") {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (args.command === "version") {
    io.stdout.write(`spendlens ${packageVersion()}\n`);
    return 0;
  }
  return analyze(args, io);
}

async function analyze(args: AnalyzeArgs, io: CliIO): Promise<number> {
  const started = performance.now();
  const fail = (status: number, message: string) => {
    io.stderr.write(`spendlens: ${message}\n`);
    return status;
  };
  let replay: ReplaySettings | undefined;
  if (args.replay) {
    const apiKey = io.env[args.replay.apiKeyEnv];
    if (!apiKey) return fail(2, `--replay needs an API key in the environment variable ${args.replay.apiKeyEnv}`);
    replay = {
      client: createReplayClient({ provider: args.replay.provider, baseUrl: args.replay.baseUrl, apiKey }),
      provider: args.replay.provider,
      budgetUsd: args.replay.budgetUsd,
      sampleSize: args.replay.sampleSize,
    };
  }

  const progress = createProgress(io.stderr, { enabled: !args.quiet });
  const files = args.files.map((f) => path.resolve(io.cwd, f));
  // Created on the first bytes read, so a missing file gives one clear line and no stage.
  let readStage: Stage | null = null;
  let loaded;
  try {
    loaded = await loadCallsFromFiles(files, {
      onProgress: (done, total) => (readStage ??= progress.stage("read")).update(total > 0 ? done / total : 1, `${mb(done)} of ${mb(total)}`),
    });
  } catch (err) {
    if (err instanceof InputFileError) return fail(1, files.reduce((m, f, i) => m.split(f).join(args.files[i]), err.message));
    throw err;
  }
  const given = new Map(files.map((f, i) => [f, args.files[i]]));
  (readStage ?? progress.stage("read")).finish(`${loaded.calls.length.toLocaleString("en-US")} calls, ${loaded.errorCount} bad line${loaded.errorCount === 1 ? "" : "s"}`);

  for (const e of loaded.errors.slice(0, PRINTED_LINE_ERRORS)) {
    io.stderr.write(`${given.get(e.file) ?? e.file}:${e.line}: ${e.field ? `${e.field}: ` : ""}${e.message}\n`);
  }
  if (loaded.errorCount > PRINTED_LINE_ERRORS) io.stderr.write(`… ${loaded.errorCount - PRINTED_LINE_ERRORS} more bad lines (the JSON and HTML reports list them)\n`);

  if (loaded.calls.length === 0) {
    const empty = loaded.files.filter((f) => f.kind === "events" && f.lines === 0).map((f) => given.get(f.file) ?? f.file);
    return fail(1, empty.length === loaded.files.filter((f) => f.kind === "events").length ? `nothing to analyse: ${empty.join(", ")} ${empty.length === 1 ? "is" : "are"} empty` : "nothing to analyse: no line is a valid event (see the errors above)");
  }

  const window = analysisWindow(loaded.calls)!;
  const stages = new Map<AnalysisName, Stage>();
  const stageOf = (name: AnalysisName) => {
    let s = stages.get(name);
    if (!s) stages.set(name, (s = progress.stage(STAGE_NAMES[name])));
    return s;
  };
  const events: AnalysisEvents = {
    onProgress: (name, f, m) => stageOf(name).update(f, m),
    onFinished: (o) => {
      stageOf(o.name).finish(outcomeSummary(o));
      if (o.status === "failed") progress.note(`spendlens: the ${o.name} analysis failed: ${o.reason}`);
    },
  };
  const settings = { window, seed: args.seed, agreementTarget: args.agreementTarget, cacheTolerance: args.cacheTolerance, replay };
  // The heaviest analyses run in worker threads (each reads the files itself) while this thread runs the rest.
  const plan = planJobs(args.jobs, args.only ?? undefined);
  const workers = plan.workers.map((analyses) =>
    startAnalysisWorker({ files, analyses, seed: args.seed, agreementTarget: args.agreementTarget, cacheTolerance: args.cacheTolerance }, events),
  );
  const outcomes = await runAnalyses(loaded.calls, { ...settings, only: plan.main }, events);
  for (const w of workers) {
    try {
      outcomes.push(...(await w.done));
    } catch (err) {
      // A worker that could not run (no threads, loader missing) must not cost the user the analysis.
      progress.note(`spendlens: worker for ${w.analyses.join(", ")} failed (${(err as Error).message}); running it here`);
      outcomes.push(...(await runAnalyses(loaded.calls, { ...settings, only: w.analyses }, events)));
    }
  }
  outcomes.sort((a, b) => ANALYSIS_ORDER.indexOf(a.name) - ANALYSIS_ORDER.indexOf(b.name));

  const results: AnalysisResult[] = outcomes.map((o) =>
    o.status === "ok" ? { name: o.name, status: "ok", findings: o.findings, detail: o.detail, replaySpentUsd: o.replaySpentUsd } : { name: o.name, status: o.status, reason: o.reason },
  );
  const report = buildReport({
    generatorVersion: packageVersion(),
    calls: loaded.calls,
    window,
    files: loaded.files.map((f) => ({ name: path.basename(f.file), sha256: f.sha256, kind: f.kind, bytes: f.bytes, lines: f.lines, events: f.events, errors: f.errors })),
    duplicates: loaded.duplicates,
    unpricedCalls: loaded.unpriced,
    badLines: loaded.errorCount,
    errors: loaded.errors.map((e) => ({ ...e, file: path.basename(e.file) })),
    redactions: loaded.redactions,
    priceVersion: loaded.priceVersion,
    results,
    seed: args.seed,
    replay: args.replay ? { provider: args.replay.provider, budgetUsd: args.replay.budgetUsd } : null,
    generatedAt: args.timestamp ? new Date() : undefined,
  });

  const written: string[] = [];
  if (args.json) {
    const text = `${stableStringify(toJson(report))}\n`;
    if (args.json.to === "stdout") io.stdout.write(text);
    else {
      const out = path.resolve(io.cwd, args.json.path);
      await mkdir(path.dirname(out), { recursive: true });
      await writeFile(out, text);
      written.push(`JSON report: ${args.json.path}`);
    }
  }
  if (args.htmlOut) {
    const out = path.resolve(io.cwd, args.htmlOut);
    await mkdir(path.dirname(out), { recursive: true });
    await writeFile(out, renderHtmlReport(report));
    written.push(`HTML report: ${args.htmlOut}`);
  }
  const summaryStream = args.json?.to === "stdout" ? io.stderr : io.stdout;
  if (!(args.quiet && args.json?.to === "stdout")) {
    summaryStream.write(`\n${renderTerminalSummary(report, { color: args.color && summaryStream.isTTY === true, width: summaryStream.isTTY ? Math.max(60, (summaryStream.columns || 120) - 1) : 160 })}`);
  }
  for (const w of written) io.stderr.write(`${w}\n`);
  if (!args.quiet) {
    // Process-wide figures (worker threads included): what `npm run bench -- cli` reads.
    const usage = process.resourceUsage();
    const threads = 1 + plan.workers.length;
    const cpu = (usage.userCPUTime + usage.systemCPUTime) / 1e6;
    io.stderr.write(
      `spendlens: analysed ${loaded.calls.length} calls in ${((performance.now() - started) / 1000).toFixed(1)} s (CPU ${cpu.toFixed(1)} s, peak memory ${Math.round(usage.maxRSS / 1024)} MB, ${threads} thread${threads === 1 ? "" : "s"})\n`,
    );
  }
  return 0;
}
