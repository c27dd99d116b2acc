// A cache recommendation applied in the proxy: a cache rule answers a feature's repeated requests of a
// model from an exact-match response cache (no upstream request, x-spendlens-cache: hit, logged at $0
// tagged with the rule), misses are forwarded and their 200 answers stored. Real Postgres, the loopback
// fake upstream (each fresh answer numbered, so a replayed one is recognisable), the proxy server on a
// free port, a clock the test moves for expiry.
import type { ServerResponse } from "node:http";
import { beforeAll, describe, expect, it } from "vitest";
import { db } from "../db/client";
import { createCacheRule, deleteCacheRule, updateCacheRule } from "./cache-rules";
import { anthropicMessage, openaiChatCompletion, sendJson, type UpstreamRequest } from "./fake-upstream";
import { createModelRoute } from "./model-routes";
import { cacheKey, ResponseCache } from "./response-cache";
import { loggedCalls, useProxyTestKit, type ProxyTestKit } from "./test-kit";

let clock = Date.UTC(2026, 11, 4, 12);
let draw = 0.5;
// Rules read once a minute at most: only the in-process change notice can explain a change applying at once.
const kit = useProxyTestKit({ cacheRulesTtlMs: 60_000, cacheNow: () => clock, cacheRandom: () => draw });

const MODEL = "gpt-4o";
const QUESTION = "Where is my refund?";
let actor: { projectId: string; organizationId: string; actorUserId: string };
let ruleId: string;
let fresh = 0;

/** Fresh answers are numbered: "answer #n". */
function numberedAnswers(req: UpstreamRequest, res: ServerResponse): void {
  const body = req.body ?? {};
  const model = typeof body.model === "string" ? body.model : "gpt-4o";
  fresh++;
  if (req.path.startsWith("/v1/messages")) return sendJson(res, 200, anthropicMessage(model, `answer #${fresh}`));
  if (body.stream === true) {
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.end(`data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", model, choices: [{ index: 0, delta: { content: `answer #${fresh}` }, finish_reason: "stop" }] })}\n\ndata: [DONE]\n\n`);
    return;
  }
  sendJson(res, 200, openaiChatCompletion(model, `answer #${fresh}`));
}

beforeAll(async () => {
  const k = kit();
  k.upstream.respond(numberedAnswers);
  const user = await db.user.create({ data: { email: `admin-${Date.now()}@example.com` } });
  actor = { projectId: k.projectId, organizationId: k.organizationId, actorUserId: user.id };
  // Rules default to a 2% audit share; draws of 0.5 never audit.
  ruleId = (await createCacheRule(actor, { feature: "support-bot", model: MODEL })).rule.id;
});

type Sent = { status: number; cache: string | null; routed: string | null; answer: string; upstreamCalls: number; upstreamBody: Record<string, unknown> | null };

async function send(
  k: ProxyTestKit,
  opts: { provider?: "openai" | "anthropic"; feature?: string; model?: string; session: string; text?: string; extra?: Record<string, unknown>; body?: Record<string, unknown> },
): Promise<Sent> {
  const before = k.upstream.requests.length;
  const anthropic = opts.provider === "anthropic";
  const body = opts.body ?? { model: opts.model ?? MODEL, max_tokens: 100, messages: [{ role: "user", content: opts.text ?? QUESTION }], ...opts.extra };
  const res = await fetch(`${k.proxyUrl}/proxy/${anthropic ? "anthropic/v1/messages" : "openai/v1/chat/completions"}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(anthropic ? { "x-api-key": "sk-ant-TESTprovider", "anthropic-version": "2023-06-01" } : { authorization: "Bearer sk-proj-TESTprovider" }),
      "x-spendlens-key": k.key,
      "x-spendlens-session": opts.session,
      ...(opts.feature === undefined ? { "x-spendlens-feature": "support-bot" } : opts.feature ? { "x-spendlens-feature": opts.feature } : {}),
    },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let answer = text;
  try {
    const json = JSON.parse(text) as { choices?: { message: { content: string } }[]; content?: { text: string }[] };
    answer = json.choices?.[0]?.message.content ?? json.content?.[0]?.text ?? text;
  } catch {
    // a stream
  }
  const upstreamCalls = k.upstream.requests.length - before;
  return { status: res.status, cache: res.headers.get("x-spendlens-cache"), routed: res.headers.get("x-spendlens-routed"), answer, upstreamCalls, upstreamBody: upstreamCalls ? k.upstream.requests.at(-1)!.body : null };
}

const tagsOf = (row: { tags: unknown }) => (row.tags ?? {}) as Record<string, string>;

describe("exact-match response cache in the proxy", () => {
  it("answers the second identical request from the cache: no upstream request, header hit, logged at $0 tagged cache_hit", async () => {
    const k = kit();
    const first = await send(k, { session: "first" });
    expect(first).toMatchObject({ status: 200, cache: "miss", upstreamCalls: 1 });
    const second = await send(k, { session: "second" });
    expect(second).toMatchObject({ status: 200, cache: "hit", upstreamCalls: 0, answer: first.answer });

    const [miss] = await loggedCalls(k, "first");
    expect(miss.costUsd).toBeGreaterThan(0);
    expect(tagsOf(miss).cache_hit).toBeUndefined();
    const [hit] = await loggedCalls(k, "second");
    expect(hit).toMatchObject({ source: "proxy", status: 200, feature: "support-bot", model: MODEL, inputTokens: 0, outputTokens: 0, costUsd: 0, outputText: first.answer });
    expect(tagsOf(hit)).toMatchObject({ cache_hit: ruleId });
    expect(k.proxy.handler.stats().cache).toMatchObject({ hits: 1, misses: 1 });
  });

  it("hits for the same request in other case, spacing, trailing punctuation and key order", async () => {
    const k = kit();
    const stored = await send(k, { session: "variants-0" });
    for (const [i, body] of [
      { model: MODEL, max_tokens: 100, messages: [{ role: "user", content: "  where IS my\n\n refund " }] },
      { messages: [{ content: "WHERE is my refund?!", role: "user" }], max_tokens: 100, model: MODEL },
    ].entries()) {
      expect(await send(k, { session: `variants-${i + 1}`, body })).toMatchObject({ cache: "hit", upstreamCalls: 0, answer: stored.answer });
    }
  });

  it("misses for a different text, another feature, another model, other parameters, and never caches calls without a feature", async () => {
    const k = kit();
    await send(k, { session: "scope-0" });
    const other = await send(k, { session: "scope-1", text: "Where is my parcel?" });
    expect(other).toMatchObject({ cache: "miss", upstreamCalls: 1 });
    expect(await send(k, { session: "scope-2", extra: { max_tokens: 50 } })).toMatchObject({ cache: "miss", upstreamCalls: 1 });
    for (const [i, c] of [{ feature: "triage" }, { model: "gpt-4o-mini" }, { feature: "" }].entries()) {
      for (const n of [0, 1]) {
        const sent = await send(k, { session: `scope-none-${i}-${n}`, ...c });
        expect(sent, JSON.stringify(c)).toMatchObject({ cache: null, upstreamCalls: 1 });
      }
    }
    const rows = await loggedCalls(k, "scope-none-0-1");
    expect(Object.keys(tagsOf(rows[0])).filter((t) => t.startsWith("cache"))).toEqual([]);
  });

  it("takes the rule's model in the forms the pricing matcher treats alike, each requested name its own entry", async () => {
    const k = kit();
    expect(await send(k, { session: "alias-0", model: "gpt-4o-2024-08-06" })).toMatchObject({ cache: "miss", upstreamCalls: 1 });
    expect(await send(k, { session: "alias-1", model: "gpt-4o-2024-08-06" })).toMatchObject({ cache: "hit", upstreamCalls: 0 });
  });

  it("never caches streams, n > 1 or calls with tools", async () => {
    const k = kit();
    for (const [i, extra] of [{ stream: true }, { n: 2 }, { tools: [{ type: "function", function: { name: "lookup", parameters: { type: "object" } } }] }].entries()) {
      for (const n of [0, 1]) {
        const sent = await send(k, { session: `never-${i}-${n}`, extra });
        expect(sent, JSON.stringify(extra)).toMatchObject({ status: 200, cache: null, upstreamCalls: 1 });
      }
    }
  });

  it("does not store an upstream error: the next identical request goes upstream again", async () => {
    const k = kit();
    k.upstream.respond((_req, res) => sendJson(res, 500, { error: { message: "boom", type: "server_error" } }));
    const failed = await send(k, { session: "error-0", text: "Cancel my order" });
    expect(failed).toMatchObject({ status: 500, cache: "miss", upstreamCalls: 1 });
    k.upstream.respond(numberedAnswers);
    expect(await send(k, { session: "error-1", text: "Cancel my order" })).toMatchObject({ status: 200, cache: "miss", upstreamCalls: 1 });
    expect(await send(k, { session: "error-2", text: "Cancel my order" })).toMatchObject({ status: 200, cache: "hit", upstreamCalls: 0 });
  });

  it("serves an answer until the rule's TTL has passed, then asks upstream again", async () => {
    const k = kit();
    const rule = (await createCacheRule(actor, { feature: "ttl", model: MODEL })).rule;
    expect(rule.ttlSeconds).toBe(86_400);
    await updateCacheRule(actor, rule.id, { ttlSeconds: 60 });
    const stored = await send(k, { feature: "ttl", session: "ttl-0" });
    expect(stored.cache).toBe("miss");
    clock += 59_000;
    expect(await send(k, { feature: "ttl", session: "ttl-1" })).toMatchObject({ cache: "hit", upstreamCalls: 0, answer: stored.answer });
    clock += 2_000;
    const expired = await send(k, { feature: "ttl", session: "ttl-2" });
    expect(expired).toMatchObject({ cache: "miss", upstreamCalls: 1 });
    expect(expired.answer).not.toBe(stored.answer);
  });

  it("forwards every hit with audit share 1, tagged cache_audit, and stores the audited answer fresh", async () => {
    const k = kit();
    const audit = (await createCacheRule(actor, { feature: "audit-all", model: MODEL, auditShare: 1 })).rule;
    expect(await send(k, { feature: "audit-all", session: "audit-all" })).toMatchObject({ cache: "miss", upstreamCalls: 1 });
    for (let i = 0; i < 3; i++) expect(await send(k, { feature: "audit-all", session: "audit-all" })).toMatchObject({ cache: "audit", upstreamCalls: 1 });
    const rows = await loggedCalls(k, "audit-all", 4);
    expect(rows.map((r) => tagsOf(r).cache_audit ?? null)).toEqual([null, audit.id, audit.id, audit.id]);
    expect(rows.every((r) => (r.costUsd ?? 0) > 0 && tagsOf(r).cache_hit === undefined)).toBe(true);

    // An audit's answer replaces the stored one: a later hit serves it.
    const half = (await createCacheRule(actor, { feature: "audit-half", model: MODEL, auditShare: 0.5 })).rule;
    const first = await send(k, { feature: "audit-half", session: "audit-half" });
    draw = 0.1;
    const audited = await send(k, { feature: "audit-half", session: "audit-half" });
    draw = 0.9;
    const hit = await send(k, { feature: "audit-half", session: "audit-half" });
    draw = 0.5;
    expect([first.cache, audited.cache, hit.cache]).toEqual(["miss", "audit", "hit"]);
    expect(audited.answer).not.toBe(first.answer);
    expect(hit.answer).toBe(audited.answer);
    expect(half.auditShare).toBe(0.5);
  });

  it("drops a rule's answers when it is disabled (same process) and caches nothing while it is off; a deleted rule likewise", async () => {
    const k = kit();
    const rule = (await createCacheRule(actor, { feature: "switch", model: MODEL })).rule;
    await send(k, { feature: "switch", session: "switch-0" });
    expect((await send(k, { feature: "switch", session: "switch-1" })).cache).toBe("hit");
    const entries = k.proxy.handler.stats().cache.entries;

    await updateCacheRule(actor, rule.id, { enabled: false });
    expect(k.proxy.handler.stats().cache.entries).toBe(entries - 1);
    for (const n of [2, 3]) expect(await send(k, { feature: "switch", session: `switch-${n}` })).toMatchObject({ cache: null, upstreamCalls: 1 });

    await updateCacheRule(actor, rule.id, { enabled: true });
    expect(await send(k, { feature: "switch", session: "switch-4" })).toMatchObject({ cache: "miss", upstreamCalls: 1 });
    expect(await send(k, { feature: "switch", session: "switch-5" })).toMatchObject({ cache: "hit", upstreamCalls: 0 });

    await deleteCacheRule(actor, rule.id);
    expect(k.proxy.handler.stats().cache.entries).toBe(entries - 1);
    expect(await send(k, { feature: "switch", session: "switch-6" })).toMatchObject({ cache: null, upstreamCalls: 1 });
  });

  it("caches Anthropic messages the same way (system prompt normalised too), logging hits at $0", async () => {
    const k = kit();
    const rule = (await createCacheRule(actor, { feature: "summaries", model: "claude-3-5-haiku-20241022" })).rule;
    const ask = (session: string, system: string) =>
      send(k, { provider: "anthropic", feature: "summaries", session, body: { model: "claude-3-5-haiku-20241022", max_tokens: 100, system, messages: [{ role: "user", content: [{ type: "text", text: QUESTION }] }] } });
    const first = await ask("anthropic-0", "You are a helpful agent.");
    expect(first.cache).toBe("miss");
    expect(await ask("anthropic-1", "you are a   HELPFUL agent")).toMatchObject({ cache: "hit", upstreamCalls: 0, answer: first.answer });
    expect(await ask("anthropic-2", "You are a terse agent.")).toMatchObject({ cache: "miss", upstreamCalls: 1 });
    const [row] = await loggedCalls(k, "anthropic-1");
    expect(row).toMatchObject({ provider: "anthropic", endpoint: "/v1/messages", costUsd: 0, inputTokens: 0, outputTokens: 0 });
    expect(tagsOf(row)).toMatchObject({ cache_hit: rule.id });
  });

  it("answers from the cache before a model route: a miss is routed, a hit needs no routing", async () => {
    const k = kit();
    await createModelRoute(actor, { feature: "routed", fromModel: MODEL, toModel: "gpt-4o-mini", auditShare: 0 });
    await createCacheRule(actor, { feature: "routed", model: MODEL });
    const miss = await send(k, { feature: "routed", session: "routed-0" });
    expect(miss).toMatchObject({ cache: "miss", routed: "gpt-4o -> gpt-4o-mini", upstreamCalls: 1 });
    expect(miss.upstreamBody?.model).toBe("gpt-4o-mini");
    const hit = await send(k, { feature: "routed", session: "routed-1" });
    expect(hit).toMatchObject({ cache: "hit", routed: null, upstreamCalls: 0, answer: miss.answer });
    const [row] = await loggedCalls(k, "routed-1");
    expect(tagsOf(row).model_route).toBeUndefined();
    expect(row.costUsd).toBe(0);
  });
});

describe("response cache bounds", () => {
  const body = (text: string) => ({ model: MODEL, messages: [{ role: "user", content: text }] });

  it("keys by project, feature, endpoint and model as requested", () => {
    const base = { projectId: "p", feature: "f", api: "openai.chat", model: MODEL };
    const k = cacheKey(base, body("Hi there"));
    expect(cacheKey(base, body(" hi   THERE "))).toBe(k);
    for (const other of [{ projectId: "q" }, { feature: "g" }, { api: "anthropic.messages" }, { model: "gpt-4o-2024-08-06" }]) expect(cacheKey({ ...base, ...other }, body("Hi there"))).not.toBe(k);
  });

  it("keeps at most maxEntries and maxBytes, dropping the least recently used first", async () => {
    const k = kit();
    const rule = (await createCacheRule(actor, { feature: "bounded", model: MODEL })).rule;
    const cache = new ResponseCache({ ttlMs: 60_000, maxEntries: 2, maxBytes: 4_000, random: () => 0.5, now: () => clock, onError: () => {} });
    const ask = (text: string) => cache.decide(k.projectId, "bounded", "openai.chat", false, () => body(text));
    const fill = async (text: string, bytes: number) => {
      const d = await ask(text);
      if (!d || d.hit) throw new Error(`expected a miss for ${text}`);
      d.store(Buffer.alloc(bytes, 0x61), "application/json");
    };
    await fill("a", 10);
    await fill("b", 10);
    expect((await ask("a"))?.hit).toBe(true); // a is now the most recently used
    await fill("c", 10);
    expect([(await ask("a"))?.hit, (await ask("c"))?.hit]).toEqual([true, true]);
    expect((await ask("b"))?.hit).toBe(false);
    expect(cache.stats()).toMatchObject({ entries: 2, evicted: 1 });

    await fill("big", 3_500); // "a" goes for the entry bound, then "c" for the byte bound
    expect(cache.stats()).toMatchObject({ entries: 1, evicted: 3 });
    expect(cache.stats().bytes).toBeLessThanOrEqual(4_000);
    expect([(await ask("c"))?.hit, (await ask("big"))?.hit]).toEqual([false, true]);
    await fill("too-big", 5_000); // larger than the whole cache: not stored
    expect((await ask("too-big"))?.hit).toBe(false);
    expect(rule.enabled).toBe(true);
    cache.close();
  });
});
