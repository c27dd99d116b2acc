// Task profiling on labelled fixtures built from real data sets (../shared/data).
import { describe, expect, it } from "vitest";
import type { AnalysisCall } from "../types";
import { arenaHardPrompts, banking77Calls, bitextReplyCalls, bitextRows, chatCalls, mmluItems } from "./datasets";
import { groupCalls } from "./groups";
import { normaliseLabel } from "../replay/answers";
import { profileTask } from "./profile";

describe("normaliseLabel", () => {
  it("treats free-text variants of one answer as the same label", () => {
    const variants = ["cancel_order", "Cancel order.", "Intent: cancel-order", '{"intent": "cancel_order"}', "```\nCANCEL_ORDER\n```", '"cancel order"'];
    expect(new Set(variants.map(normaliseLabel))).toEqual(new Set(["cancel_order"]));
    expect(normaliseLabel("The answer is B")).toBe("b");
    expect(normaliseLabel("track_order")).not.toBe(normaliseLabel("track_refund"));
  });
});

describe("profileTask on real data", () => {
  it("banking77 intents are classification and a candidate", () => {
    const { test } = banking77Calls();
    const p = profileTask(test);
    expect(p.kind).toBe("classification");
    expect(p.candidate).toBe(true);
    expect(p.evidence.distinctLabels).toBe(77);
    expect(p.evidence.outputWords.p90).toBe(1);
    expect(p.reason).toMatch(/77 distinct labels/);
  });

  it("MMLU multiple choice (letters) is classification", () => {
    const items = mmluItems().filter((i) => i.subject === "anatomy");
    const calls = chatCalls(items.map((i, k) => ({ user: i.prompt, answer: "ABCD"[k % 4] })), { model: "gpt-4", feature: "mmlu" });
    const p = profileTask(calls);
    expect(p.kind).toBe("classification");
    expect(p.evidence.distinctLabels).toBe(4);
  });

  it("bitext intents answered in free-text variants are still classification over 27 labels", () => {
    const styles = [(s: string) => s, (s: string) => s.replace(/_/g, " "), (s: string) => `Intent: ${s}.`, (s: string) => s.toUpperCase()];
    const rows = bitextRows().slice(0, 1500);
    const calls = chatCalls(
      rows.map((r, i) => ({ system: "Classify the customer's request into one intent.", user: r.instruction, answer: styles[i % 4](r.intent) })),
      { model: "gpt-4o", feature: "intent" },
    );
    const p = profileTask(calls);
    expect(p.kind).toBe("classification");
    expect(p.evidence.distinctLabels).toBe(27);
  });

  it("bitext support replies are open generation and not a candidate", () => {
    const p = profileTask(bitextReplyCalls({ limit: 800 }));
    expect(p.kind).toBe("open_generation");
    expect(p.candidate).toBe(false);
    expect(p.evidence.outputWords.p50).toBeGreaterThan(60);
    expect(p.evidence.distinctLabels).toBeGreaterThan(700);
  });

  it("bitext entity extraction with response_format json_object is extraction", () => {
    const rows = bitextRows().filter((r) => r.entityType).slice(0, 600);
    const calls = chatCalls(
      rows.map((r) => ({
        system: "Extract the intent and the entity from the customer's message as JSON.",
        user: r.instruction,
        answer: JSON.stringify({ intent: r.intent, entity_type: r.entityType, entity_value: r.entityValue }),
        request: { response_format: { type: "json_object" } },
      })),
      { model: "gpt-4o", feature: "extract" },
    );
    const p = profileTask(calls);
    expect(p.kind).toBe("extraction");
    expect(p.candidate).toBe(true);
    expect(p.evidence.responseFormat).toBe("json_object");
    expect(p.reason).toMatch(/json_object/);
  });

  it("one-sentence summaries of bitext replies are short summarisation", () => {
    const rows = bitextRows().slice(0, 400);
    const calls = chatCalls(
      rows.map((r) => ({
        system: "Summarise this support reply in one sentence for the ticket list.",
        user: r.response,
        answer: (r.response.split(/(?<=[.!?])\s/)[0] ?? r.response).slice(0, 200),
      })),
      { model: "gpt-4o", feature: "ticket-summary" },
    );
    const p = profileTask(calls);
    expect(p.kind).toBe("short_summarisation");
    expect(p.candidate).toBe(true);
    expect(p.evidence.outputInputRatio).toBeLessThan(0.3);
  });

  it("arena_hard open prompts (no answers logged) are open generation", () => {
    const prompts = arenaHardPrompts();
    const calls = chatCalls(prompts.map((p) => ({ user: p.prompt, answer: "" })), { model: "gpt-4o", feature: "chat" }).map((c) => ({
      ...c,
      outputText: null,
      response: null,
    }));
    const p = profileTask(calls);
    expect(p.kind).toBe("open_generation");
    expect(p.candidate).toBe(false);
    expect(p.evidence.withOutput).toBe(0);
  });

  it("arena_hard prompts under a reasoning setting are reasoning", () => {
    const calls = chatCalls(arenaHardPrompts().slice(0, 100).map((p, i) => ({ user: p.prompt, answer: `Step ${i}: long derivation `.repeat(20), request: { reasoning_effort: "high" } })), {
      model: "o3",
      feature: "solver",
    });
    const p = profileTask(calls);
    expect(p.kind).toBe("reasoning");
    expect(p.candidate).toBe(false);
  });

  it("calls where the model picks among several tools are tool use", () => {
    const rows = bitextRows().slice(0, 200);
    const tools = ["lookup_order", "cancel_order", "issue_refund"].map((name) => ({ type: "function", function: { name, parameters: { type: "object" } } }));
    const calls: AnalysisCall[] = chatCalls(
      rows.map((r) => ({ user: r.instruction, answer: "", request: { tools } })),
      { model: "gpt-4o", feature: "agent" },
    ).map((c, i) => ({
      ...c,
      outputText: null,
      response: {
        choices: [{ message: { role: "assistant", content: null, tool_calls: [{ id: `t${i}`, type: "function", function: { name: tools[i % 3].function.name, arguments: "{}" } }] } }],
      },
    }));
    const p = profileTask(calls);
    expect(p.kind).toBe("tool_use");
    expect(p.evidence.toolCallShare).toBe(1);
  });
});

describe("groupCalls", () => {
  it("splits by feature, static prompt and model, and drops failed calls", () => {
    const { test } = banking77Calls({ limitTest: 50, limitTrain: 0 });
    const other = bitextReplyCalls({ limit: 30 });
    const failed = { ...test[0], id: "failed", status: 500 };
    const otherModel = test.slice(0, 10).map((c) => ({ ...c, id: `${c.id}-mini`, model: "gpt-4o-mini" }));
    const groups = groupCalls([...test, ...other, failed, ...otherModel]);
    expect(groups.map((g) => g.calls.length).sort((a, b) => a - b)).toEqual([10, 30, 50]);
    const bank = groups.find((g) => g.feature === "support-intent" && g.model === "gpt-4o")!;
    expect(bank.promptHash).toMatch(/^[0-9a-f]{16}$/);
    expect(bank.calls.some((c) => c.id === "failed")).toBe(false);
  });
});
