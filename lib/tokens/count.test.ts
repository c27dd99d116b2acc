// Token counts checked against known counts: gpt-tokenizer's own encoders on real texts from
// ../shared/data, OpenAI's published examples (cookbook "How to count tokens with tiktoken"), and the
// chat/function-calling fixtures gpt-tokenizer ships with their known token counts.
import { encode as encodeCl100k } from "gpt-tokenizer/encoding/cl100k_base";
import { encode as encodeO200k } from "gpt-tokenizer/encoding/o200k_base";
import { functionCallingTestCases } from "gpt-tokenizer/esm/fixtures/functionCallingTestCases";
import gpt4o from "gpt-tokenizer/model/gpt-4o";
import { afterEach, describe, expect, it } from "vitest";
import { arenaHard, banking77, wildchatUsers } from "../datasets/shared-data";
import { reloadAzureDeploymentsFromEnv } from "../pricing/match";
import { countChatTokens, countTokens, ESTIMATE_FACTORS, estimateFamily, openAIEncodingFor, type ChatMessageInput, type ChatToolInput } from "./count";

const asText = { disallowedSpecial: new Set<string>() };
const texts = [...wildchatUsers(), ...banking77("test").slice(0, 300).map((r) => r.text), ...arenaHard().slice(0, 100).map((p) => p.prompt)];

describe("openAIEncodingFor", () => {
  it("maps OpenAI model families to their encodings", () => {
    for (const m of ["gpt-4o", "gpt-4o-mini-2024-07-18", "chatgpt-4o-latest", "gpt-4.1-nano", "gpt-5", "gpt-5-mini", "o1", "o3-mini", "o4-mini", "gpt-oss-120b", "openai/gpt-4o", "azure/gpt-4.1", "ft:gpt-4o-mini-2024-07-18:acme::x"]) {
      expect(openAIEncodingFor(m), m).toBe("o200k_base");
    }
    for (const m of ["gpt-4", "gpt-4-0613", "gpt-4-turbo", "gpt-3.5-turbo", "gpt-35-turbo", "text-embedding-3-small", "text-embedding-ada-002", "ft:gpt-3.5-turbo-0125:a::b"]) {
      expect(openAIEncodingFor(m), m).toBe("cl100k_base");
    }
    for (const m of ["claude-sonnet-4-5", "gemini-2.5-pro", "mistral-large-latest", "llama-3.3-70b", "", "o3de-engine"]) expect(openAIEncodingFor(m), m).toBeNull();
  });
});

describe("countTokens", () => {
  it(`is exact for gpt-4o: equals o200k_base on ${texts.length} real texts`, () => {
    for (const t of texts) expect(countTokens(t, "gpt-4o")).toEqual({ tokens: encodeO200k(t, asText).length, exact: true });
  });

  it("is exact for gpt-4 / embeddings: equals cl100k_base on the same texts", () => {
    for (const t of texts) {
      expect(countTokens(t, "gpt-4").tokens).toBe(encodeCl100k(t, asText).length);
      expect(countTokens(t, "text-embedding-3-small").tokens).toBe(encodeCl100k(t, asText).length);
    }
  });

  it("uses the right encoding where the two differ", () => {
    const differing = texts.filter((t) => encodeO200k(t, asText).length !== encodeCl100k(t, asText).length);
    expect(differing.length).toBeGreaterThan(50);
    for (const t of differing.slice(0, 50)) expect(countTokens(t, "gpt-4o-mini").tokens).not.toBe(countTokens(t, "gpt-3.5-turbo").tokens);
  });

  it("matches OpenAI's published example", () => {
    // cookbook: cl100k_base encodes "tiktoken is great!" as [83, 1609, 5963, 374, 2294, 0]
    expect(countTokens("tiktoken is great!", "gpt-4")).toEqual({ tokens: 6, exact: true });
    expect(countTokens("", "gpt-4o")).toEqual({ tokens: 0, exact: true });
  });

  it("counts special-token text typed by a user as text instead of throwing", () => {
    const r = countTokens("end <|endoftext|> here", "gpt-4o");
    expect(r.exact).toBe(true);
    expect(r.tokens).toBeGreaterThan(5);
  });

  it("estimates other providers from o200k_base times the family factor, marked not exact", () => {
    const t = wildchatUsers()[0];
    const base = encodeO200k(t, asText).length;
    expect(countTokens(t, "claude-sonnet-4-5")).toEqual({ tokens: Math.ceil(base * ESTIMATE_FACTORS.anthropic), exact: false });
    expect(countTokens(t, "gemini-2.5-flash")).toEqual({ tokens: Math.ceil(base * ESTIMATE_FACTORS.google), exact: false });
    expect(countTokens(t, "mistral/mistral-small-latest").exact).toBe(false);
    expect(countTokens(t, "").exact).toBe(false);
    expect(estimateFamily("us.anthropic.claude-3-5-haiku-20241022-v1:0")).toBe("anthropic");
    expect(estimateFamily("meta-llama/Llama-3.3-70B-Instruct")).toBe("meta");
  });

  it("rejects a non-string text", () => {
    expect(() => countTokens(null as unknown as string, "gpt-4o")).toThrow(/text must be a string/);
  });

  describe("Azure deployments", () => {
    const saved = process.env.SPENDLENS_AZURE_DEPLOYMENTS;
    afterEach(() => {
      if (saved === undefined) delete process.env.SPENDLENS_AZURE_DEPLOYMENTS;
      else process.env.SPENDLENS_AZURE_DEPLOYMENTS = saved;
      reloadAzureDeploymentsFromEnv();
    });
    it("counts exactly for a deployment mapped to an OpenAI model", () => {
      process.env.SPENDLENS_AZURE_DEPLOYMENTS = JSON.stringify({ "prod-chat": "gpt-4" });
      reloadAzureDeploymentsFromEnv();
      expect(countTokens("tiktoken is great!", "prod-chat")).toEqual({ tokens: 6, exact: true });
    });
  });
});

// OpenAI cookbook example conversation; published prompt_tokens: 129 for gpt-3.5-turbo-0125 / gpt-4,
// 124 for gpt-4o / gpt-4o-mini (cl100k_base vs o200k_base).
const cookbook: ChatMessageInput[] = [
  { role: "system", content: "You are a helpful, pattern-following assistant that translates corporate jargon into plain English." },
  { role: "system", name: "example_user", content: "New synergies will help drive top-line growth." },
  { role: "system", name: "example_assistant", content: "Things working well together will increase revenue." },
  { role: "system", name: "example_user", content: "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage." },
  { role: "system", name: "example_assistant", content: "Let's talk later when we're less busy about how to do better." },
  { role: "user", content: "This late pivot means we don't have time to boil the ocean for the client deliverable." },
];

describe("countChatTokens", () => {
  it("matches OpenAI's published counts for the cookbook conversation", () => {
    expect(countChatTokens(cookbook, "gpt-3.5-turbo-0125")).toEqual({ tokens: 129, exact: true });
    expect(countChatTokens(cookbook, "gpt-4")).toEqual({ tokens: 129, exact: true });
    expect(countChatTokens(cookbook, "gpt-4o")).toEqual({ tokens: 124, exact: true });
    expect(countChatTokens(cookbook, "gpt-4o-mini")).toEqual({ tokens: 124, exact: true });
  });

  it("equals gpt-tokenizer's encodeChat on real prompts (3 per message + 3 for the reply)", () => {
    for (const prompt of wildchatUsers()) {
      const messages = [
        { role: "system", content: "You are a helpful assistant." },
        { role: "user", content: prompt },
      ];
      expect(countChatTokens(messages, "gpt-4o").tokens).toBe(gpt4o.encodeChat(messages, "gpt-4o").length);
    }
  });

  it("matches gpt-tokenizer's known counts for chats with functions (as an estimate)", () => {
    const cases = functionCallingTestCases.filter((c) => c.function_call === undefined);
    expect(cases.length).toBeGreaterThan(20);
    for (const c of cases) {
      const tools: ChatToolInput[] | undefined = c.functions?.map((f) => ({ type: "function", function: f as ChatToolInput["function"] & object }));
      const r = countChatTokens(c.messages as ChatMessageInput[], "gpt-4o", { tools });
      expect(r.tokens).toBe(c.tokens);
      if (tools?.length) expect(r.exact).toBe(false);
    }
  });

  it("accepts content parts; images make it an estimate with at least 85 tokens each", () => {
    const text = countChatTokens([{ role: "user", content: [{ type: "text", text: "What is in this picture?" }] }], "gpt-4o");
    expect(text).toEqual(countChatTokens([{ role: "user", content: "What is in this picture?" }], "gpt-4o"));
    const image = countChatTokens([{ role: "user", content: [{ type: "text", text: "What is in this picture?" }, { type: "image_url", image_url: { url: "https://x/y.png" } }] }], "gpt-4o");
    expect(image.exact).toBe(false);
    expect(image.tokens).toBe(text.tokens + 85);
  });

  it("counts tool calls and tool results as an estimate", () => {
    const base: ChatMessageInput[] = [{ role: "user", content: "Weather in Paris?" }];
    const withCall: ChatMessageInput[] = [...base, { role: "assistant", content: null, tool_calls: [{ function: { name: "get_weather", arguments: '{"city":"Paris"}' } }] }, { role: "tool", content: '{"temp":21}' }];
    const r = countChatTokens(withCall, "gpt-4o");
    expect(r.exact).toBe(false);
    expect(r.tokens).toBeGreaterThan(countChatTokens(base, "gpt-4o").tokens + 10);
  });

  it("estimates chats for other providers", () => {
    const messages = [{ role: "user", content: wildchatUsers()[3] }];
    const exact = countChatTokens(messages, "gpt-4o").tokens;
    expect(countChatTokens(messages, "claude-haiku-4-5")).toEqual({ tokens: Math.ceil(exact * ESTIMATE_FACTORS.anthropic), exact: false });
  });

  it("names a malformed message", () => {
    expect(() => countChatTokens([{ content: "x" } as unknown as ChatMessageInput], "gpt-4o")).toThrow(/messages\[0\]\.role/);
  });
});
