import { describe, expect, it } from "vitest";
import { countChatTokens, countTokens } from "../tokens/count";
import { apiKindOf } from "./api-kind";
import type { IngestEvent } from "./event";
import { normaliseEvent } from "./normalise";

function ev(partial: Partial<IngestEvent> & Pick<IngestEvent, "provider" | "endpoint" | "request" | "response">): IngestEvent {
  return { id: "e", timestamp: "2026-12-01T10:00:00Z", latency_ms: 1234.6, ...partial };
}

describe("normaliseEvent", () => {
  it("OpenAI chat completions: cached prompt tokens, reasoning tokens, finish reason, served model", () => {
    const n = normaliseEvent(
      ev({
        provider: "openai",
        endpoint: "/v1/chat/completions",
        request: { model: "o4-mini", messages: [{ role: "user", content: "Prove there are infinitely many primes." }], reasoning_effort: "medium" },
        response: {
          id: "chatcmpl-AZ1",
          object: "chat.completion",
          created: 1764583200,
          model: "o4-mini-2025-04-16",
          choices: [{ index: 0, message: { role: "assistant", content: "Assume finitely many primes p1..pn ...", refusal: null }, finish_reason: "stop" }],
          usage: {
            prompt_tokens: 2310,
            completion_tokens: 980,
            total_tokens: 3290,
            prompt_tokens_details: { cached_tokens: 2048, audio_tokens: 0 },
            completion_tokens_details: { reasoning_tokens: 640, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
          },
          service_tier: "default",
          system_fingerprint: "fp_abc",
        },
        tags: { feature: "math", user: "u9", session: "s1", environment: "staging" },
      }),
    );
    expect(n).toMatchObject({
      model: "o4-mini-2025-04-16",
      inputTokens: 2310,
      cachedInputTokens: 2048,
      outputTokens: 980,
      reasoningTokens: 640,
      cacheWriteTokens: 0,
      finishReason: "stop",
      outputText: "Assume finitely many primes p1..pn ...",
      tokensEstimated: false,
      latencyMs: 1235,
      status: 200,
      feature: "math",
      endUser: "u9",
      session: "s1",
      environment: "staging",
      serviceTier: "default",
    });
  });

  it("OpenAI chat with a tool call and no text renders the call as output", () => {
    const n = normaliseEvent(
      ev({
        provider: "openai",
        endpoint: "/v1/chat/completions",
        request: { model: "gpt-4.1", messages: [{ role: "user", content: "Weather in Paris?" }], tools: [] },
        response: {
          model: "gpt-4.1-2025-04-14",
          choices: [
            {
              message: { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }] },
              finish_reason: "tool_calls",
            },
          ],
          usage: { prompt_tokens: 85, completion_tokens: 17, total_tokens: 102 },
        },
      }),
    );
    expect(n.outputText).toBe('get_weather({"city":"Paris"})');
    expect(n.finishReason).toBe("tool_calls");
  });

  it("OpenAI Responses API: output items, input/output token details, incomplete reason", () => {
    const n = normaliseEvent(
      ev({
        provider: "openai",
        endpoint: "/v1/responses",
        request: { model: "gpt-5-mini", instructions: "Answer in French.", input: "What is a bank transfer?", max_output_tokens: 300 },
        response: {
          id: "resp_1",
          object: "response",
          status: "incomplete",
          incomplete_details: { reason: "max_output_tokens" },
          model: "gpt-5-mini-2025-08-07",
          output: [
            { type: "reasoning", id: "rs_1", summary: [] },
            { type: "message", role: "assistant", content: [{ type: "output_text", text: "Un virement bancaire est", annotations: [] }] },
          ],
          usage: {
            input_tokens: 1500,
            input_tokens_details: { cached_tokens: 1024 },
            output_tokens: 300,
            output_tokens_details: { reasoning_tokens: 256 },
            total_tokens: 1800,
          },
        },
      }),
    );
    expect(n).toMatchObject({ model: "gpt-5-mini-2025-08-07", inputTokens: 1500, cachedInputTokens: 1024, outputTokens: 300, reasoningTokens: 256 });
    expect(n.outputText).toBe("Un virement bancaire est");
    expect(n.finishReason).toBe("max_output_tokens");
  });

  it("OpenAI embeddings and legacy completions", () => {
    const emb = normaliseEvent(
      ev({
        provider: "openai",
        endpoint: "/v1/embeddings",
        request: { model: "text-embedding-3-small", input: ["card arrival", "lost card"], encoding_format: "float" },
        response: { object: "list", data: [], model: "text-embedding-3-small", usage: { prompt_tokens: 5, total_tokens: 5 } },
      }),
    );
    expect(emb).toMatchObject({ inputTokens: 5, outputTokens: 0, outputText: null, tokensEstimated: false });
    const legacyEvent = ev({
      provider: "openai",
      endpoint: "/v1/completions",
      request: { model: "gpt-3.5-turbo-instruct", prompt: "Say this is a test", max_tokens: 7 },
      response: {
        object: "text_completion",
        model: "gpt-3.5-turbo-instruct",
        choices: [{ text: "\n\nThis is indeed a test", index: 0, finish_reason: "length" }],
        usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 },
      },
    });
    expect(apiKindOf(legacyEvent)).toBe("openai.completions");
    const legacy = normaliseEvent(legacyEvent);
    expect(legacy).toMatchObject({ inputTokens: 5, outputTokens: 7, outputText: "\n\nThis is indeed a test", finishReason: "length" });
  });

  it("Anthropic messages: total input = input + cache read + cache write, with the 5m/1h write split", () => {
    const n = normaliseEvent(
      ev({
        provider: "anthropic",
        endpoint: "/v1/messages",
        request: {
          model: "claude-sonnet-4-5",
          max_tokens: 1024,
          system: [{ type: "text", text: "You are a contracts lawyer.", cache_control: { type: "ephemeral", ttl: "1h" } }],
          messages: [{ role: "user", content: "Summarise clause 4." }],
        },
        response: {
          id: "msg_01",
          type: "message",
          role: "assistant",
          model: "claude-sonnet-4-5-20250929",
          content: [
            { type: "thinking", thinking: "Let me read clause 4", signature: "sig" },
            { type: "text", text: "Clause 4 limits liability." },
            { type: "tool_use", id: "toolu_1", name: "cite", input: { clause: 4 } },
          ],
          stop_reason: "tool_use",
          usage: {
            input_tokens: 21,
            cache_creation_input_tokens: 3000,
            cache_read_input_tokens: 12000,
            cache_creation: { ephemeral_5m_input_tokens: 1000, ephemeral_1h_input_tokens: 2000 },
            output_tokens: 410,
            service_tier: "standard",
          },
        },
      }),
    );
    expect(n).toMatchObject({
      model: "claude-sonnet-4-5-20250929",
      inputTokens: 21 + 3000 + 12000,
      cachedInputTokens: 12000,
      cacheWriteTokens: 3000,
      cacheWrite1hTokens: 2000,
      outputTokens: 410,
      reasoningTokens: 0,
      finishReason: "tool_use",
      outputText: 'Clause 4 limits liability.\ncite({"clause":4})',
    });
  });

  it("Google generateContent: usageMetadata with thoughts and cached content, model from modelVersion or path", () => {
    const n = normaliseEvent(
      ev({
        provider: "google",
        endpoint: "/v1beta/models/gemini-2.5-pro:generateContent",
        request: { contents: [{ role: "user", parts: [{ text: "Explain RAG in one line." }] }], systemInstruction: { parts: [{ text: "Be terse." }] } },
        response: {
          candidates: [
            { content: { role: "model", parts: [{ text: "thinking...", thought: true }, { text: "Retrieve, then generate." }] }, finishReason: "STOP", index: 0 },
          ],
          usageMetadata: { promptTokenCount: 250000, candidatesTokenCount: 12, thoughtsTokenCount: 300, cachedContentTokenCount: 200000, totalTokenCount: 250312 },
          modelVersion: "gemini-2.5-pro",
          responseId: "abc",
        },
      }),
    );
    expect(n).toMatchObject({
      model: "gemini-2.5-pro",
      inputTokens: 250000,
      cachedInputTokens: 200000,
      outputTokens: 312,
      reasoningTokens: 300,
      outputText: "Retrieve, then generate.",
      finishReason: "STOP",
    });
    const noVersion = normaliseEvent(
      ev({ provider: "google", endpoint: "/v1beta/models/gemini-2.0-flash:generateContent", request: { contents: [] }, response: { candidates: [], usageMetadata: { promptTokenCount: 3 } } }),
    );
    expect(noVersion.model).toBe("gemini-2.0-flash");
  });

  it("Bedrock Converse: cache read/write added to the prompt total", () => {
    const n = normaliseEvent(
      ev({
        provider: "bedrock",
        endpoint: "/model/anthropic.claude-3-5-haiku-20241022-v1:0/converse",
        request: { messages: [{ role: "user", content: [{ text: "Hi" }] }] },
        response: {
          output: { message: { role: "assistant", content: [{ text: "Hello!" }] } },
          stopReason: "end_turn",
          usage: { inputTokens: 10, outputTokens: 3, totalTokens: 13, cacheReadInputTokens: 100, cacheWriteInputTokens: 50 },
        },
      }),
    );
    expect(n).toMatchObject({ model: "anthropic.claude-3-5-haiku-20241022-v1:0", inputTokens: 160, cachedInputTokens: 100, cacheWriteTokens: 50, outputText: "Hello!" });
  });

  it("counts tokens itself when there is no usage (error, stream without usage) and marks them estimated", () => {
    const messages = [
      { role: "system", content: "You are a helpful assistant." },
      { role: "user", content: "How long does a card delivery take?" },
    ];
    const err = normaliseEvent(
      ev({
        provider: "openai",
        endpoint: "/v1/chat/completions",
        request: { model: "gpt-4o", messages },
        response: null,
        error: { status: 500, message: "The server had an error" },
      }),
    );
    expect(err).toMatchObject({ status: 500, errorMessage: "The server had an error", tokensEstimated: true, outputTokens: 0 });
    expect(err.inputTokens).toBe(countChatTokens(messages, "gpt-4o").tokens);
    expect(err.inputTokens).toBeGreaterThan(10);

    const stream = normaliseEvent(
      ev({
        provider: "anthropic",
        endpoint: "/v1/messages",
        request: { model: "claude-3-5-haiku-20241022", max_tokens: 100, messages: [{ role: "user", content: "Name three colours." }] },
        response: { type: "message", model: "claude-3-5-haiku-20241022", content: [{ type: "text", text: "Red, green and blue." }], stop_reason: "end_turn" },
      }),
    );
    expect(stream.tokensEstimated).toBe(true);
    expect(stream.outputTokens).toBe(countTokens("Red, green and blue.", "claude-3-5-haiku-20241022").tokens);
    expect(stream.inputTokens).toBeGreaterThan(0);
  });

  it("takes the Azure deployment name from the path when the body has no model", () => {
    const n = normaliseEvent(
      ev({
        provider: "azure",
        endpoint: "/openai/deployments/prod-gpt4o/chat/completions?api-version=2024-10-21",
        request: { messages: [{ role: "user", content: "hi" }] },
        response: null,
      }),
    );
    expect(n.model).toBe("prod-gpt4o");
  });
});
