import { describe, expect, it } from "vitest";
import { validateEvent, parseEventTimestamp } from "./validate";

const good = () => ({
  id: "evt_1",
  timestamp: "2026-12-01T10:00:00.000Z",
  provider: "openai",
  endpoint: "/v1/chat/completions",
  request: { model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] },
  response: { model: "gpt-4o-mini-2024-07-18", choices: [], usage: { prompt_tokens: 8, completion_tokens: 2 } },
  latency_ms: 412.5,
  tags: { feature: "support", user: "u1" },
});
const NOW = Date.parse("2026-12-04T12:00:00Z");

function fields(raw: unknown): string[] {
  const r = validateEvent(raw, NOW);
  return r.ok ? [] : r.errors.map((e) => e.field);
}

describe("validateEvent", () => {
  it("accepts a well-formed event and drops unknown top-level keys", () => {
    const r = validateEvent({ ...good(), extra: 1 }, NOW);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.event.id).toBe("evt_1");
      expect("extra" in r.event).toBe(false);
      expect(r.event.tags).toEqual({ feature: "support", user: "u1" });
      expect(r.event.response).not.toBeNull();
    }
  });

  it("names every bad field", () => {
    expect(fields({ ...good(), id: "" })).toEqual(["id"]);
    expect(fields({ ...good(), id: "x".repeat(129) })).toEqual(["id"]);
    expect(fields({ ...good(), timestamp: "yesterday" })).toEqual(["timestamp"]);
    expect(fields({ ...good(), timestamp: "1999-01-01T00:00:00Z" })).toEqual(["timestamp"]);
    expect(fields({ ...good(), timestamp: "2026-12-07T00:00:00Z" })).toEqual(["timestamp"]);
    expect(fields({ ...good(), latency_ms: -1 })).toEqual(["latency_ms"]);
    expect(fields({ ...good(), latency_ms: "12" })).toEqual(["latency_ms"]);
    expect(fields({ ...good(), tags: { feature: 3 } })).toEqual(["tags.feature"]);
    expect(fields({ ...good(), request: { model: 4, messages: [] } })).toEqual(["request.model"]);
    expect(fields({ ...good(), response: "ok" })).toEqual(["response"]);
    expect(fields({ ...good(), error: { status: "500", message: "x" } })).toEqual(["error.status"]);
    expect(fields({ ...good(), batch: "yes" })).toEqual(["batch"]);
    expect(fields({ id: "a" }).sort()).toEqual(["endpoint", "latency_ms", "provider", "request", "timestamp"]);
    expect(fields([1, 2])).toEqual([""]);
  });

  it("requires a model somewhere: request, response or endpoint path", () => {
    const noModel = { ...good(), request: { messages: [] }, response: null };
    expect(fields(noModel)).toEqual(["request.model"]);
    expect(fields({ ...noModel, endpoint: "/v1beta/models/gemini-2.0-flash:generateContent", provider: "google" })).toEqual([]);
    expect(fields({ ...noModel, endpoint: "/openai/deployments/prod-4o/chat/completions", provider: "azure" })).toEqual([]);
  });

  it("accepts a missing response as null and an error event", () => {
    const { response: _r, ...rest } = good();
    const r = validateEvent({ ...rest, error: { status: 429, message: "rate limited" } }, NOW);
    expect(r.ok && r.event.response).toBeNull();
    expect(r.ok && r.event.error).toEqual({ status: 429, message: "rate limited" });
  });

  it("reads ISO timestamps with offsets, and naive ones as UTC", () => {
    expect(parseEventTimestamp("2026-12-01T10:00:00Z")).toBe(Date.UTC(2026, 11, 1, 10));
    expect(parseEventTimestamp("2026-12-01T12:00:00+02:00")).toBe(Date.UTC(2026, 11, 1, 10));
    expect(parseEventTimestamp("2026-12-01T10:00:00.123456")).toBe(Date.UTC(2026, 11, 1, 10, 0, 0, 123));
    expect(parseEventTimestamp("2026-12-01 10:00")).toBe(Date.UTC(2026, 11, 1, 10));
    expect(parseEventTimestamp("Dec 1 2026")).toBeNaN();
  });
});
