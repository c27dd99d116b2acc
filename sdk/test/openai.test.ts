// observeOpenAI with the official `openai` client against a loopback fake provider: what the app gets is
// what it would get without the wrapper (compared side by side), and what Spendlens gets is the full call.
import OpenAI, { AzureOpenAI } from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { observeOpenAI, Spendlens, withTags, type IngestEvent } from "../src/index";
import { supportPairs } from "./support/data";
import { startFakeIngest, type FakeIngest } from "./support/fake-ingest";
import { startFakeProvider, type FakeProvider } from "./support/fake-provider";

let provider: FakeProvider;
let ingest: FakeIngest;
let sl: Spendlens;
let plain: OpenAI;
let openai: OpenAI;
const pairs = supportPairs();

function client(baseURL = `${provider.url}/v1`): OpenAI {
  return new OpenAI({ apiKey: "sk-test", baseURL, maxRetries: 0 });
}

beforeAll(async () => {
  provider = await startFakeProvider();
  ingest = await startFakeIngest();
  sl = new Spendlens({ apiKey: "sl_test", baseUrl: ingest.url, flushAt: 1000, flushIntervalMs: 60_000, flushOnExit: false, onError: () => {} });
  plain = client();
  // streamUsage: true as it is by default for api.openai.com (off by default for other base URLs)
  openai = observeOpenAI(client(), { spendlens: sl, tags: { environment: "test" }, streamUsage: true });
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

/** Flush and return the events that arrived, oldest first. */
async function logged(): Promise<IngestEvent[]> {
  await sl.flush(5000);
  return [...ingest.events.values()] as unknown as IngestEvent[];
}

/** Provider-generated ids differ between two calls; everything else must be equal. */
function normalise<T>(value: T): T {
  return JSON.parse(JSON.stringify(value).replace(/"(chatcmpl|resp|msg|call|req)_?-?\d+"/g, '"$1-N"'));
}

async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const chunk of stream) out.push(chunk);
  return out;
}

const question = pairs[3]!.instruction;
const expectedAnswer = pairs[3]!.response;

describe("chat.completions.create", () => {
  it("returns what the plain client returns and logs request, response, usage, latency and tags", async () => {
    const body = { model: "gpt-4o-mini", messages: [{ role: "system" as const, content: "You are a support agent." }, { role: "user" as const, content: question }] };
    const expected = await plain.chat.completions.create(body);
    const got = await openai.chat.completions.create(body);
    expect(normalise(got)).toEqual(normalise(expected));
    expect(got.choices[0]!.message.content).toBe(expectedAnswer);
    const [event, ...rest] = await logged();
    expect(rest).toHaveLength(0);
    expect(event).toMatchObject({
      provider: "openai",
      endpoint: "/v1/chat/completions",
      request: body,
      response: { id: got.id, model: "gpt-4o-mini", usage: got.usage },
      tags: { environment: "test" },
      service_tier: "default",
    });
    expect(event!.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(event!.timestamp)).toBeGreaterThan(Date.now() - 60_000);
    expect(event!.latency_ms).toBeGreaterThanOrEqual(0);
    expect(event!.error).toBeUndefined();
  });

  it("streaming: the app gets the same chunks (no usage chunk it did not ask for); the event has the full text and usage", async () => {
    const body = { model: "gpt-4o-mini", stream: true as const, messages: [{ role: "user" as const, content: question }] };
    const expected = await collect(await plain.chat.completions.create(body));
    const got = await collect(await openai.chat.completions.create(body));
    expect(normalise(got)).toEqual(normalise(expected));
    expect(got.some((c) => "usage" in c)).toBe(false);
    // ... while the provider was asked for usage on our behalf
    const sent = provider.requests.filter((r) => r.path === "/v1/chat/completions").slice(-2);
    expect(sent[0]!.body!.stream_options).toBeUndefined();
    expect(sent[1]!.body!.stream_options).toEqual({ include_usage: true });
    const [event] = await logged();
    const text = got.map((c) => c.choices[0]?.delta.content ?? "").join("");
    expect(text).toBe(expectedAnswer);
    const response = event!.response as any;
    expect(response.choices[0].message).toEqual({ role: "assistant", content: expectedAnswer });
    expect(response.choices[0].finish_reason).toBe("stop");
    expect(response.usage.completion_tokens).toBe(expectedAnswer.split(/\s+/).filter(Boolean).length);
    expect(response.usage.prompt_tokens).toBeGreaterThan(0);
    expect(event!.ttft_ms).toBeGreaterThanOrEqual(0);
    expect(event!.ttft_ms!).toBeLessThanOrEqual(event!.latency_ms);
  });

  it("by default, a base URL not known to accept include_usage is not sent it; the event then has no usage", async () => {
    expect(new OpenAI({ apiKey: "k" }).baseURL).toBe("https://api.openai.com/v1"); // where the default is on
    const c = observeOpenAI(client(), { spendlens: sl });
    const chunks = await collect(await c.chat.completions.create({ model: "gpt-4o-mini", stream: true, messages: [{ role: "user", content: question }] }));
    expect(provider.requests.at(-1)!.body!.stream_options).toBeUndefined();
    const [event] = await logged();
    expect((event!.response as any).choices[0].message.content).toBe(chunks.map((ch) => ch.choices[0]?.delta.content ?? "").join(""));
    expect((event!.response as any).usage).toBeNull();
  });

  it("streaming with include_usage asked by the app: the app still gets the usage chunk", async () => {
    const body = { model: "gpt-4o-mini", stream: true as const, stream_options: { include_usage: true }, messages: [{ role: "user" as const, content: question }] };
    const expected = await collect(await plain.chat.completions.create(body));
    const got = await collect(await openai.chat.completions.create(body));
    expect(normalise(got)).toEqual(normalise(expected));
    expect(got.at(-1)!.usage?.total_tokens).toBeGreaterThan(0);
    const [event] = await logged();
    expect((event!.response as any).usage).toEqual(got.at(-1)!.usage);
  });

  it("streaming tool calls are assembled into message.tool_calls", async () => {
    const body = {
      model: "gpt-4o-mini",
      stream: true as const,
      messages: [{ role: "user" as const, content: question }],
      tools: [{ type: "function" as const, function: { name: "lookup_order", parameters: { type: "object", properties: {} } } }],
    };
    const chunks = await collect(await openai.chat.completions.create(body));
    const args = chunks.map((c) => c.choices[0]?.delta.tool_calls?.[0]?.function?.arguments ?? "").join("");
    const [event] = await logged();
    const msg = (event!.response as any).choices[0].message;
    expect(msg.tool_calls).toEqual([{ id: expect.stringMatching(/^call_/), type: "function", function: { name: "lookup_order", arguments: args } }]);
    expect(JSON.parse(args)).toEqual({ query: question });
    expect((event!.response as any).choices[0].finish_reason).toBe("tool_calls");
  });

  it("a stream the app stops early is logged once, with the text it got and no usage", async () => {
    const stream = await openai.chat.completions.create({ model: "gpt-4o-mini", stream: true, messages: [{ role: "user", content: question }] });
    const seen: string[] = [];
    for await (const chunk of stream) {
      seen.push(chunk.choices[0]?.delta.content ?? "");
      if (seen.length === 3) break;
    }
    const [event, ...rest] = await logged();
    expect(rest).toHaveLength(0);
    expect((event!.response as any).choices[0].message.content).toBe(seen.join(""));
    expect((event!.response as any).usage).toBeNull();
  });

  it("tee() halves both see every chunk; the call is logged once", async () => {
    const stream = await openai.chat.completions.create({ model: "gpt-4o-mini", stream: true, messages: [{ role: "user", content: question }] });
    const [a, b] = stream.tee();
    const [ca, cb] = await Promise.all([collect(a), collect(b)]);
    expect(ca).toEqual(cb);
    expect(ca.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe(expectedAnswer);
    const events = await logged();
    expect(events).toHaveLength(1);
    expect((events[0]!.response as any).choices[0].message.content).toBe(expectedAnswer);
  });

  it("helpers built on create (parse, stream, withResponse) work and log each call once", async () => {
    const messages = [{ role: "user" as const, content: pairs[10]!.instruction }];
    const parsed = await openai.chat.completions.parse({ model: "gpt-4o-mini", messages });
    expect(parsed.choices[0]!.message.content).toBe(pairs[10]!.response);
    const runner = openai.chat.completions.stream({ model: "gpt-4o-mini", messages });
    const final = await runner.finalChatCompletion();
    expect(final.choices[0]!.message.content).toBe(pairs[10]!.response);
    const { data, response } = await openai.chat.completions.create({ model: "gpt-4o-mini", messages }).withResponse();
    expect(response.status).toBe(200);
    expect(data.choices[0]!.message.content).toBe(pairs[10]!.response);
    const events = await logged();
    expect(events).toHaveLength(3);
    for (const e of events) expect((e.response as any).choices[0].message.content).toBe(pairs[10]!.response);
  });

  it("responses.stream() and AzureOpenAI are logged too (Azure as provider \"azure\")", async () => {
    const final = await openai.responses.stream({ model: "gpt-4.1-mini", input: pairs[11]!.instruction }).finalResponse();
    expect(final.output_text).toBe(pairs[11]!.response);
    const azure = observeOpenAI(new AzureOpenAI({ apiKey: "az-test", endpoint: provider.url, apiVersion: "2024-10-21", deployment: "gpt-4o-mini-prod", maxRetries: 0 }), {
      spendlens: sl,
    });
    const r = await azure.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: pairs[12]!.instruction }] });
    expect(r.choices[0]!.message.content).toBe(pairs[12]!.response);
    expect(provider.requests.at(-1)!.path).toBe("/openai/deployments/gpt-4o-mini-prod/chat/completions");
    const [streamed, az, ...rest] = await logged();
    expect(rest).toHaveLength(0);
    expect(streamed).toMatchObject({ provider: "openai", endpoint: "/v1/responses", response: { id: final.id, usage: final.usage } });
    expect((streamed!.response as any).output[0].content[0].text).toBe(final.output_text);
    expect(az).toMatchObject({ provider: "azure", endpoint: "/v1/chat/completions", response: { usage: r.usage } });
  });

  it("provider errors reach the app unchanged and are logged with their status", async () => {
    provider.failNext(2, 400, "Invalid value for 'temperature'");
    const body = { model: "gpt-4o-mini", messages: [{ role: "user" as const, content: question }] };
    const expected = await plain.chat.completions.create(body).catch((e: unknown) => e);
    const got = await openai.chat.completions.create(body).catch((e: unknown) => e);
    expect(got).toBeInstanceOf(OpenAI.BadRequestError);
    expect((got as Error).message).toBe((expected as Error).message);
    const [event] = await logged();
    expect(event!.error).toEqual({ status: 400, message: (got as Error).message });
    expect(event!.response).toBeNull();
  });

  it("a provider that cannot be reached: the app gets the connection error, the event has status 0", async () => {
    const dead = observeOpenAI(client("http://127.0.0.1:1/v1"), { spendlens: sl });
    await expect(dead.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] })).rejects.toBeInstanceOf(
      OpenAI.APIConnectionError,
    );
    const [event] = await logged();
    expect(event!.error!.status).toBe(0);
  });
});

describe("responses and embeddings", () => {
  it("responses.create, plain and streamed: same result as without the wrapper, full response with usage logged", async () => {
    const body = { model: "gpt-4.1-mini", instructions: "Answer briefly.", input: question };
    const expected = await plain.responses.create(body);
    const got = await openai.responses.create(body);
    expect(normalise(got)).toEqual(normalise(expected));
    expect(got.output_text).toBe(expectedAnswer);
    const streamedExpected = await collect(await plain.responses.create({ ...body, stream: true }));
    const streamed = await collect(await openai.responses.create({ ...body, stream: true }));
    expect(normalise(streamed)).toEqual(normalise(streamedExpected));
    const [plainEvent, streamEvent] = await logged();
    expect(plainEvent!.endpoint).toBe("/v1/responses");
    expect((plainEvent!.response as any).usage).toEqual(got.usage);
    const completed = streamed.find((e) => e.type === "response.completed") as any;
    expect(streamEvent!.response).toEqual(completed.response);
    expect((streamEvent!.response as any).output[0].content[0].text).toBe(expectedAnswer);
    expect(streamEvent!.ttft_ms).toBeGreaterThanOrEqual(0);
  });

  it("embeddings.create: the app gets the same vectors; the event keeps usage but not the vectors", async () => {
    const input = pairs.slice(0, 5).map((p) => p.instruction);
    const expected = await plain.embeddings.create({ model: "text-embedding-3-small", input });
    const got = await openai.embeddings.create({ model: "text-embedding-3-small", input });
    expect(got.data.map((d) => Array.from(d.embedding))).toEqual(expected.data.map((d) => Array.from(d.embedding)));
    expect(got.data[0]!.embedding.length).toBe(8);
    const [event] = await logged();
    expect(event!.endpoint).toBe("/v1/embeddings");
    expect(event!.request).toEqual({ model: "text-embedding-3-small", input });
    expect((event!.response as any).usage).toEqual(got.usage);
    expect((event!.response as any).data).toEqual(input.map((_, index) => ({ object: "embedding", index })));
  });
});

describe("tags", () => {
  it("the per-call option is removed before the provider sees it and tags that call", async () => {
    await openai.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: question }],
      spendlens: { tags: { feature: "refunds", user: "u-42" } },
    });
    const sent = provider.requests.at(-1)!.body!;
    expect(sent).not.toHaveProperty("spendlens");
    const [event] = await logged();
    expect(event!.tags).toEqual({ environment: "test", feature: "refunds", user: "u-42" });
    expect(event!.request).not.toHaveProperty("spendlens");
  });

  it("withTags holds across awaits and timers, nests, and keeps concurrent requests apart", async () => {
    const ask = (content: string) => openai.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content }] });
    await Promise.all(
      ["u-1", "u-2", "u-3"].map((user) =>
        withTags({ feature: "support-bot", user }, async () => {
          await new Promise((r) => setTimeout(r, 5));
          await ask(`first ${user}`);
          await withTags({ session: `s-${user}` }, () => ask(`second ${user}`));
          await ask(`third ${user}`).then(() => undefined);
        }),
      ),
    );
    await ask("outside");
    const events = await logged();
    const byContent = new Map(events.map((e) => [(e.request as any).messages[0].content, e.tags]));
    for (const user of ["u-1", "u-2", "u-3"]) {
      expect(byContent.get(`first ${user}`)).toEqual({ environment: "test", feature: "support-bot", user });
      expect(byContent.get(`second ${user}`)).toEqual({ environment: "test", feature: "support-bot", user, session: `s-${user}` });
      expect(byContent.get(`third ${user}`)).toEqual({ environment: "test", feature: "support-bot", user });
    }
    expect(byContent.get("outside")).toEqual({ environment: "test" });
  });
});

describe("never hurts the app", () => {
  it("with ingest down the calls all succeed; events wait in the bounded queue", async () => {
    await ingest.stop();
    const down = new Spendlens({ apiKey: "sl_test", baseUrl: ingest.url, flushAt: 5, maxQueueEvents: 20, flushOnExit: false, onError: () => {} });
    const c = observeOpenAI(client(), { spendlens: down });
    for (const p of pairs.slice(0, 40)) {
      const r = await c.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: p.instruction }] });
      expect(r.choices[0]!.message.content).toBe(p.response);
    }
    const s = down.stats();
    expect(s.queued).toBeLessThanOrEqual(20);
    expect(s.dropped).toBeGreaterThanOrEqual(20);
    expect(s.enqueued).toBe(40);
    await down.shutdown(50);
    await ingest.start();
  });

  it("a throwing redact hook drops that event and the call still succeeds; null drops; edits apply", async () => {
    const redacting = new Spendlens({
      apiKey: "sl_test",
      baseUrl: ingest.url,
      flushOnExit: false,
      onError: () => {},
      redact: (event) => {
        const content = (event.request as any).messages[0].content as string;
        if (content === "explode") throw new Error("bug in the app's hook");
        if (content === "secret") return null;
        (event.request as any).messages[0].content = content.replace(/\d{6,}/g, "[number]");
        return event;
      },
    });
    const c = observeOpenAI(client(), { spendlens: redacting });
    for (const content of ["explode", "secret", "my order 113542617735902 is late"]) {
      const r = await c.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content }] });
      expect(r.choices[0]!.message.content).toBe(`Echo: ${content}`);
    }
    await redacting.flush(5000);
    const events = [...ingest.events.values()];
    expect(events).toHaveLength(1);
    expect(events[0]!.request.messages[0].content).toBe("my order [number] is late");
    expect(redacting.stats().redactedOut).toBe(2);
    await redacting.shutdown(100);
  });

  it("sampleRate 0 logs nothing but still strips the per-call option; a disabled instance too", async () => {
    const sampled = new Spendlens({ apiKey: "sl_test", baseUrl: ingest.url, sampleRate: 0, flushOnExit: false });
    const off = new Spendlens({ disabled: true });
    for (const s of [sampled, off]) {
      const c = observeOpenAI(client(), { spendlens: s });
      await c.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }], spendlens: { tags: { feature: "x" } } });
      expect(provider.requests.at(-1)!.body).not.toHaveProperty("spendlens");
      await s.flush(1000);
    }
    expect(ingest.events.size).toBe(0);
    expect(sampled.stats()).toMatchObject({ observed: 1, sampledOut: 1, enqueued: 0 });
    await sampled.shutdown(100);
  });

  it("a bad configuration leaves the client working (and still strips the per-call option), with a warning", async () => {
    const warn = console.warn;
    const warnings: string[] = [];
    console.warn = (msg: string) => void warnings.push(msg);
    try {
      const c = observeOpenAI(client(), { apiKey: "sl_x", baseUrl: "spendlens.example.com" });
      const r = await c.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }], spendlens: { tags: { feature: "x" } } });
      expect(r.choices[0]!.message.content).toBe("Echo: hi");
      expect(provider.requests.at(-1)!.body).not.toHaveProperty("spendlens");
    } finally {
      console.warn = warn;
    }
    expect(warnings.join("\n")).toMatch(/baseUrl must be an http\(s\) URL/);
  });

  it("observing the same client twice logs each call once", async () => {
    const c = client();
    observeOpenAI(c, { spendlens: sl });
    observeOpenAI(c, { spendlens: sl });
    await c.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "once" }] });
    expect(await logged()).toHaveLength(1);
  });
});
