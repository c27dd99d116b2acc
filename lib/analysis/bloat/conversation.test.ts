// Conversation bloat on multi-turn calls built from bitext requests and responses.
import { describe, expect, it } from "vitest";
import { priceCall } from "../../pricing/cost";
import { countTokens } from "../../tokens/count";
import { bitextRows } from "../modelfit/datasets";
import type { AnalysisCall } from "../types";
import { analyseBloat } from "./analyse";
import { findResentDocuments, findUnboundedHistory } from "./conversation";

const MODEL = "gpt-4o-mini"; // input $1.5e-7 per token (price snapshot)
const SYSTEM = "You are the support assistant of an online shop. Answer the customer's latest message.";
const T0 = new Date("2026-11-03T10:00:00Z").getTime();
const window = { from: new Date(T0), to: new Date(T0 + 86_400_000) };
const tok = (t: string) => countTokens(t, MODEL).tokens;

type Msg = { role: "system" | "user" | "assistant"; content: string };

function chat(id: string, minute: number, messages: Msg[], session: string | null): AnalysisCall {
  const inputTokens = messages.reduce((s, m) => s + tok(m.content) + 4, 3);
  return {
    id,
    timestamp: new Date(T0 + minute * 60_000),
    provider: "openai",
    endpoint: "/v1/chat/completions",
    model: MODEL,
    feature: "support-chat",
    endUser: "u1",
    session,
    tags: {},
    request: { model: MODEL, messages },
    response: null,
    outputText: "ok",
    status: 200,
    inputTokens,
    outputTokens: 50,
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    costUsd: priceCall({ inputTokens, outputTokens: 50, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 }, { provider: "openai", model: MODEL })!.costUsd,
    latencyMs: 900,
    batch: false,
  };
}

/** Sessions of `turns` turns; each call re-sends the whole history (or, windowed, only the last 4 messages). */
function sessions(count: number, turns: number, windowed = false): AnalysisCall[] {
  const rows = bitextRows();
  const out: AnalysisCall[] = [];
  for (let s = 0; s < count; s++) {
    const history: Msg[] = [];
    for (let t = 0; t < turns; t++) {
      const row = rows[s * turns + t];
      history.push({ role: "user", content: row.instruction });
      const sent = windowed ? history.slice(-4) : history.slice();
      out.push(chat(`s${s}t${t}`, s * 30 + t, [{ role: "system", content: SYSTEM }, ...sent], `sess-${s}${windowed ? "w" : ""}`));
      history.push({ role: "assistant", content: row.response });
    }
  }
  return out;
}

describe("history that grows without bound", () => {
  it("is found per session and priced by hand: tokens older than the last 6 messages, less a 150-token summary", () => {
    const calls = sessions(5, 6);
    const f = findUnboundedHistory(calls, { window, countTokens: (t, m) => countTokens(t, m).tokens });
    expect(f).not.toBeNull();
    if (!f || f.kind !== "unbounded_history") throw new Error("unreachable");
    expect(f.conversations).toBe(5);
    expect(f.calls).toBe(30);
    expect(f.maxMessages).toBe(11);
    let expected = 0;
    let oldTokens = 0;
    for (const c of calls) {
      const msgs = (c.request.messages as Msg[]).slice(1);
      if (msgs.length <= 6) continue;
      const old = msgs.slice(0, msgs.length - 6).reduce((s, m) => s + tok(m.content) + 4, 0);
      oldTokens += old;
      expected += Math.max(0, old - 150) * 1.5e-7;
    }
    expect(f.oldHistoryTokens).toBe(oldTokens);
    expect(f.monthly.usd).toBeCloseTo(expected * 30, 12);
    expect(f.examples[0].messagesPerCall).toEqual([1, 3, 5, 7, 9, 11]);
  });

  it("is not reported when history is windowed or conversations are short", () => {
    const opts = { window, countTokens: (t: string, m: string) => countTokens(t, m).tokens };
    expect(findUnboundedHistory(sessions(3, 6, true), opts)).toBeNull();
    expect(findUnboundedHistory(sessions(3, 3), opts)).toBeNull();
  });

  it("becomes a compress finding of the group", () => {
    const r = analyseBloat(sessions(5, 6), { window });
    const f = r.findings.find((x) => x.lever === "compress" && x.evidence.kind === "unbounded_history")!;
    expect(f.title).toBe("Trim conversation history to the last 6 messages");
    expect(f.confidence).toBe("low");
    expect(f.callIds!.length).toBeGreaterThan(0);
  });
});

describe("documents re-sent in one request", () => {
  const rows = bitextRows();
  const doc = rows
    .slice(100, 103)
    .map((r) => r.response.replace(/\s*\n+\s*/g, " "))
    .join(" ");

  it("finds the repeated copy with its span and prices it", () => {
    expect(doc.length).toBeGreaterThan(400);
    const calls = [0, 1, 2].map((i) =>
      chat(
        `d${i}`,
        i,
        [
          { role: "system", content: SYSTEM },
          { role: "user", content: `${doc}\n\nWhat does this say about refunds?` },
          { role: "assistant", content: rows[200 + i].response },
          { role: "user", content: `${doc}\n\nAnd about delivery?` },
        ],
        null,
      ),
    );
    const f = findResentDocuments(calls, { window, countTokens: (t, m) => countTokens(t, m).tokens });
    if (!f || f.kind !== "resent_document") throw new Error("expected a finding");
    expect(f.calls).toBe(3);
    expect(f.repeatedTokens).toBe(3 * tok(doc));
    expect(f.monthly.usd).toBeCloseTo(3 * tok(doc) * 1.5e-7 * 30, 12);
    expect(f.examples[0].spans).toEqual([
      { messageIndex: 1, start: 0, end: doc.length },
      { messageIndex: 3, start: 0, end: doc.length },
    ]);
  });

  it("ignores short repeated lines", () => {
    const calls = [chat("x", 0, [{ role: "user", content: "Thanks!" }, { role: "assistant", content: "ok" }, { role: "user", content: "Thanks!" }], null)];
    expect(findResentDocuments(calls, { window, countTokens: (t, m) => countTokens(t, m).tokens })).toBeNull();
  });
});
