import { describe, expect, it } from "vitest";
import { lastUserText } from "../messages";
import type { AnalysisCall } from "../types";
import { exclusionReason, responseToolCalls } from "./exclusions";

function call(request: Record<string, unknown>, over: Partial<AnalysisCall> = {}): AnalysisCall {
  return {
    id: "c1",
    timestamp: new Date("2026-11-01T00:00:00Z"),
    provider: "openai",
    endpoint: "/v1/chat/completions",
    model: "gpt-4o-mini",
    feature: "f",
    endUser: null,
    session: null,
    tags: {},
    request,
    response: { choices: [{ message: { role: "assistant", content: "ok" } }] },
    outputText: "ok",
    status: 200,
    inputTokens: 10,
    outputTokens: 2,
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    costUsd: 0.001,
    latencyMs: 100,
    batch: false,
    ...over,
  };
}
const reason = (c: AnalysisCall) => exclusionReason(c, lastUserText(c));
const ask = (text: string) => ({ model: "gpt-4o-mini", messages: [{ role: "user", content: text }] });

describe("exclusionReason", () => {
  it("lets a plain single-turn question through", () => {
    expect(reason(call(ask("How do I reset my password?")))).toBeNull();
    expect(reason(call({ ...ask("Summarise this ticket"), temperature: 0.2 }))).toBeNull();
  });

  it("excludes failed calls, empty answers and non-generation endpoints", () => {
    expect(reason(call(ask("hi there friend"), { status: 500, outputText: null, response: null }))).toBe("failed");
    expect(reason(call(ask("hi there friend"), { outputText: null, response: { choices: [{ message: { content: null } }] } }))).toBe("no_response");
    expect(reason(call({ model: "text-embedding-3-small", input: "hello" }, { endpoint: "/v1/embeddings" }))).toBe("not_generation");
  });

  it("excludes tool calls that act on the world, not read-only lookups (OpenAI, Anthropic, Google, Responses)", () => {
    const openai = (name: string) => ({ choices: [{ message: { role: "assistant", content: null, tool_calls: [{ type: "function", function: { name, arguments: "{}" } }] } }] });
    expect(reason(call(ask("Email the invoice to Bob"), { outputText: null, response: openai("send_email") }))).toBe("tool_side_effects");
    expect(reason(call(ask("What's the weather in Oslo?"), { outputText: null, response: openai("get_weather") }))).toBeNull();
    expect(reason(call(ask("Refund order 12"), { outputText: null, response: { content: [{ type: "tool_use", name: "issueRefund", input: {} }] } }))).toBe("tool_side_effects");
    expect(reason(call(ask("Find flights to Rome"), { outputText: null, response: { content: [{ type: "tool_use", name: "searchFlights", input: {} }] } }))).toBeNull();
    expect(responseToolCalls({ candidates: [{ content: { parts: [{ functionCall: { name: "book_table" } }] } }] })).toEqual(["book_table"]);
    expect(responseToolCalls({ output: [{ type: "function_call", name: "create_ticket" }] })).toEqual(["create_ticket"]);
  });

  it("excludes agent steps whose input is a fresh tool result", () => {
    const req = { model: "m", messages: [{ role: "user", content: "What's the weather in Oslo?" }, { role: "assistant", content: null, tool_calls: [{ id: "t1" }] }, { role: "tool", tool_call_id: "t1", content: "12C" }] };
    expect(reason(call(req))).toBe("agent_step");
  });

  it("excludes high-temperature creative generation (OpenAI and Google parameters)", () => {
    expect(reason(call({ ...ask("Write a poem about autumn"), temperature: 1.1 }))).toBe("high_temperature");
    expect(reason(call({ contents: [{ role: "user", parts: [{ text: "Write a poem about autumn" }] }], generationConfig: { temperature: 0.9 } }))).toBe("high_temperature");
    expect(exclusionReason(call({ ...ask("Write a poem"), temperature: 0.9 }), "Write a poem", { maxTemperature: 1 })).toBeNull();
  });

  it("excludes follow-ups that lean on the conversation, keeps self-contained turns in a conversation", () => {
    const convo = (last: string) => ({ model: "m", messages: [{ role: "user", content: "Compare the two plans" }, { role: "assistant", content: "Plan A costs..." }, { role: "user", content: last }] });
    expect(reason(call(convo("What about the second one?")))).toBe("history_dependent");
    expect(reason(call(convo("Make it shorter")))).toBe("history_dependent");
    expect(reason(call(convo("ok")))).toBe("history_dependent");
    expect(reason(call(convo("How do I change my billing address on the website?")))).toBeNull();
    expect(reason(call({ model: "m", input: "Go on", previous_response_id: "resp_1" }))).toBe("history_dependent");
  });

  it("excludes images and files the text comparison cannot see", () => {
    const req = { model: "m", messages: [{ role: "user", content: [{ type: "text", text: "What is in this picture?" }, { type: "image_url", image_url: { url: "data:..." } }] }] };
    expect(reason(call(req))).toBe("non_text_input");
  });

  it("excludes requests without user text", () => {
    expect(reason(call({ model: "m", messages: [{ role: "system", content: "Say hi" }] }))).toBe("empty_prompt");
  });
});
