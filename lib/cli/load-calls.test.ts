import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { generateDemoEvents } from "../demo/generate";
import type { IngestEvent } from "../ingest/event";
import { prepareCall } from "../ingest/writer";
import { priceCall } from "../pricing/cost";
import { InputFileError, loadCallsFromFiles, OFFLINE_PRICING } from "./load-calls";

const dir = mkdtempSync(path.join(os.tmpdir(), "spendlens-load-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, lines: string[]): string {
  const file = path.join(dir, name);
  writeFileSync(file, lines.join("\n") + "\n");
  return file;
}

const END = new Date("2026-11-01T00:00:00Z");
const demo: IngestEvent[] = [...generateDemoEvents({ count: 60, seed: 7, end: END })];

describe("loadCallsFromFiles", () => {
  it("reports each bad line with its line number and field, and loads every other line", async () => {
    const lines = demo.slice(0, 10).map((e) => JSON.stringify(e));
    const badTimestamp = { ...demo[10], timestamp: "yesterday" };
    const noRequest: Record<string, unknown> = { ...demo[11] };
    delete noRequest.request;
    const badTag = { ...demo[12], tags: { feature: 42 } };
    // line 3: not JSON; line 6: blank (skipped, still counted); line 8: bad timestamp; line 12: no request; line 14: a tag that is not a string
    lines.splice(2, 0, "{not json");
    lines.splice(5, 0, "");
    lines.splice(7, 0, JSON.stringify(badTimestamp));
    lines.splice(11, 0, JSON.stringify(noRequest));
    lines.splice(13, 0, JSON.stringify(badTag));
    const file = write("mixed.jsonl", lines);

    const loaded = await loadCallsFromFiles([file]);

    expect(loaded.calls).toHaveLength(10);
    expect(loaded.errorCount).toBe(4);
    expect(loaded.errors.map((e) => [e.line, e.field])).toEqual([
      [3, ""],
      [8, "timestamp"],
      [12, "request"],
      [14, "tags.feature"],
    ]);
    expect(loaded.errors[0].message).toMatch(/not valid JSON/);
    expect(loaded.errors.every((e) => e.file === file)).toBe(true);
    expect(loaded.files[0]).toMatchObject({ kind: "events", events: 10, errors: 4, lines: 15 });
    expect(loaded.files[0].sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set(loaded.calls.map((c) => c.id))).toEqual(new Set(demo.slice(0, 10).map((e) => e.id)));
  });

  it("prices every call exactly as the server's writer does, and sorts calls oldest first", async () => {
    const shuffled = [...demo].reverse();
    const loaded = await loadCallsFromFiles([write("demo.jsonl", shuffled.map((e) => JSON.stringify(e)))]);
    expect(loaded.calls).toHaveLength(demo.length);
    const byId = new Map(loaded.calls.map((c) => [c.id, c]));
    for (const event of demo) {
      const server = prepareCall(event, OFFLINE_PRICING).row;
      const call = byId.get(event.id)!;
      expect(call.costUsd).toBe(server.costUsd);
      expect(call.inputTokens).toBe(server.inputTokens);
      expect(call.model).toBe(server.model);
    }
    expect(loaded.calls.some((c) => (c.costUsd ?? 0) > 0)).toBe(true);
    const times = loaded.calls.map((c) => c.timestamp.getTime());
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it("counts a repeated event id once, as the server's idempotency key does", async () => {
    const lines = [demo[0], demo[1], demo[0], demo[2], demo[1]].map((e) => JSON.stringify(e));
    const loaded = await loadCallsFromFiles([write("dupes.jsonl", lines)]);
    expect(loaded.calls.map((c) => c.id).sort()).toEqual([demo[0].id, demo[1].id, demo[2].id].sort());
    expect(loaded.duplicates).toBe(2);
    expect(loaded.files[0].events).toBe(5);
  });

  it("redacts secrets before analysis and counts them by kind", async () => {
    const secret = "sk-proj-" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4";
    const event = { ...demo[0], id: "with-secret", request: { model: "gpt-4o-mini", messages: [{ role: "user", content: `my key is ${secret}` }] } };
    const loaded = await loadCallsFromFiles([write("secret.jsonl", [JSON.stringify(event)])]);
    expect(JSON.stringify(loaded.calls[0].request)).not.toContain(secret);
    expect(loaded.redactions).toEqual({ openai_key: 1 });
  });

  it("pairs an OpenAI Batch API output file with its input file by custom_id, priced at the batch price", async () => {
    const body = (text: string) => ({ model: "gpt-4o-mini", messages: [{ role: "user", content: text }] });
    const input = write("batch_input.jsonl", [
      JSON.stringify({ custom_id: "r1", method: "POST", url: "/v1/chat/completions", body: body("Summarise ticket 1") }),
      JSON.stringify({ custom_id: "r2", method: "POST", url: "/v1/chat/completions", body: body("Summarise ticket 2") }),
    ]);
    const result = (id: string, custom: string, text: string) => ({
      id,
      custom_id: custom,
      response: {
        status_code: 200,
        body: {
          id: `chatcmpl-${id}`,
          object: "chat.completion",
          created: 1_790_000_000,
          model: "gpt-4o-mini-2024-07-18",
          choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }],
          usage: { prompt_tokens: 1000, completion_tokens: 200, total_tokens: 1200 },
        },
      },
      error: null,
    });
    const output = write("batch_output.jsonl", [JSON.stringify(result("b1", "r2", "Two.")), JSON.stringify(result("b2", "r1", "One."))]);

    const loaded = await loadCallsFromFiles([input, output]);

    expect(loaded.files.map((f) => f.kind)).toEqual(["openai_batch_input", "events"]);
    expect(loaded.calls).toHaveLength(2);
    const r2 = loaded.calls.find((c) => c.tags.batch_custom_id === "r2")!;
    expect(r2.batch).toBe(true);
    expect(r2.request).toEqual(body("Summarise ticket 2"));
    expect(r2.outputText).toBe("Two.");
    const usage = { inputTokens: 1000, outputTokens: 200, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };
    const batchPrice = priceCall(usage, { provider: "openai", model: "gpt-4o-mini-2024-07-18", batch: true })!.costUsd;
    const standard = priceCall(usage, { provider: "openai", model: "gpt-4o-mini-2024-07-18" })!.costUsd;
    expect(r2.costUsd).toBeCloseTo(batchPrice, 12);
    expect(batchPrice).toBeLessThan(standard);
  });

  it("refuses a missing file, a directory, and input files without their outputs", async () => {
    await expect(loadCallsFromFiles([path.join(dir, "nope.jsonl")])).rejects.toThrow(InputFileError);
    await expect(loadCallsFromFiles([path.join(dir, "nope.jsonl")])).rejects.toThrow(/no such file/);
    await expect(loadCallsFromFiles([dir])).rejects.toThrow(/not a file/);
    const input = write("only_input.jsonl", [JSON.stringify({ custom_id: "x", method: "POST", url: "/v1/chat/completions", body: { model: "gpt-4o" } })]);
    await expect(loadCallsFromFiles([input])).rejects.toThrow(/add their output files/);
  });

  it("reads an empty file as zero lines (the CLI turns that into an error)", async () => {
    const file = path.join(dir, "empty.jsonl");
    writeFileSync(file, "");
    const loaded = await loadCallsFromFiles([file]);
    expect(loaded.calls).toHaveLength(0);
    expect(loaded.files[0].lines).toBe(0);
  });
});
