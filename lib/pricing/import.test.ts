import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { importPriceFile } from "./import";
import { parsePriceTable, PriceTableError, SNAPSHOT, tableVersion } from "./table";

const fixtures = path.resolve(process.cwd(), "lib/pricing/fixtures");
const good = path.join(fixtures, "litellm-sample.json");
const bad = path.join(fixtures, "litellm-bad.json");
const tmp = mkdtempSync(path.join(os.tmpdir(), "spendlens-prices-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("parsePriceTable", () => {
  it("keeps chat/completion/embedding/responses entries and drops the rest and sample_spec", () => {
    const table = parsePriceTable(JSON.parse(readFileSync(good, "utf8")));
    expect(Object.keys(table)).toEqual(["claude-sonnet-4-5", "gpt-4o", "gpt-4o-mini", "o3-pro", "text-embedding-3-small"]);
  });

  it("keeps price fields and drops fields we do not use", () => {
    const table = parsePriceTable(JSON.parse(readFileSync(good, "utf8")));
    expect(table["gpt-4o"].input_cost_per_token_batches).toBe(1.25e-6);
    expect(table["gpt-4o"].supports_vision).toBe(true);
    expect(table["gpt-4o"]).not.toHaveProperty("search_context_cost_per_query");
    expect(table["gpt-4o"]).not.toHaveProperty("supports_tool_choice");
    expect(table["claude-sonnet-4-5"]).not.toHaveProperty("prompt_cache_min_tokens");
    expect(table["claude-sonnet-4-5"].cache_creation_input_token_cost_above_1hr).toBe(6e-6);
  });

  it("reports every bad entry, naming the model and the field", () => {
    let error: unknown;
    try {
      parsePriceTable(JSON.parse(readFileSync(bad, "utf8")));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(PriceTableError);
    const problems = (error as PriceTableError).problems;
    expect(problems).toHaveLength(2);
    expect(problems.some((p) => p.includes('"gpt-4o-mini"') && p.includes('"input_cost_per_token"') && p.includes('"0.00000015"'))).toBe(true);
    expect(problems.some((p) => p.includes('"claude-sonnet-4-5"') && p.includes('"output_cost_per_token"'))).toBe(true);
  });

  it("rejects a file that is not a table", () => {
    expect(() => parsePriceTable([])).toThrow(PriceTableError);
    expect(() => parsePriceTable({ "x-image": { mode: "image_generation", output_cost_per_image: 1 } })).toThrow(/no chat/);
    expect(() => parsePriceTable({ m: { mode: "chat", litellm_provider: "x" } })).toThrow(/"m".*input_cost_per_token/);
  });

  it("the committed snapshot is already in the projected form (re-importing it changes nothing)", () => {
    const again = parsePriceTable(JSON.parse(JSON.stringify(SNAPSHOT)));
    expect(again).toEqual(SNAPSHOT);
    expect(tableVersion(again)).toBe(tableVersion(SNAPSHOT));
  });

  it("the committed source file names the repository, commits and every entry", () => {
    const source = JSON.parse(readFileSync(path.resolve(process.cwd(), "lib/pricing/prices.source.json"), "utf8"));
    expect(source.source.repo).toBe("BerriAI/litellm");
    const listed = Object.values(source.commits as Record<string, { entries: string[] }>).flatMap((c) => c.entries);
    expect(listed.sort()).toEqual(Object.keys(SNAPSHOT).sort());
    for (const sha of Object.keys(source.commits)) expect(sha).toMatch(/^[0-9a-f]{40}$/);
  });
});

describe("importPriceFile", () => {
  it("writes the snapshot and source files and reports added/changed/removed", () => {
    const dir = mkdtempSync(path.join(tmp, "a-"));
    writeFileSync(
      path.join(dir, "prices.snapshot.json"),
      JSON.stringify({
        "gpt-4o": { input_cost_per_token: 5e-6, output_cost_per_token: 1.5e-5, litellm_provider: "openai", mode: "chat" },
        "old-model": { input_cost_per_token: 1e-6, litellm_provider: "openai", mode: "chat" },
        "text-embedding-3-small": parsePriceTable(JSON.parse(readFileSync(good, "utf8")))["text-embedding-3-small"],
      }),
    );
    const r = importPriceFile(good, { outDir: dir, source: { commit: "0123456789abcdef0123456789abcdef01234567", fetchedAt: "2026-01-02" }, now: new Date("2026-01-03T00:00:00Z") });
    expect(r.added).toEqual(["claude-sonnet-4-5", "gpt-4o-mini", "o3-pro"]);
    expect(r.changed).toEqual(["gpt-4o"]);
    expect(r.removed).toEqual(["old-model"]);
    const written = JSON.parse(readFileSync(path.join(dir, "prices.snapshot.json"), "utf8"));
    expect(Object.keys(written)).toEqual(["claude-sonnet-4-5", "gpt-4o", "gpt-4o-mini", "o3-pro", "text-embedding-3-small"]);
    const source = JSON.parse(readFileSync(path.join(dir, "prices.source.json"), "utf8"));
    expect(source).toMatchObject({ source: { repo: "BerriAI/litellm", commit: "0123456789abcdef0123456789abcdef01234567" }, fetchedAt: "2026-01-02", importedAt: "2026-01-03T00:00:00.000Z", entryCount: 5, version: r.version });
    expect(source.fileSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("writes nothing when the file is invalid", () => {
    const dir = mkdtempSync(path.join(tmp, "b-"));
    expect(() => importPriceFile(bad, { outDir: dir })).toThrow(/"gpt-4o-mini": field "input_cost_per_token"/);
    expect(existsSync(path.join(dir, "prices.snapshot.json"))).toBe(false);
    const notJson = path.join(dir, "broken.json");
    writeFileSync(notJson, "{ nope");
    expect(() => importPriceFile(notJson, { outDir: dir })).toThrow(/broken\.json is not valid JSON/);
  });
});

describe("npm run prices:import (the script)", () => {
  const run = promisify(execFile);
  const script = path.resolve(process.cwd(), "scripts/prices-import.ts");
  const tsx = path.resolve(process.cwd(), "node_modules/.bin/tsx");

  it("imports a file and prints the change summary", async () => {
    const dir = mkdtempSync(path.join(tmp, "c-"));
    const { stdout } = await run(tsx, [script, good, "--out", dir, "--commit", "abc"], { timeout: 60_000 });
    expect(stdout).toMatch(/5 models written/);
    expect(stdout).toMatch(/added \(5\): claude-sonnet-4-5, gpt-4o, gpt-4o-mini, o3-pro, text-embedding-3-small/);
    expect(stdout).toMatch(/removed \(0\)/);
    expect(JSON.parse(readFileSync(path.join(dir, "prices.source.json"), "utf8")).source.commit).toBe("abc");
  });

  it("exits non-zero naming the bad model and field", async () => {
    const dir = mkdtempSync(path.join(tmp, "d-"));
    const err = await run(tsx, [script, bad, "--out", dir], { timeout: 60_000 }).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).toBe(1);
    expect(err?.stderr).toMatch(/model "gpt-4o-mini": field "input_cost_per_token"/);
    expect(err?.stderr).toMatch(/model "claude-sonnet-4-5": field "output_cost_per_token"/);
    expect(existsSync(path.join(dir, "prices.snapshot.json"))).toBe(false);
  });
});
