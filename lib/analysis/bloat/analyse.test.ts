import { describe, expect, it } from "vitest";
import { wildchatUsers } from "../../datasets/shared-data";
import { countTokens } from "../../tokens/count";
import { chatCalls } from "../modelfit/datasets";
import { analyseBloat, type BloatAnalysis } from "./analyse";
import {
  SUPPORT_REPLY_USER_PREFIX,
  SUPPORT_REPLY_USER_SUFFIX,
  supportClassifierCalls,
  supportClassifierPrompt,
  supportReplyCalls,
  supportReplyPrompt,
  type PlantedPrompt,
} from "./fixtures";
import type { PromptGroupReport } from "./types";

const tokens = (text: string, model: string) => countTokens(text, model).tokens;

/** Every planted span is reported with exactly its offsets and text, under its kind. */
function expectPlantedFound(group: PromptGroupReport, prompt: PlantedPrompt, segment = 0) {
  for (const p of prompt.planted) {
    const hit = group.findings.find((f) => f.kind === p.kind && f.spans.some((s) => s.segment === segment && s.start === p.start && s.end === p.end));
    expect(hit, `${p.kind} ${p.id} at ${p.start}-${p.end}: ${JSON.stringify(p.text.slice(0, 60))}`).toBeDefined();
    const span = hit!.spans.find((s) => s.start === p.start)!;
    expect(span.text).toBe(p.text);
  }
}

/** No sentence-level finding (anything but whitespace/markdown) points at text that was not planted. */
function expectNoFalsePositives(group: PromptGroupReport, prompt: PlantedPrompt) {
  for (const f of group.findings) {
    if (f.kind === "whitespace" || f.kind === "markdown") continue;
    for (const s of f.spans) {
      const planted = prompt.planted.find((p) => p.start === s.start && p.end === s.end);
      expect(planted, `unexpected ${f.kind} at ${s.start}-${s.end}: ${JSON.stringify(s.text.slice(0, 80))}`).toBeDefined();
    }
  }
}

describe("support classifier (~820 tokens, banking77 traffic)", () => {
  const prompt = supportClassifierPrompt();
  const calls = supportClassifierCalls({ limit: 300 });
  const report: BloatAnalysis = analyseBloat(calls);
  const group = report.groups[0];

  it("groups every call under the one static prompt and counts its tokens exactly", () => {
    expect(report.groups).toHaveLength(1);
    expect(group.method).toBe("hash");
    expect(group.calls).toBe(300);
    expect(group.segments).toEqual([{ messageIndex: 0, role: "system", part: "whole", text: prompt.text }]);
    const exact = tokens(prompt.text, "gpt-4o");
    expect(exact).toBeGreaterThan(780);
    expect(exact).toBeLessThan(860);
    expect(group.staticTokens).toBe(exact);
    expect(group.tokensExact).toBe(true);
    // Fixture calls: input = system + user + 4 per message + 3 (chatCalls); the static share is measured against it.
    const input = calls.reduce((s, c) => s + c.inputTokens, 0);
    expect(group.staticShareOfInput).toBeCloseTo((exact * 300) / input, 12);
    // $ per month on the static part: 300 calls in < 1 day (x30) at gpt-4o's $2.5 / 1M input tokens.
    expect(group.staticMonthlyUsd).toBeCloseTo(exact * 2.5e-6 * 300 * 30, 9);
  });

  it("finds every planted bloat span, exactly, and nothing else at sentence level", () => {
    expectPlantedFound(group, prompt);
    expectNoFalsePositives(group, prompt);
    const kinds = new Set(group.findings.map((f) => f.kind));
    for (const k of ["persona", "repeated_instruction", "contradicted_instruction", "unused_output_format", "extra_example", "markdown", "whitespace"]) expect(kinds).toContain(k);
    const contradicted = group.findings.filter((f) => f.kind === "contradicted_instruction");
    expect(contradicted.map((f) => f.related![0].text).sort()).toEqual(["Never greet the customer.", "Your answer must be under 5 words."]);
    const unused = group.findings.filter((f) => f.kind === "unused_output_format");
    for (const f of unused) expect(f.evidence).toMatchObject({ outputsChecked: 300, usedBy: 0 });
  });

  it("builds a deterministic candidate that the exact tokenizer measures shorter, keeping the real constraints", () => {
    const cand = group.candidates.find((c) => c.method === "deterministic")!;
    expect(cand).toBeDefined();
    expect(cand.tokens).toBe(tokens(cand.segments[0].text, "gpt-4o"));
    expect(cand.tokens).toBeLessThan(group.staticTokens);
    expect(cand.tokensSaved).toBe(group.staticTokens - cand.tokens);
    const count = (text: string, part: string) => text.split(part).length - 1;
    for (const p of prompt.planted.filter((x) => !["whitespace", "markdown"].includes(x.kind))) {
      // Removed: one occurrence fewer (an exact repeat keeps its first occurrence).
      expect(count(cand.text, p.text), p.id).toBe(count(prompt.text, p.text) - 1);
    }
    for (const kept of ["Respond with only the intent label, exactly as written in the list below.", "Your answer must be under 5 words.", "Never greet the customer.", "card_arrival, card_delivery_estimate", "Example 1:"]) {
      expect(cand.text).toContain(kept);
    }
    expect(cand.verification.status).toBe("unverified");
    // $ saved per month by hand: tokens saved x $2.5/1M x 300 calls x 30 (window under a day).
    expect(cand.monthly.usd).toBeCloseTo(cand.tokensSaved * 2.5e-6 * 300 * 30, 9);
    const f = report.findings.find((x) => x.lever === "compress")!;
    expect(f.monthly.usd).toBeCloseTo(cand.monthly.usd, 12);
    expect(f.confidence).toBe("low");
    expect(f.evidence).toMatchObject({ recommended: false, originalTokens: group.staticTokens, candidateTokens: cand.tokens });
    expect(f.callIds).toHaveLength(300);
  });

  it("measures each finding's own saving with the tokenizer", () => {
    for (const f of group.findings) {
      expect(f.tokens).toBe(f.spans.reduce((s, sp) => s + tokens(sp.text, "gpt-4o"), 0));
      if (f.edits.length) expect(f.tokensSaved).toBeGreaterThan(0);
      else expect(f.tokensSaved).toBe(0);
    }
  });

  it("is deterministic", () => {
    expect(JSON.stringify(analyseBloat(calls))).toBe(JSON.stringify(report));
  });

  it("flags a classifier answering in sentences, priced on output tokens", () => {
    const verbose = supportClassifierCalls({ limit: 120, verboseAnswers: true });
    const r = analyseBloat(verbose);
    const out = r.groups[0].output!;
    expect(out.flagged).toBe(true);
    expect(out.outputsChecked).toBe(120);
    expect(out.verboseLabelShare.point).toBe(1);
    // By hand: each answer could be the label + 1 token, at gpt-4o's $10 / 1M output tokens, x30.
    const expected = verbose.reduce((s, c) => {
      const label = c.outputText!.split(" ").pop()!.replace(/\.$/, "");
      return s + (c.outputTokens - (tokens(label, "gpt-4o") + 1)) * 1e-5;
    }, 0);
    expect(out.monthly.usd).toBeCloseTo(expected * 30, 9);
    expect(r.findings.some((f) => f.lever === "compress" && f.evidence.kind === "output_bloat")).toBe(true);
    // Label answers are not flagged.
    expect(group.output?.flagged).toBe(false);
  });
});

describe("bitext-style support replies", () => {
  const prompt = supportReplyPrompt();
  const calls = supportReplyCalls({ limit: 200 });
  const report = analyseBloat(calls);
  const group = report.groups[0];

  it("finds the template around the customer's message as static text", () => {
    expect(group.segments).toEqual([
      { messageIndex: 0, role: "system", part: "whole", text: prompt.text },
      { messageIndex: 1, role: "user", part: "prefix", text: SUPPORT_REPLY_USER_PREFIX },
      { messageIndex: 1, role: "user", part: "suffix", text: SUPPORT_REPLY_USER_SUFFIX },
    ]);
    expect(group.staticTokens).toBe(tokens(prompt.text, "gpt-4o-mini") + tokens(SUPPORT_REPLY_USER_PREFIX, "gpt-4o-mini") + tokens(SUPPORT_REPLY_USER_SUFFIX, "gpt-4o-mini"));
  });

  it("finds the planted bloat with exact spans; the long kept example is flagged, not edited", () => {
    expectPlantedFound(group, prompt);
    expectNoFalsePositives(group, prompt);
    const long = group.findings.find((f) => f.kind === "long_example")!;
    expect(long.edits).toEqual([]);
    expect(long.evidence).toMatchObject({ limit: 150 });
    const cand = group.candidates[0];
    expect(cand.tokens).toBeLessThan(group.staticTokens);
    expect(cand.tokens).toBe(cand.segments.reduce((s, seg) => s + tokens(seg.text, "gpt-4o-mini"), 0));
    // The template segments are untouched.
    expect(cand.segments[1].text).toBe(SUPPORT_REPLY_USER_PREFIX);
    expect(cand.segments[2].text).toBe(SUPPORT_REPLY_USER_SUFFIX);
  });
});

describe("JSON schema sent twice", () => {
  const system = [
    "Extract the order details from the customer's message.",
    "Return JSON in this format:",
    "{",
    '  "intent": "the customer\'s intent, snake_case",',
    '  "order_id": "the order number or null",',
    '  "urgency": "low | medium | high"',
    "}",
    "Fields:",
    "- intent: what the customer wants, as a snake_case intent",
    "- order_id: the order number if the message has one",
    "- urgency: how urgent the request is",
    "Use null for anything the message does not say.",
  ].join("\n");
  const schema = {
    type: "object",
    properties: {
      intent: { type: "string", description: "what the customer wants, as a snake_case intent" },
      order_id: { type: ["string", "null"], description: "the order number if the message has one" },
      urgency: { type: "string", enum: ["low", "medium", "high"], description: "how urgent the request is" },
    },
    required: ["intent", "order_id", "urgency"],
    additionalProperties: false,
  };

  it("flags the JSON block and the prose field list when response_format carries the schema", async () => {
    const { bitextRows } = await import("../modelfit/datasets");
    const rows = bitextRows().slice(0, 40);
    const calls = chatCalls(
      rows.map((r) => ({
        system,
        user: r.instruction,
        answer: JSON.stringify({ intent: r.intent, order_id: null, urgency: "low" }),
        request: { response_format: { type: "json_schema", json_schema: { name: "order", strict: true, schema } } },
      })),
      { model: "gpt-4.1-mini", feature: "order-extract" },
    );
    const g = analyseBloat(calls).groups[0];
    const dup = g.findings.filter((f) => f.kind === "duplicate_schema");
    expect(dup).toHaveLength(2);
    const blockStart = system.indexOf("Return JSON in this format:");
    const blockEnd = system.indexOf("}") + 1;
    expect(dup[0].spans[0]).toMatchObject({ start: blockStart, end: blockEnd, text: system.slice(blockStart, blockEnd) });
    const listStart = system.indexOf("- intent:");
    const listEnd = system.indexOf("how urgent the request is") + "how urgent the request is".length;
    expect(dup[1].spans[0]).toMatchObject({ start: listStart, end: listEnd });
    expect(dup[1].edits).toHaveLength(1); // the schema has the same descriptions
    const cand = g.candidates[0];
    expect(cand.text).not.toContain('"order_id"');
    expect(cand.text).toContain("Use null for anything the message does not say.");
    expect(cand.tokens).toBeLessThan(g.staticTokens);
  });

  it("leaves the prompt's JSON alone when the request sends no schema", () => {
    const calls = chatCalls([{ system, user: "where is my order 123", answer: "{}" }, { system, user: "cancel 55", answer: "{}" }], { model: "gpt-4.1-mini", feature: "x" });
    const g = analyseBloat(calls).groups[0];
    expect(g.findings.filter((f) => f.kind === "duplicate_schema")).toHaveLength(0);
  });
});

describe("template extraction on real WildChat prompts", () => {
  it("groups the 18 prompts built from one template (no system prompt) and finds its fixed text", () => {
    const users = wildchatUsers();
    const calls = chatCalls(
      users.map((u) => ({ user: u, answer: "ok" })),
      { model: "gpt-4o", feature: "chat" },
    );
    const r = analyseBloat(calls);
    const template = r.groups.filter((g) => g.method === "template");
    expect(template).toHaveLength(1);
    expect(template[0].calls).toBe(18);
    const members = users.filter((u) => u.startsWith('As a prompt generator for a generative AI called "Midjourney"'));
    expect(members).toHaveLength(18);
    const [prefix, suffix] = template[0].segments;
    expect(prefix.part).toBe("prefix");
    expect(suffix.part).toBe("suffix");
    for (const m of members) {
      expect(m.startsWith(prefix.text)).toBe(true);
      expect(m.endsWith(suffix.text)).toBe(true);
    }
    expect(prefix.text.length + suffix.text.length).toBeGreaterThan(3000);
    // Three "/imagine prompt:" examples of one format: the two longer ones go.
    const extra = template[0].findings.find((f) => f.kind === "extra_example")!;
    expect(extra.spans).toHaveLength(2);
    for (const sp of [...extra.spans, ...extra.related!]) expect(sp.text.startsWith("/imagine prompt:")).toBe(true);
    expect(template[0].findings.some((f) => f.kind === "persona")).toBe(false);
    // The template indents every line by ~28 spaces: heavy whitespace.
    const ws = template[0].findings.find((f) => f.kind === "whitespace")!;
    expect(ws.tokensSaved).toBeGreaterThan(0.01 * template[0].staticTokens);
    // The other 82 prompts are unrelated and stay ungrouped.
    expect(r.ungroupedCalls).toBe(82);
  });
});
