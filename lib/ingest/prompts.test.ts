import { describe, expect, it } from "vitest";
import { extractStaticPrompt, MIN_STATIC_PROMPT_CHARS, promptPlaceholder, restoreStaticPrompt, sha256Hex } from "./prompts";
import { capJsonSize } from "./truncate";

const LONG = "You answer questions about the Acme Bank card programme. ".repeat(4);

describe("static prompt extraction", () => {
  const cases: Array<[string, Parameters<typeof extractStaticPrompt>[0], Record<string, unknown>, string]> = [
    ["openai chat, string content", "openai.chat", { model: "m", messages: [{ role: "developer", content: LONG }, { role: "user", content: "hi" }] }, "messages.0.content"],
    [
      "openai chat, content parts (longest text part)",
      "openai.chat",
      { model: "m", messages: [{ role: "system", content: [{ type: "text", text: "short" }, { type: "text", text: LONG }] }] },
      "messages.0.content.1.text",
    ],
    ["responses instructions", "openai.responses", { model: "m", instructions: LONG, input: "hi" }, "instructions"],
    [
      "anthropic system blocks with cache_control kept",
      "anthropic.messages",
      { model: "m", system: [{ type: "text", text: LONG, cache_control: { type: "ephemeral" } }], messages: [] },
      "system.0.text",
    ],
    ["gemini systemInstruction", "google.generateContent", { systemInstruction: { parts: [{ text: LONG }] }, contents: [] }, "systemInstruction.parts.0.text"],
  ];
  for (const [name, kind, request, where] of cases) {
    it(`${name}: placeholder in place, original untouched, restorable`, () => {
      const before = JSON.stringify(request);
      const out = extractStaticPrompt(kind, request)!;
      expect(out.text).toBe(LONG);
      expect(out.hash).toBe(sha256Hex(LONG));
      const at = where.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], out.request);
      expect(at).toBe(promptPlaceholder(out.hash));
      expect(JSON.stringify(request)).toBe(before);
      expect(restoreStaticPrompt(out.request, out.hash, out.text)).toEqual(request);
    });
  }

  it("leaves requests without a long static prompt alone", () => {
    expect(extractStaticPrompt("openai.chat", { model: "m", messages: [{ role: "user", content: LONG }] })).toBeNull();
    expect(extractStaticPrompt("openai.chat", { model: "m", messages: [{ role: "system", content: "x".repeat(MIN_STATIC_PROMPT_CHARS - 1) }] })).toBeNull();
    expect(extractStaticPrompt("openai.embeddings", { model: "m", input: LONG })).toBeNull();
  });
});

describe("capJsonSize", () => {
  it("cuts the longest strings to fit, marks how much was cut, and keeps placeholders whole", () => {
    const placeholder = promptPlaceholder(sha256Hex("p"));
    const body = { model: "gpt-4o", messages: [{ role: "system", content: placeholder }, { role: "user", content: "a".repeat(10_000) }, { role: "user", content: "b".repeat(300) }] };
    const out = capJsonSize(body, 2_000);
    expect(out.truncated).toBe(true);
    const json = JSON.stringify(out.value);
    expect(json.length).toBeLessThanOrEqual(2_000);
    const msgs = (out.value as typeof body).messages;
    expect(msgs[0].content).toBe(placeholder);
    expect(msgs[1].content).toMatch(/^a+…\[truncated \d+ chars\]$/);
    expect(msgs[2].content).toBe("b".repeat(300));
    expect(out.value.model).toBe("gpt-4o");
  });

  it("returns the body itself when it fits, and a stub when its structure alone is too big", () => {
    const small = { a: "x" };
    expect(capJsonSize(small, 100)).toEqual({ value: small, truncated: false, chars: JSON.stringify(small).length });
    const wide = { model: "m", input: Array.from({ length: 5_000 }, (_, i) => i) };
    const out = capJsonSize(wide, 1_024);
    expect(out.value).toEqual({ _spendlens_truncated: true, original_chars: JSON.stringify(wide).length, model: "m" });
  });
});
