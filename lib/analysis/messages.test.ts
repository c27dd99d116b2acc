import { describe, expect, it } from "vitest";
import { lastUserText, requestMessages, systemText } from "./messages";

describe("requestMessages", () => {
  it("reads OpenAI chat, Anthropic messages, OpenAI responses and Google contents alike", () => {
    const openai = { model: "gpt-4o", messages: [{ role: "system", content: "Be brief." }, { role: "user", content: [{ type: "text", text: "hi" }] }] };
    const anthropic = { model: "claude", system: [{ type: "text", text: "Be brief." }], messages: [{ role: "user", content: "hi" }] };
    const responses = { model: "gpt-4o", instructions: "Be brief.", input: "hi" };
    const google = { systemInstruction: { parts: [{ text: "Be brief." }] }, contents: [{ role: "user", parts: [{ text: "hi" }] }] };
    for (const req of [openai, anthropic, responses, google]) {
      expect(systemText({ request: req })).toBe("Be brief.");
      expect(lastUserText({ request: req })).toBe("hi");
    }
    expect(requestMessages({ contents: [{ role: "model", parts: [{ text: "yo" }] }] })).toEqual([{ role: "assistant", text: "yo" }]);
  });

  it("returns the last user turn of a conversation", () => {
    const req = { messages: [{ role: "user", content: "first" }, { role: "assistant", content: "ok" }, { role: "user", content: "second" }] };
    expect(lastUserText({ request: req })).toBe("second");
  });
});
