import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { AnalysisCall, LeverFinding } from "../analysis/types";
import { combineFindings, LEVER_ORDER } from "../recommend/combine";
import { buildReport, type AnalysisResult, type ReportInput } from "./build";
import { stableStringify, toJson } from "./json";
import { validateJsonSchema } from "./json-schema";

const schema = JSON.parse(readFileSync(path.resolve(process.cwd(), "docs/report.schema.json"), "utf8"));
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 9, 1);

function call(i: number, feature: string, model: string, costUsd: number | null): AnalysisCall {
  return {
    id: `c${String(i).padStart(3, "0")}`,
    timestamp: new Date(T0 + i * (DAY / 4)),
    provider: "openai",
    endpoint: "/v1/chat/completions",
    model,
    feature,
    endUser: null,
    session: null,
    tags: {},
    request: {},
    response: null,
    outputText: "x",
    status: 200,
    inputTokens: 100,
    outputTokens: 10,
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    costUsd,
    latencyMs: 100,
    batch: false,
  };
}

// 40 calls over 10 days: 20 "classify" at $0.10, 20 "chat" at $0.05, one of them unpriced.
const calls = [...Array.from({ length: 20 }, (_, i) => call(i * 2, "classify", "gpt-4o", 0.1)), ...Array.from({ length: 20 }, (_, i) => call(i * 2 + 1, "chat", "gpt-4.1", i === 0 ? null : 0.05))].sort(
  (a, b) => a.timestamp.getTime() - b.timestamp.getTime(),
);
const window = { from: calls[0].timestamp, to: calls[calls.length - 1].timestamp };
const windowUsd = 20 * 0.1 + 19 * 0.05;
const monthlyUsd = (windowUsd * 30) / ((window.to.getTime() - window.from.getTime()) / DAY);
const classifyIds = calls.filter((c) => c.feature === "classify").map((c) => c.id);
const classifyMonthly = (2 * 30) / ((window.to.getTime() - window.from.getTime()) / DAY);

function finding(lever: LeverFinding["lever"], share: number, extra: Partial<LeverFinding> = {}): LeverFinding {
  return {
    lever,
    title: `${lever} the classifier`,
    scope: { feature: "classify", model: "gpt-4o" },
    callIds: classifyIds,
    affectedMonthlyCostUsd: classifyMonthly,
    savingsShare: { point: share, low: share * 0.8, high: share * 1.2 },
    monthly: { usd: classifyMonthly * share, low: classifyMonthly * share * 0.8, high: classifyMonthly * share * 1.2 },
    confidence: "medium",
    evidence: { ratio: NaN, when: new Date(T0), nested: { callIds: ["a", "b", "c"] }, hist: new Float64Array([1, 2]) },
    howToApply: { summary: "do it" },
    ...extra,
  };
}

const compress = finding("compress", 0.3);
const prefix = finding("prefix_cache", 0.1, { title: "prefix cache it", callIds: undefined });
const cache = finding("cache", 0.5);
const batchSmall = finding("batch", 0.05, { title: "b small" });
const batchBig = finding("batch", 0.2, { title: "b big", scope: { feature: "classify", model: "gpt-4o" } });

function input(results: AnalysisResult[]): ReportInput {
  return {
    generatorVersion: "9.9.9",
    calls,
    window,
    files: [{ name: "x.jsonl", sha256: "a".repeat(64), kind: "events", bytes: 10, lines: 42, events: 40, errors: 2 }],
    duplicates: 0,
    unpricedCalls: 1,
    badLines: 2,
    errors: [
      { file: "x.jsonl", line: 4, field: "", message: "not valid JSON" },
      { file: "x.jsonl", line: 9, field: "timestamp", message: "bad" },
    ],
    redactions: {},
    priceVersion: "p1",
    results,
    seed: 1,
    replay: null,
  };
}

const results: AnalysisResult[] = [
  { name: "modelfit", status: "failed", reason: "boom" },
  { name: "distill", status: "not_available", reason: "not built" },
  { name: "bloat", status: "ok", findings: [compress, prefix], detail: { groups: [{ id: "g", segments: [{ text: "t" }], candidates: [{ method: "deterministic", segments: [] }] }], prefixCache: [{ groupId: "g" }], findings: [compress] } },
  { name: "cache", status: "ok", findings: [cache], detail: { embedder: { id: "tfidf", dims: 1 }, settings: { thresholds: [0.9], tolerance: 0.01, ttlSeconds: 60 }, totals: { calls: 40, eligible: 40, recommendedMonthlyUsd: { point: 1, low: 1, high: 1 } }, groups: [] } },
  { name: "batch", status: "ok", findings: [batchSmall, batchBig], detail: { groups: [] } },
];

describe("buildReport", () => {
  const report = buildReport(input(results));

  it("has one section per lever in waterfall order, with a reason wherever there are no figures", () => {
    expect(report.levers.map((l) => l.lever)).toEqual(LEVER_ORDER);
    const by = Object.fromEntries(report.levers.map((l) => [l.lever, l]));
    expect(by.rightsize).toMatchObject({ status: "failed", reason: "boom", findings: [], detail: null, monthly: { usd: 0, low: 0, high: 0 } });
    expect(by.distill).toMatchObject({ status: "not_available", reason: "not built" });
    expect(by.compress.findings.map((f) => f.title)).toEqual(["compress the classifier"]);
    expect(by.prefix_cache.findings.map((f) => f.title)).toEqual(["prefix cache it"]);
    expect(by.prefix_cache.detail).toEqual({ window: null, entries: [{ groupId: "g" }] });
    // Compress detail: no duplicated findings, no per-segment copies of the prompt text.
    expect(by.compress.detail).toEqual({ groups: [{ id: "g", candidates: [{ method: "deterministic" }] }] });
  });

  it("orders a lever's findings by savings and counts overlapping findings of one lever once", () => {
    const batch = report.levers.find((l) => l.lever === "batch")!;
    expect(batch.findings.map((f) => f.title)).toEqual(["b big", "b small"]);
    // Both act on the same calls: 20% then 5% of what remains, not 25%.
    expect(batch.monthly.usd).toBeCloseTo(classifyMonthly * (1 - 0.8 * 0.95), 10);
    expect(batch.monthly.usd).toBeLessThan(batchSmall.monthly.usd + batchBig.monthly.usd);
  });

  it("replaces call-id lists by counts and non-JSON values by JSON ones", () => {
    const f = report.levers.find((l) => l.lever === "cache")!.findings[0];
    expect(f.calls).toBe(20);
    expect(f.exampleCallIds).toEqual([...classifyIds].sort().slice(0, 5));
    expect(f.evidence).toEqual({ ratio: null, when: new Date(T0).toISOString(), nested: { callCount: 3 }, hist: [1, 2] });
    expect(report.levers.find((l) => l.lever === "prefix_cache")!.findings[0].calls).toBeNull();
  });

  it("combines all levers without double counting, exactly as lib/recommend does", () => {
    const expected = combineFindings(monthlyUsd, [compress, prefix, cache, batchSmall, batchBig]);
    expect(report.combined.currentMonthlyUsd).toBeCloseTo(monthlyUsd, 10);
    expect(report.combined.saved.usd).toBeCloseTo(expected.savedUsd, 10);
    expect(report.combined.projectedMonthlyUsd).toBeCloseTo(expected.projectedMonthlyUsd, 10);
    expect(report.combined.steps.map((s) => s.lever)).toEqual(["compress", "prefix_cache", "cache", "batch"]);
    const standalone = report.levers.reduce((s, l) => s + l.monthly.usd, 0);
    expect(report.combined.saved.usd).toBeLessThan(standalone);
  });

  it("slices spend by feature, model and day, adding up to the total", () => {
    expect(report.spend.windowUsd).toBeCloseTo(windowUsd, 10);
    expect(report.spend.monthlyUsd).toBeCloseTo(monthlyUsd, 10);
    expect(report.spend.byFeature.map((s) => [s.key, s.calls])).toEqual([
      ["classify", 20],
      ["chat", 20],
    ]);
    expect(report.spend.byModel.reduce((s, x) => s + x.costUsd, 0)).toBeCloseTo(windowUsd, 10);
    expect(report.spend.byDay.reduce((s, x) => s + x.calls, 0)).toBe(40);
    expect(report.spend.byDay.map((d) => d.date)).toEqual([...report.spend.byDay.map((d) => d.date)].sort());
  });

  it("validates against docs/report.schema.json", () => {
    const json = JSON.parse(stableStringify(toJson(report)));
    expect(validateJsonSchema(schema, json)).toEqual([]);
    // and the schema does constrain it
    const broken = { ...json, levers: json.levers.slice(1) };
    expect(validateJsonSchema(schema, broken)).toEqual(["/levers: fewer than 6 items"]);
  });

  it("gives the same bytes whatever order the analyses listed their findings in, and no clock unless asked", () => {
    const shuffled = results.map((r) => (r.status === "ok" ? { ...r, findings: [...r.findings].reverse() } : r));
    const a = stableStringify(toJson(report));
    expect(stableStringify(toJson(buildReport(input(shuffled))))).toBe(a);
    expect(a).not.toContain("generatedAt");
    const stamped = buildReport({ ...input(results), generatedAt: new Date("2026-12-01T10:00:00Z") });
    expect(stamped.generatedAt).toBe("2026-12-01T10:00:00.000Z");
  });
});

describe("stableStringify", () => {
  it("sorts keys at every level and keeps array order", () => {
    expect(stableStringify({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } }, 0)).toBe('{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
  });
});
