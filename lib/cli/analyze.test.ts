// End to end: the real `spendlens` bin on a small demo file (child processes, as a user runs it), and
// main() in-process for exit statuses and for replays against a loopback OpenAI-compatible server.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeProvider, type FakeProvider } from "../analysis/replay/fake-provider";
import { generateDemoEvents } from "../demo/generate";
import { requestMessages } from "../analysis/messages";
import { validateJsonSchema } from "../report/json-schema";
import type { SpendlensReport } from "../report/types";
import { main, type CliIO } from "./main";

const run = promisify(execFile);
const repo = process.cwd();
const bin = path.join(repo, "bin/spendlens.mjs");
const schema = JSON.parse(readFileSync(path.join(repo, "docs/report.schema.json"), "utf8"));
const dir = mkdtempSync(path.join(os.tmpdir(), "spendlens-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const END = new Date("2026-11-01T00:00:00Z");
const COUNT = 3000;
let demoFile = "";
let badFile = "";
let demoLines: string[] = [];

beforeAll(() => {
  demoLines = [...generateDemoEvents({ count: COUNT, seed: 11, end: END })].map((e) => JSON.stringify(e));
  demoFile = path.join(dir, "demo.jsonl");
  writeFileSync(demoFile, demoLines.join("\n") + "\n");
  // Two bad lines among the good ones: line 5 is not JSON, line 101 has a bad timestamp.
  const lines = [...demoLines];
  lines.splice(4, 0, '{"id": "broken", ');
  const bad = JSON.parse(lines[100]);
  bad.timestamp = "31/12/2025";
  lines[100] = JSON.stringify(bad);
  badFile = path.join(dir, "with-bad-lines.jsonl");
  writeFileSync(badFile, lines.join("\n") + "\n");
});

function capture(env: Record<string, string | undefined> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) }, env, cwd: dir };
  return { io, stdout: () => out.join(""), stderr: () => err.join("") };
}

describe("spendlens analyze (the real bin)", () => {
  let first: { stdout: string; stderr: string };
  let report: SpendlensReport;

  beforeAll(async () => {
    first = await run(process.execPath, [bin, "analyze", badFile, "--json=r1.json", "--out", "report.html", "--jobs", "2"], { cwd: dir, maxBuffer: 1 << 26, timeout: 240_000 });
    report = JSON.parse(readFileSync(path.join(dir, "r1.json"), "utf8"));
  }, 250_000);

  it("reports the bad lines with their line numbers and fields, and analyses the rest", () => {
    expect(first.stderr).toContain(`${badFile}:5: not valid JSON`);
    expect(first.stderr).toMatch(new RegExp(`${badFile.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:101: timestamp: not an ISO 8601 date-time`));
    expect(report.input.badLines).toBe(2);
    expect(report.input.errors.map((e) => [e.line, e.field])).toEqual([
      [5, ""],
      [101, "timestamp"],
    ]);
    expect(report.input.calls).toBe(COUNT - 1);
  });

  it("writes a JSON report that validates against docs/report.schema.json", () => {
    expect(validateJsonSchema(schema, report)).toEqual([]);
  });

  it("runs every analysis and backs the levers' findings with evidence", () => {
    const by = Object.fromEntries(report.levers.map((l) => [l.lever, l]));
    for (const lever of ["rightsize", "distill", "compress", "prefix_cache", "cache", "batch"] as const) expect(by[lever].status).toBe("ok");
    // Right-sizing without replays: candidates priced from the table, counted only at the upper end.
    expect(by.rightsize.findings.length).toBeGreaterThan(0);
    expect(by.rightsize.monthly.usd).toBe(0);
    expect(by.rightsize.monthly.high).toBeGreaterThan(0);
    expect(by.rightsize.findings[0].evidence.task).toBe("classification");
    // The demo's classifier prompt is bloated; its nightly summaries are a batch job.
    expect(by.compress.monthly.usd).toBeGreaterThan(0);
    expect(by.compress.findings[0].evidence.candidateTokens).toBeLessThan(by.compress.findings[0].evidence.originalTokens as number);
    expect(by.batch.findings.map((f) => f.scope.feature)).toContain("nightly-summary");
    expect(by.batch.monthly.usd).toBeGreaterThan(0);
    // The cache's threshold curve, per feature and model.
    const cacheGroups = (by.cache.detail as { groups: Array<{ feature: string; curve: Array<{ threshold: number }> }> }).groups;
    const classifier = cacheGroups.find((g) => g.feature === "support-classifier")!;
    expect(classifier.curve.length).toBeGreaterThan(5);
    expect(classifier.curve.map((p) => p.threshold)).toEqual([...classifier.curve.map((p) => p.threshold)].sort((a, b) => a - b));
    expect(report.combined.saved.usd).toBeGreaterThan(0);
    expect(report.combined.projectedMonthlyUsd).toBeLessThan(report.combined.currentMonthlyUsd);
  });

  it("prints a readable summary per lever on stdout and progress on stderr", () => {
    expect(first.stdout).toContain(`Spendlens analysis of ${path.basename(badFile)}`);
    for (const label of ["Right-size the model", "Compress the prompt", "Cache by meaning", "Batch what can wait"]) expect(first.stdout).toContain(label);
    expect(first.stdout).toMatch(/Combined, without double counting: \$[\d.,]+\/month/);
    // Not a terminal: plain progress lines, no cursor movement.
    expect(first.stderr).toMatch(/^read: started$/m);
    expect(first.stderr).toMatch(/^cache: done in [\d.]+ s/m);
    expect(first.stderr).not.toContain("\x1b[");
    expect(first.stderr).toMatch(/^spendlens: analysed 2999 calls in [\d.]+ s \(CPU [\d.]+ s, peak memory \d+ MB, 2 threads\)$/m);
  });

  it("writes a self-contained HTML report with inline charts and nothing loaded from elsewhere", () => {
    const html = readFileSync(path.join(dir, "report.html"), "utf8");
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect((html.match(/<svg /g) ?? []).length).toBeGreaterThanOrEqual(4);
    for (const label of ["Right-size the model", "Compress the prompt", "Batch what can wait", "From today's spend to the projection"]) expect(html).toContain(label);
    expect(html).not.toMatch(/<link\b|<img\b|<iframe\b|\bsrc=|url\(|@import/i);
    expect(html).not.toMatch(/href="(?!#)/);
    // Text from the logs is escaped: the broken line's raw JSON never appears as markup.
    expect(html).not.toContain("<script>document.write");
  });

  it("gives a byte-identical JSON report when run again on the same file, threaded or not", async () => {
    // The first run used the default two threads (distillation and cache in a worker); this one uses one.
    await run(process.execPath, [bin, "analyze", badFile, "--json=r2.json", "--quiet", "--jobs", "1"], { cwd: dir, maxBuffer: 1 << 26, timeout: 240_000 });
    const a = readFileSync(path.join(dir, "r1.json"));
    const b = readFileSync(path.join(dir, "r2.json"));
    expect(b.equals(a)).toBe(true);
  }, 250_000);

  it("exits non-zero with one clear line for a missing file or a bad flag", async () => {
    const missing = await run(process.execPath, [bin, "analyze", "nope.jsonl"], { cwd: dir }).catch((e) => e);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe("spendlens: nope.jsonl: no such file\n");
    const flag = await run(process.execPath, [bin, "analyze", demoFile, "--jsn"], { cwd: dir }).catch((e) => e);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/^spendlens: Unknown option '--jsn'/);
  }, 60_000);
});

describe("main (in-process)", () => {
  it("writes the JSON to stdout with --json, the summary then going to stderr", async () => {
    const c = capture();
    expect(await main(["analyze", demoFile, "--json", "--only", "batch", "--quiet"], c.io)).toBe(0);
    const report = JSON.parse(c.stdout()) as SpendlensReport;
    expect(report.format).toBe("spendlens-report");
    expect(report.levers.filter((l) => l.status === "ok").map((l) => l.lever)).toEqual(["batch"]);
    expect(report.levers.find((l) => l.lever === "cache")!.reason).toBe("the cache analysis was not run");
    expect(c.stderr()).toBe("");
  }, 60_000);

  it("fails with status 1 on an empty file and on a file with no valid event", async () => {
    writeFileSync(path.join(dir, "empty.jsonl"), "\n\n");
    const empty = capture();
    expect(await main(["analyze", "empty.jsonl"], empty.io)).toBe(1);
    expect(empty.stderr()).toContain("spendlens: nothing to analyse: empty.jsonl is empty");

    writeFileSync(path.join(dir, "junk.jsonl"), "not json\n{}\n");
    const junk = capture();
    expect(await main(["analyze", "junk.jsonl", "--quiet"], junk.io)).toBe(1);
    expect(junk.stderr()).toContain("junk.jsonl:1: not valid JSON");
    expect(junk.stderr()).toContain("junk.jsonl:2: id: required string");
    expect(junk.stderr()).toContain("nothing to analyse: no line is a valid event");
  });

  it("needs the replay key in the environment, never on the command line", async () => {
    const c = capture({});
    expect(await main(["analyze", demoFile, "--replay", "--replay-base-url", "http://127.0.0.1:9/v1"], c.io)).toBe(2);
    expect(c.stderr()).toContain("needs an API key in the environment variable SPENDLENS_REPLAY_API_KEY");
  });

  describe("--replay against a loopback OpenAI-compatible server", () => {
    // What the logs answered for each last user message: a candidate that answers the same agrees.
    const logged = new Map<string, string>();
    let agreeing: FakeProvider;
    let wrong: FakeProvider;
    beforeAll(async () => {
      for (const line of demoLines) {
        const e = JSON.parse(line);
        const msgs = requestMessages(e.request);
        const user = [...msgs].reverse().find((m) => m.role === "user")?.text ?? "";
        const text = e.response?.choices?.[0]?.message?.content;
        if (typeof text === "string") logged.set(user, text);
      }
      agreeing = await startFakeProvider({ answer: (req) => logged.get(req.lastUserText) ?? "no idea" });
      wrong = await startFakeProvider({ answer: () => "refund_request_denied" });
    });
    afterAll(async () => {
      await agreeing.close();
      await wrong.close();
    });

    // 200 replays per test (the default): fewer cannot lift the family-wise lower bound over a 95% target.
    const args = (url: string, out: string) => ["analyze", demoFile, "--only", "modelfit", "--replay", "--replay-base-url", url, "--replay-budget", "1", `--json=${out}`, "--quiet"];

    it("measures right-sizing by replay and counts the saving when the cheaper model agrees", async () => {
      const c = capture({ SPENDLENS_REPLAY_API_KEY: "sk-test-loopback" });
      expect(await main(args(agreeing.openaiBaseUrl, "replay-ok.json"), c.io)).toBe(0);
      const report = JSON.parse(readFileSync(path.join(dir, "replay-ok.json"), "utf8")) as SpendlensReport;
      expect(validateJsonSchema(schema, report)).toEqual([]);
      const rightsize = report.levers.find((l) => l.lever === "rightsize")!;
      const recommended = rightsize.findings.filter((f) => f.evidence.status === "recommended");
      expect(recommended.map((f) => f.scope.feature)).toContain("support-classifier");
      expect(rightsize.monthly.usd).toBeGreaterThan(0);
      expect(recommended[0].evidence.compared).toBeGreaterThan(0);
      expect(report.settings.replay).toMatchObject({ enabled: true, provider: "openai", budgetUsd: 1 });
      expect(report.settings.replay.spentUsd).toBeGreaterThan(0);
      expect(report.settings.replay.spentUsd).toBeLessThanOrEqual(1);
      expect(agreeing.requests.length).toBeGreaterThan(0);
      expect(agreeing.requests.every((r) => r.authorization === "Bearer sk-test-loopback")).toBe(true);
      expect(new Set(agreeing.requests.map((r) => r.model))).not.toContain("gpt-4o");
      // The key is never written to the report.
      expect(readFileSync(path.join(dir, "replay-ok.json"), "utf8")).not.toContain("sk-test-loopback");
    }, 120_000);

    it("recommends nothing when the cheaper model's answers disagree", async () => {
      const c = capture({ SPENDLENS_REPLAY_API_KEY: "sk-test-loopback" });
      expect(await main(args(wrong.openaiBaseUrl, "replay-wrong.json"), c.io)).toBe(0);
      const report = JSON.parse(readFileSync(path.join(dir, "replay-wrong.json"), "utf8")) as SpendlensReport;
      const rightsize = report.levers.find((l) => l.lever === "rightsize")!;
      expect(rightsize.findings.filter((f) => f.evidence.status === "recommended")).toEqual([]);
      expect(rightsize.monthly.usd).toBe(0);
      const groups = (rightsize.detail as { groups: Array<{ feature: string; candidates: Array<{ status: string }> }> }).groups;
      const classifier = groups.find((g) => g.feature === "support-classifier")!;
      expect(classifier.candidates.map((x) => x.status)).toContain("does_not_fit");
      expect(wrong.requests.length).toBeGreaterThan(0);
    }, 120_000);
  });
});
