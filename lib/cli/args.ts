// Command line of `spendlens`: parsed strictly (an unknown flag or a bad value is an error naming it), so a
// typo never silently runs a different analysis.
import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import type { AnalysisName } from "../report/types";

export class UsageError extends Error {}

export const USAGE = `Usage: spendlens analyze FILE.jsonl [FILE ...] [options]

Reads LLM call logs (Spendlens ingest events, one JSON object per line; or an OpenAI Batch API
input file together with its output file), runs every analysis locally and prints what each lever
would save per month.

Options:
  --json                 write the JSON report to stdout (the summary then goes to stderr)
  --json=FILE            write the JSON report to FILE
  --out FILE.html        write a self-contained HTML report
  --only LIST            run only these analyses (comma-separated: modelfit,distill,bloat,cache,batch)
  --seed N               seed of the sampling and bootstrap (default 1)
  --jobs N               threads: the heaviest analyses run beside the others (default: 2, or 1 on one core)
  --agreement-target X   answer agreement a cheaper model or prompt must reach (default 0.95)
  --cache-tolerance X    highest acceptable share of wrong cache answers (default 0.01)
  --timestamp            put the time of the run in the JSON (otherwise it is byte-identical across runs)
  --quiet                no progress output
  --no-color             plain text summary
  --replay               replay samples on cheaper models and verify compressed prompts (costs money)
    --replay-base-url URL     OpenAI-compatible (or Anthropic) endpoint to replay on (required)
    --replay-provider NAME    openai (default) or anthropic
    --replay-api-key-env VAR  environment variable holding the API key (default SPENDLENS_REPLAY_API_KEY)
    --replay-budget USD       hard cap on replay spend for the run (default 2)
    --replay-sample N         calls replayed per test (default 200 for models, 120 for prompts)
  -h, --help             this text
  -v, --version          the version

Exit status: 0 when calls were analysed (even if some lines were bad), 1 when nothing could be
analysed (missing or empty file, no valid event), 2 for a bad command line.`;

export type AnalyzeArgs = {
  command: "analyze";
  files: string[];
  json: { to: "stdout" } | { to: "file"; path: string } | null;
  htmlOut: string | null;
  only: AnalysisName[] | null;
  seed: number;
  /** Threads to use (1 = everything in the main thread). */
  jobs: number;
  agreementTarget: number | undefined;
  cacheTolerance: number | undefined;
  timestamp: boolean;
  quiet: boolean;
  color: boolean;
  replay: null | { baseUrl: string; provider: "openai" | "anthropic"; apiKeyEnv: string; budgetUsd: number; sampleSize: number | undefined };
};

export type ParsedArgs = AnalyzeArgs | { command: "help" } | { command: "version" };

const ANALYSES: AnalysisName[] = ["modelfit", "distill", "bloat", "cache", "batch"];

function numberFlag(name: string, raw: string | undefined, check: (n: number) => boolean, rule: string): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(n) || !check(n)) throw new UsageError(`--${name} ${rule}, got ${JSON.stringify(raw)}`);
  return n;
}

export function parseCommandLine(argv: string[]): ParsedArgs {
  // `--json` alone means stdout; `--json=FILE` names a file (a separate value would be ambiguous with the input files).
  const normalised: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") {
      normalised.push(...argv.slice(i));
      break;
    }
    if (a.startsWith("--json=")) {
      const path = a.slice("--json=".length);
      if (!path) throw new UsageError("--json=FILE needs a file name (or use --json alone for stdout)");
      normalised.push("--json-file", path);
    } else normalised.push(a);
  }
  if (normalised.includes("--replay-api-key") || normalised.some((a) => a.startsWith("--replay-api-key="))) {
    throw new UsageError("--replay-api-key is not accepted (a key on the command line ends up in shell history): put it in SPENDLENS_REPLAY_API_KEY or name the variable with --replay-api-key-env");
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: normalised,
      allowPositionals: true,
      strict: true,
      options: {
        json: { type: "boolean" },
        "json-file": { type: "string" },
        out: { type: "string" },
        only: { type: "string" },
        seed: { type: "string" },
        jobs: { type: "string" },
        "agreement-target": { type: "string" },
        "cache-tolerance": { type: "string" },
        timestamp: { type: "boolean" },
        quiet: { type: "boolean" },
        "no-color": { type: "boolean" },
        replay: { type: "boolean" },
        "replay-base-url": { type: "string" },
        "replay-provider": { type: "string" },
        "replay-api-key-env": { type: "string" },
        "replay-budget": { type: "string" },
        "replay-sample": { type: "string" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "v" },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\. To specify a positional argument.*$/s, ""));
  }
  const { values: v, positionals } = parsed;
  if (v.help) return { command: "help" };
  if (v.version) return { command: "version" };
  const [command, ...files] = positionals;
  if (!command) throw new UsageError("missing command: spendlens analyze FILE.jsonl");
  if (command !== "analyze" && command !== "analyse") throw new UsageError(`unknown command "${command}" (the command is "analyze")`);
  if (files.length === 0) throw new UsageError("missing input: spendlens analyze FILE.jsonl");
  if (v.json && v["json-file"]) throw new UsageError("use either --json (stdout) or --json=FILE, not both");

  let only: AnalysisName[] | null = null;
  if (v.only !== undefined) {
    const names = v.only.split(",").map((s) => s.trim()).filter(Boolean);
    const bad = names.filter((n) => !ANALYSES.includes(n as AnalysisName));
    if (names.length === 0 || bad.length) throw new UsageError(`--only takes a comma-separated list of ${ANALYSES.join(", ")}${bad.length ? `; unknown: ${bad.join(", ")}` : ""}`);
    only = [...new Set(names)] as AnalysisName[];
  }
  const seed = numberFlag("seed", v.seed, (n) => Number.isInteger(n) && n >= 0 && n < 2 ** 31, "must be an integer in [0, 2^31)") ?? 1;
  const jobs = numberFlag("jobs", v.jobs, (n) => Number.isInteger(n) && n >= 1 && n <= 16, "must be an integer in [1, 16]") ?? Math.min(2, availableParallelism());
  const agreementTarget = numberFlag("agreement-target", v["agreement-target"], (n) => n > 0 && n < 1, "must be a share in (0, 1)");
  const cacheTolerance = numberFlag("cache-tolerance", v["cache-tolerance"], (n) => n >= 0 && n < 1, "must be a share in [0, 1)");

  const replayFlags = ["replay-base-url", "replay-provider", "replay-api-key-env", "replay-budget", "replay-sample"] as const;
  let replay: AnalyzeArgs["replay"] = null;
  if (v.replay) {
    const baseUrl = v["replay-base-url"];
    if (!baseUrl) throw new UsageError("--replay needs --replay-base-url URL (the endpoint to replay on)");
    let url: URL;
    try {
      url = new URL(baseUrl);
    } catch {
      throw new UsageError(`--replay-base-url is not a URL: ${JSON.stringify(baseUrl)}`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new UsageError("--replay-base-url must be an http(s) URL");
    const provider = v["replay-provider"] ?? "openai";
    if (provider !== "openai" && provider !== "anthropic") throw new UsageError(`--replay-provider must be openai or anthropic, got ${JSON.stringify(provider)}`);
    const apiKeyEnv = v["replay-api-key-env"] ?? "SPENDLENS_REPLAY_API_KEY";
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(apiKeyEnv)) throw new UsageError(`--replay-api-key-env must be an environment variable name, got ${JSON.stringify(apiKeyEnv)}`);
    replay = {
      baseUrl,
      provider,
      apiKeyEnv,
      budgetUsd: numberFlag("replay-budget", v["replay-budget"], (n) => n > 0 && n <= 10_000, "must be a dollar amount in (0, 10000]") ?? 2,
      sampleSize: numberFlag("replay-sample", v["replay-sample"], (n) => Number.isInteger(n) && n >= 10 && n <= 10_000, "must be an integer in [10, 10000]"),
    };
  } else {
    const stray = replayFlags.filter((f) => v[f] !== undefined);
    if (stray.length) throw new UsageError(`--${stray[0]} only applies with --replay`);
  }
  return {
    command: "analyze",
    files,
    json: v.json ? { to: "stdout" } : v["json-file"] ? { to: "file", path: v["json-file"] } : null,
    htmlOut: v.out ?? null,
    only,
    seed,
    jobs,
    agreementTarget,
    cacheTolerance,
    timestamp: v.timestamp === true,
    quiet: v.quiet === true,
    color: v["no-color"] !== true,
    replay,
  };
}
