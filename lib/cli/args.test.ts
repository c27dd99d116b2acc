import { describe, expect, it } from "vitest";
import { parseCommandLine, UsageError, type AnalyzeArgs } from "./args";

const analyze = (argv: string[]) => parseCommandLine(argv) as AnalyzeArgs;

describe("parseCommandLine", () => {
  it("reads files and output options", () => {
    expect(analyze(["analyze", "a.jsonl", "b.jsonl", "--json", "--out", "r.html"])).toMatchObject({
      command: "analyze",
      files: ["a.jsonl", "b.jsonl"],
      json: { to: "stdout" },
      htmlOut: "r.html",
      seed: 1,
      replay: null,
      timestamp: false,
    });
    expect(analyze(["analyze", "--json=out/r.json", "a.jsonl"]).json).toEqual({ to: "file", path: "out/r.json" });
    expect(analyze(["analyse", "a.jsonl", "--only", "cache, batch,cache", "--seed", "7", "--jobs", "3"])).toMatchObject({ only: ["cache", "batch"], seed: 7, jobs: 3 });
  });

  it("reads the replay settings, the key only from the environment", () => {
    expect(analyze(["analyze", "a.jsonl", "--replay", "--replay-base-url", "http://127.0.0.1:9/v1", "--replay-budget", "0.5", "--replay-sample", "40"]).replay).toEqual({
      baseUrl: "http://127.0.0.1:9/v1",
      provider: "openai",
      apiKeyEnv: "SPENDLENS_REPLAY_API_KEY",
      budgetUsd: 0.5,
      sampleSize: 40,
    });
    expect(() => parseCommandLine(["analyze", "a.jsonl", "--replay", "--replay-base-url", "http://x", "--replay-api-key", "sk-123"])).toThrow(/shell history/);
  });

  it.each([
    [[], /missing command/],
    [["analyze"], /missing input/],
    [["summarise", "a.jsonl"], /unknown command "summarise"/],
    [["analyze", "a.jsonl", "--bogus"], /Unknown option '--bogus'/],
    [["analyze", "a.jsonl", "--seed", "x"], /--seed must be an integer/],
    [["analyze", "a.jsonl", "--jobs", "0"], /--jobs must be an integer in \[1, 16\]/],
    [["analyze", "a.jsonl", "--only", "cache,magic"], /unknown: magic/],
    [["analyze", "a.jsonl", "--json", "--json=r.json"], /either --json/],
    [["analyze", "a.jsonl", "--json="], /needs a file name/],
    [["analyze", "a.jsonl", "--cache-tolerance", "1.5"], /--cache-tolerance must be a share/],
    [["analyze", "a.jsonl", "--replay"], /needs --replay-base-url/],
    [["analyze", "a.jsonl", "--replay", "--replay-base-url", "ftp://x"], /http\(s\) URL/],
    [["analyze", "a.jsonl", "--replay", "--replay-base-url", "http://x", "--replay-provider", "google"], /openai or anthropic/],
    [["analyze", "a.jsonl", "--replay-budget", "3"], /only applies with --replay/],
  ])("refuses %j with a message naming the problem", (argv, message) => {
    expect(() => parseCommandLine(argv as string[])).toThrow(UsageError);
    expect(() => parseCommandLine(argv as string[])).toThrow(message as RegExp);
  });

  it("answers help and version", () => {
    expect(parseCommandLine(["--help"])).toEqual({ command: "help" });
    expect(parseCommandLine(["analyze", "-v"])).toEqual({ command: "version" });
  });
});
