// A right-size recommendation applied in the proxy: a model route sends a feature's calls of one model
// to a cheaper one (the upstream sees only `model` changed), the client gets the upstream's answer with
// an x-spendlens-routed header, and the stored call is the cheaper model's, priced at its price and
// tagged with the route. Real Postgres, the loopback fake upstream, the proxy server on a free port.
import { beforeAll, describe, expect, it } from "vitest";
import { db } from "../db/client";
import { priceCall } from "../pricing/cost";
import { FAKE_REPLY, FAKE_USAGE } from "./fake-upstream";
import { createModelRoute, deleteModelRoute, updateModelRoute } from "./model-routes";
import { loggedCalls, useProxyTestKit, type ProxyTestKit } from "./test-kit";

// Long enough that only the in-process change notice can explain a route change applying at once.
const kit = useProxyTestKit({ modelRoutesTtlMs: 60_000 });

const FROM = "gpt-4o";
const TO = "gpt-4o-mini";
let actor: { projectId: string; organizationId: string; actorUserId: string };
let routeId: string;

beforeAll(async () => {
  const k = kit();
  const user = await db.user.create({ data: { email: `admin-${Date.now()}@example.com` } });
  actor = { projectId: k.projectId, organizationId: k.organizationId, actorUserId: user.id };
  // Routes default to a 2% audit share; 0 here so every matched call is routed.
  routeId = (await createModelRoute(actor, { feature: "support-bot", fromModel: FROM, toModel: TO, auditShare: 0 })).route.id;
});

type Sent = { status: number; headers: Headers; body: string; upstreamBody: Record<string, unknown> | null };

async function send(k: ProxyTestKit, opts: { provider?: "openai" | "anthropic"; feature?: string; model: string; session: string; stream?: boolean }): Promise<Sent> {
  const before = k.upstream.requests.length;
  const anthropic = opts.provider === "anthropic";
  const res = await fetch(`${k.proxyUrl}/proxy/${anthropic ? "anthropic/v1/messages" : "openai/v1/chat/completions"}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(anthropic ? { "x-api-key": "sk-ant-TESTprovider", "anthropic-version": "2023-06-01" } : { authorization: "Bearer sk-proj-TESTprovider" }),
      "x-spendlens-key": k.key,
      "x-spendlens-session": opts.session,
      ...(opts.feature ? { "x-spendlens-feature": opts.feature } : {}),
    },
    body: JSON.stringify({ model: opts.model, max_tokens: 100, messages: [{ role: "user", content: "Where is my refund?" }], ...(opts.stream ? { stream: true } : {}) }),
  });
  const body = await res.text();
  expect(k.upstream.requests.length).toBe(before + 1);
  return { status: res.status, headers: res.headers, body, upstreamBody: k.upstream.requests.at(-1)!.body };
}

const tagsOf = (row: { tags: unknown }) => (row.tags ?? {}) as Record<string, string>;
const usage = { inputTokens: FAKE_USAGE.prompt_tokens, outputTokens: FAKE_USAGE.completion_tokens, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };
const priceOf = (model: string, provider = "openai") => priceCall(usage, { provider, model })!.costUsd;

describe("model routes in the proxy", () => {
  it("sends a routed call to toModel, tells the client, and logs it as a toModel call at toModel's price", async () => {
    const k = kit();
    const sent = await send(k, { feature: "support-bot", model: FROM, session: "routed" });
    expect(sent.status).toBe(200);
    expect(sent.upstreamBody).toMatchObject({ model: TO, messages: [{ role: "user", content: "Where is my refund?" }], max_tokens: 100 });
    expect(sent.headers.get("x-spendlens-routed")).toBe(`${FROM} -> ${TO}`);
    // The upstream's answer, unchanged: it names the model that answered.
    const answer = JSON.parse(sent.body) as { model: string; choices: { message: { content: string } }[] };
    expect(answer.model).toBe(TO);
    expect(answer.choices[0].message.content).toBe(FAKE_REPLY);

    const [row] = await loggedCalls(k, "routed");
    expect(row).toMatchObject({ model: TO, feature: "support-bot", status: 200, inputTokens: 21, outputTokens: 12 });
    expect(tagsOf(row)).toMatchObject({ routed_from: FROM, model_route: routeId });
    expect(tagsOf(row).route_audit).toBeUndefined();
    expect(row.costUsd).toBeCloseTo(priceOf(TO), 12);
    expect(priceOf(TO)).toBeLessThan(priceOf(FROM) / 5); // the price is really the cheaper model's
    expect((row.request as { model?: string }).model).toBe(TO);
    expect(k.proxy.handler.stats().routes.routed).toBeGreaterThanOrEqual(1);
  });

  it("matches the route's model in the forms the pricing matcher treats alike (a dated snapshot, a provider prefix)", async () => {
    const k = kit();
    for (const [i, model] of ["gpt-4o-2024-08-06", "openai/gpt-4o"].entries()) {
      const sent = await send(k, { feature: "support-bot", model, session: `alias-${i}` });
      expect(sent.upstreamBody?.model).toBe(TO);
      expect(sent.headers.get("x-spendlens-routed")).toBe(`${FROM} -> ${TO}`);
    }
  });

  it("leaves calls of another feature, another model and without a feature untouched", async () => {
    const k = kit();
    const cases = [
      { feature: "triage", model: FROM, session: "other-feature" },
      { feature: "support-bot", model: "gpt-4o-mini", session: "other-model-mini" },
      { feature: "support-bot", model: "gpt-4.1", session: "other-model" },
      { model: FROM, session: "no-feature" },
    ];
    for (const c of cases) {
      const sent = await send(k, c);
      expect(sent.upstreamBody?.model, c.session).toBe(c.model);
      expect(sent.headers.get("x-spendlens-routed"), c.session).toBeNull();
      const [row] = await loggedCalls(k, c.session);
      expect(row.model, c.session).toBe(c.model);
      expect(Object.keys(tagsOf(row)).filter((t) => /route/.test(t)), c.session).toEqual([]);
    }
  });

  it("stops routing as soon as the route is disabled (same process), and resumes when it is enabled", async () => {
    const k = kit();
    await updateModelRoute(actor, routeId, { enabled: false });
    const off = await send(k, { feature: "support-bot", model: FROM, session: "disabled" });
    expect(off.upstreamBody?.model).toBe(FROM);
    expect(off.headers.get("x-spendlens-routed")).toBeNull();
    const [row] = await loggedCalls(k, "disabled");
    expect(row.model).toBe(FROM);
    expect(tagsOf(row).model_route).toBeUndefined();
    expect(row.costUsd).toBeCloseTo(priceOf(FROM), 12);

    await updateModelRoute(actor, routeId, { enabled: true });
    expect((await send(k, { feature: "support-bot", model: FROM, session: "re-enabled" })).upstreamBody?.model).toBe(TO);
  });

  it("keeps every matched call on the original model with audit share 1, tagged route_audit", async () => {
    const k = kit();
    const audit = (await createModelRoute(actor, { feature: "audit-all", fromModel: FROM, toModel: TO, auditShare: 1 })).route;
    for (let i = 0; i < 5; i++) {
      const sent = await send(k, { feature: "audit-all", model: FROM, session: "audit-all" });
      expect(sent.upstreamBody?.model).toBe(FROM);
      expect(sent.headers.get("x-spendlens-routed")).toBeNull();
    }
    const rows = await loggedCalls(k, "audit-all", 5);
    expect(rows).toHaveLength(5);
    for (const row of rows) {
      expect(row.model).toBe(FROM);
      expect(tagsOf(row)).toMatchObject({ route_audit: audit.id });
      expect(tagsOf(row).routed_from).toBeUndefined();
    }
  });

  it("routes every matched call with audit share 0", async () => {
    const k = kit();
    for (let i = 0; i < 5; i++) expect((await send(k, { feature: "support-bot", model: FROM, session: "audit-none" })).upstreamBody?.model).toBe(TO);
    const rows = await loggedCalls(k, "audit-none", 5);
    expect(rows.map((r) => [r.model, tagsOf(r).model_route])).toEqual(Array(5).fill([TO, routeId]));
  });

  it("routes a streaming call: only the model changes upstream, the usage the proxy asks for stays hidden", async () => {
    const k = kit();
    const sent = await send(k, { feature: "support-bot", model: FROM, session: "stream", stream: true });
    expect(sent.upstreamBody).toMatchObject({ model: TO, stream: true, stream_options: { include_usage: true } });
    expect(sent.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(sent.headers.get("x-spendlens-routed")).toBe(`${FROM} -> ${TO}`);
    const chunks = sent.body.split("\n\n").filter((e) => e.startsWith("data: {")).map((e) => JSON.parse(e.slice(6)) as { model: string; choices: unknown[] });
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks.every((c) => c.model === TO && c.choices.length === 1)).toBe(true); // no usage chunk: the client did not ask
    const [row] = await loggedCalls(k, "stream");
    expect(row).toMatchObject({ model: TO, inputTokens: 21, outputTokens: 12, outputText: FAKE_REPLY, tokensEstimated: false });
    expect(tagsOf(row)).toMatchObject({ routed_from: FROM, model_route: routeId });
    expect(row.costUsd).toBeCloseTo(priceOf(TO), 12);
  });

  it("routes Anthropic messages the same way, and a deleted route routes nothing", async () => {
    const k = kit();
    const route = (await createModelRoute(actor, { feature: "summaries", fromModel: "claude-sonnet-4-20250514", toModel: "claude-3-5-haiku-20241022", auditShare: 0 })).route;
    // The client asks for the undated alias: the same model by the pricing matcher.
    const sent = await send(k, { provider: "anthropic", feature: "summaries", model: "claude-sonnet-4-0", session: "anthropic" });
    expect(sent.upstreamBody?.model).toBe("claude-3-5-haiku-20241022");
    expect(sent.headers.get("x-spendlens-routed")).toBe("claude-sonnet-4-20250514 -> claude-3-5-haiku-20241022");
    const [row] = await loggedCalls(k, "anthropic");
    expect(row).toMatchObject({ provider: "anthropic", model: "claude-3-5-haiku-20241022" });
    expect(tagsOf(row)).toMatchObject({ routed_from: "claude-sonnet-4-20250514", model_route: route.id });

    await deleteModelRoute(actor, route.id);
    expect((await send(k, { provider: "anthropic", feature: "summaries", model: "claude-sonnet-4-0", session: "anthropic-deleted" })).upstreamBody?.model).toBe("claude-sonnet-4-0");
  });
});
