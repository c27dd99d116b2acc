import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { db } from "../db/client";
import { useTestDatabase } from "../db/testing";
import { banking77 } from "../datasets/shared-data";
import { validateEvent } from "../ingest/validate";
import { countChatTokens, countTokens } from "../tokens/count";
import { generateDemoEvents } from "./generate";
import { loadDemoData } from "./load";

useTestDatabase();
const end = new Date("2026-12-01T00:00:00Z");

describe("demo generator", () => {
  it("is deterministic for a seed and valid under the ingest contract", () => {
    const hash = (seed: number) => createHash("sha256").update(JSON.stringify([...generateDemoEvents({ count: 300, seed, end })])).digest("hex");
    expect(hash(7)).toBe(hash(7));
    expect(hash(7)).not.toBe(hash(8));
    const events = [...generateDemoEvents({ count: 300, seed: 7, end })];
    for (const e of events) expect(validateEvent(e)).toMatchObject({ ok: true });
    const ts = events.map((e) => Date.parse(e.timestamp));
    expect(ts).toEqual([...ts].sort((a, b) => a - b));
    expect(Math.min(...ts)).toBeGreaterThanOrEqual(end.getTime() - 30 * 86_400_000);
    expect(Math.max(...ts)).toBeLessThan(end.getTime());
  });

  it("reports token usage equal to the tokenizer's count of the request and the answer", () => {
    const openai = [...generateDemoEvents({ count: 200, seed: 3, end })].filter((e) => e.provider === "openai" && e.response);
    expect(openai.length).toBeGreaterThan(100);
    for (const e of openai.slice(0, 60)) {
      const req = e.request as { model: string; messages: Array<{ role: string; content: string }> };
      const usage = (e.response as { usage: { prompt_tokens: number; completion_tokens: number } }).usage;
      const content = (e.response as { choices: Array<{ message: { content: string } }> }).choices[0].message.content;
      expect(usage.prompt_tokens).toBe(countChatTokens(req.messages, req.model).tokens);
      expect(usage.completion_tokens).toBe(countTokens(content, req.model).tokens);
    }
  });

  it("builds the documented features, with nightly batch bursts and classifier answers that are intents", () => {
    const events = [...generateDemoEvents({ count: 2000, seed: 1, end })];
    const by = (f: string) => events.filter((e) => e.tags?.feature === f);
    for (const f of ["support-classifier", "ticket-router", "reply-drafter", "nightly-summary", "chat"]) expect(by(f).length).toBeGreaterThan(50);
    const hours = new Set(by("nightly-summary").map((e) => new Date(e.timestamp).getUTCHours()));
    expect([...hours]).toEqual([2]);
    expect(by("nightly-summary").every((e) => !e.tags?.user)).toBe(true);
    const banking77Labels = new Set([...banking77("train"), ...banking77("test")].map((r) => r.label));
    const answer = (e: (typeof events)[number]) => (e.response as { choices?: Array<{ message: { content: string } }> } | null)?.choices?.[0].message.content;
    expect(by("support-classifier").filter((e) => e.response).every((e) => banking77Labels.has(answer(e)!))).toBe(true);
  });
});

describe("loading the demo into a project", () => {
  it("stores every event once, priced, with rollups, and a second load adds nothing", async () => {
    const org = await db.organization.create({ data: { name: "Demo", slug: `demo-${Date.now()}` } });
    const project = await db.project.create({ data: { organizationId: org.id, name: "Demo", slug: "demo" } });
    const target = { projectId: project.id, organizationId: org.id };
    const first = await loadDemoData(target, { count: 1200, seed: 5, end });
    expect(first).toEqual({ inserted: 1200, duplicates: 0 });
    const again = await loadDemoData(target, { count: 1200, seed: 5, end });
    expect(again).toEqual({ inserted: 0, duplicates: 1200 });
    expect(await db.call.count({ where: { projectId: project.id } })).toBe(1200);
    const priced = await db.call.count({ where: { projectId: project.id, costUsd: { not: null } } });
    expect(priced).toBe(1200);
    const rollup = await db.usageHourly.aggregate({ where: { projectId: project.id }, _sum: { requests: true, costUsd: true } });
    const calls = await db.call.aggregate({ where: { projectId: project.id }, _sum: { costUsd: true } });
    expect(rollup._sum.requests).toBe(1200);
    expect(rollup._sum.costUsd!).toBeCloseTo(calls._sum.costUsd!, 6);
  });
});
