// observeAnthropic with the official @anthropic-ai/sdk, and OpenAI Batch API result files, against the
// loopback fake provider.
import Anthropic from "@anthropic-ai/sdk";
import OpenAI, { toFile } from "openai";
import { mkdtempSync, writeFileSync, createReadStream } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { observeAnthropic } from "../src/anthropic";
import { observeOpenAI, Spendlens, withTags, type IngestEvent } from "../src/index";
import { supportPairs } from "./support/data";
import { startFakeIngest, type FakeIngest } from "./support/fake-ingest";
import { startFakeProvider, type FakeProvider } from "./support/fake-provider";

let provider: FakeProvider;
let ingest: FakeIngest;
let sl: Spendlens;
const pairs = supportPairs();

beforeAll(async () => {
  provider = await startFakeProvider();
  ingest = await startFakeIngest();
  sl = new Spendlens({ apiKey: "sl_test", baseUrl: ingest.url, flushAt: 1000, flushOnExit: false, onError: () => {} });
});
afterAll(async () => {
  await sl.shutdown(1000);
  await provider.close();
  await ingest.close();
});
beforeEach(() => {
  ingest.events.clear();
  ingest.deliveries.clear();
});

async function logged(): Promise<IngestEvent[]> {
  await sl.flush(5000);
  return [...ingest.events.values()] as unknown as IngestEvent[];
}

function normalise<T>(value: T): T {
  return JSON.parse(JSON.stringify(value).replace(/"(msg|req)_\d+"/g, '"$1_N"'));
}

describe("observeAnthropic", () => {
  const anthropic = () => new Anthropic({ apiKey: "sk-ant-test", baseURL: provider.url, maxRetries: 0 });

  it("messages.create, plain and streamed: same as without the wrapper; the event has the message and usage", async () => {
    const plain = anthropic();
    const observed = observeAnthropic(anthropic(), { spendlens: sl, tags: { feature: "triage" } });
    const body = { model: "claude-haiku-4-5", max_tokens: 512, system: "Be brief.", messages: [{ role: "user" as const, content: pairs[7]!.instruction }] };
    const expected = await plain.messages.create(body);
    const got = await observed.messages.create({ ...body, spendlens: { tags: { user: "u-9" } } });
    expect(normalise(got)).toEqual(normalise(expected));
    expect(provider.requests.at(-1)!.body).not.toHaveProperty("spendlens");

    const expectedEvents: unknown[] = [];
    for await (const e of await plain.messages.create({ ...body, stream: true })) expectedEvents.push(e);
    const gotEvents: unknown[] = [];
    for await (const e of await observed.messages.create({ ...body, stream: true })) gotEvents.push(e);
    expect(normalise(gotEvents)).toEqual(normalise(expectedEvents));

    const [plainEvent, streamEvent] = await logged();
    expect(plainEvent).toMatchObject({ provider: "anthropic", endpoint: "/v1/messages", tags: { feature: "triage", user: "u-9" }, response: { usage: got.usage } });
    const streamed = streamEvent!.response as any;
    expect(streamed.content).toEqual([{ type: "text", text: pairs[7]!.response }]);
    expect(streamed.stop_reason).toBe("end_turn");
    expect(streamed.usage).toEqual(got.usage);
    expect(streamEvent!.ttft_ms).toBeGreaterThanOrEqual(0);
  });

  it("messages.stream() helper is logged once through create", async () => {
    const observed = observeAnthropic(anthropic(), { spendlens: sl });
    const final = await observed.messages
      .stream({ model: "claude-haiku-4-5", max_tokens: 256, messages: [{ role: "user", content: pairs[8]!.instruction }] })
      .finalMessage();
    expect(final.content[0]).toMatchObject({ type: "text", text: pairs[8]!.response });
    const events = await logged();
    expect(events).toHaveLength(1);
    expect((events[0]!.response as any).content[0].text).toBe(pairs[8]!.response);
  });
});

describe("OpenAI Batch API result files", () => {
  it("each result line becomes a batch event with its request; downloading again adds nothing", async () => {
    const openai = observeOpenAI(new OpenAI({ apiKey: "sk-test", baseURL: `${provider.url}/v1`, maxRetries: 0 }), { spendlens: sl });
    const rows = pairs.slice(20, 26).map((p, i) => ({
      custom_id: `row-${i}`,
      method: "POST",
      url: "/v1/chat/completions",
      body: { model: "gpt-4o-mini", messages: [{ role: "user", content: p.instruction }] },
    }));
    const jsonl = rows.map((r) => JSON.stringify(r)).join("\n") + "\n";
    const dir = mkdtempSync(path.join(os.tmpdir(), "sl-batch-"));
    writeFileSync(path.join(dir, "in.jsonl"), jsonl);
    // Uploaded as a file stream (the common case): the SDK reads the same file from disk, not the stream.
    const input = await openai.files.create({ file: createReadStream(path.join(dir, "in.jsonl")), purpose: "batch" });
    const created = await openai.batches.create({ input_file_id: input.id, endpoint: "/v1/chat/completions", completion_window: "24h" });
    expect(created.output_file_id).toBeNull();
    const done = await openai.batches.retrieve(created.id);
    expect(done.status).toBe("completed");

    const download = async () => {
      const res = await withTags({ feature: "nightly-summaries" }, () => openai.files.content(done.output_file_id!));
      return res.text();
    };
    const text = await download();
    expect(text.trim().split("\n")).toHaveLength(6); // the app reads the whole file itself
    await download();
    const events = (await logged()).filter((e) => e.batch);
    expect(events).toHaveLength(6);
    for (const line of text.trim().split("\n").map((l) => JSON.parse(l))) {
      expect(ingest.deliveries.get(line.id)).toBe(2); // sent on both downloads, with the same id ...
      const event = ingest.events.get(line.id) as unknown as IngestEvent;
      const row = rows.find((r) => r.custom_id === line.custom_id)!;
      expect(event).toMatchObject({ batch: true, endpoint: "/v1/chat/completions", request: row.body, response: line.response.body, tags: { feature: "nightly-summaries" } });
    }
    expect(ingest.events.size).toBe(6); // ... so the server stores each once
  });

  it("results downloaded right after a large upload still carry each request (the read of the input file is awaited)", async () => {
    const openai = observeOpenAI(new OpenAI({ apiKey: "sk-test", baseURL: `${provider.url}/v1`, maxRetries: 0 }), { spendlens: sl });
    // ~6 MB of input: reading it back from disk takes longer than the loopback round trips that follow.
    const filler = pairs.map((p) => p.instruction).join(" ").repeat(40).slice(0, 1_000_000);
    const rows = pairs.slice(40, 46).map((p, i) => ({
      custom_id: `big-${i}`,
      method: "POST",
      url: "/v1/chat/completions",
      body: { model: "gpt-4o-mini", messages: [{ role: "system", content: filler }, { role: "user", content: p.instruction }] },
    }));
    const dir = mkdtempSync(path.join(os.tmpdir(), "sl-batch-big-"));
    writeFileSync(path.join(dir, "in.jsonl"), rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
    const input = await openai.files.create({ file: createReadStream(path.join(dir, "in.jsonl")), purpose: "batch" });
    const created = await openai.batches.create({ input_file_id: input.id, endpoint: "/v1/chat/completions", completion_window: "24h" });
    const done = await openai.batches.retrieve(created.id);
    const text = await (await openai.files.content(done.output_file_id!)).text();
    const events = (await logged()).filter((e) => e.batch);
    expect(events).toHaveLength(6);
    for (const line of text.trim().split("\n").map((l) => JSON.parse(l))) {
      const event = ingest.events.get(line.id) as unknown as IngestEvent;
      const row = rows.find((r) => r.custom_id === line.custom_id)!;
      expect((event.request as { messages: Array<{ content: string }> }).messages[1].content).toBe(row.body.messages[1].content);
    }
  });

  it("an uploaded Blob works too, and files that are not batch results are not read", async () => {
    const openai = observeOpenAI(new OpenAI({ apiKey: "sk-test", baseURL: `${provider.url}/v1`, maxRetries: 0 }), { spendlens: sl });
    const rows = pairs.slice(30, 32).map((p, i) => ({ custom_id: `e-${i}`, method: "POST", url: "/v1/embeddings", body: { model: "text-embedding-3-small", input: p.instruction } }));
    const input = await openai.files.create({ file: await toFile(Buffer.from(rows.map((r) => JSON.stringify(r)).join("\n")), "in.jsonl"), purpose: "batch" });
    const batch = await openai.batches.retrieve((await openai.batches.create({ input_file_id: input.id, endpoint: "/v1/embeddings", completion_window: "24h" })).id);
    await (await openai.files.content(input.id)).text(); // the input file: not a result file
    await (await openai.files.content(batch.output_file_id!)).text();
    const events = await logged();
    expect(events).toHaveLength(2);
    for (const e of events) {
      expect(e).toMatchObject({ batch: true, endpoint: "/v1/embeddings" });
      expect(rows.map((r) => r.body)).toContainEqual(e.request);
    }
  });
});
