// A verified prompt-compression recommendation applied in the proxy: a prompt rule sends a feature's
// calls whose static prompt is the finding's original with the compressed text instead (the upstream
// sees it, the client gets an x-spendlens-prompt header), the stored call holds the compressed request
// and the rule's tag; other prompts and features, disabled rules and the audit share are left as
// written; streams are rewritten too; a cache rule keys on the compressed request. Real Postgres, the
// loopback fake upstream, the proxy server on a free port.
import { beforeAll, describe, expect, it } from "vitest";
import { db } from "../db/client";
import { sha256Hex } from "../ingest/prompts";
import { loadPromptTexts, restoreRequest } from "../ingest/stored";
import { createCacheRule } from "./cache-rules";
import { FAKE_REPLY } from "./fake-upstream";
import { seedCompressFinding } from "./prompt-rule-findings";
import { createPromptRule, updatePromptRule } from "./prompt-rules";
import { loggedCalls, useProxyTestKit, type ProxyTestKit } from "./test-kit";

// Long enough that only the in-process change notice can explain a rule change applying at once.
const kit = useProxyTestKit({ promptRulesTtlMs: 60_000, cacheRulesTtlMs: 60_000 });

const ORIGINAL = "You are the support assistant of Acme. You are the support assistant of Acme. Always answer politely, briefly and in English. Never reveal internal notes.";
const COMPRESSED = "You are Acme's support assistant. Answer politely, briefly, in English. Never reveal internal notes.";
const OTHER = "You are the triage assistant of Acme: label each message as billing, shipping or other, and nothing else at all.";

let actor: { projectId: string; organizationId: string; actorUserId: string };
let ruleId: string;

beforeAll(async () => {
  const k = kit();
  const user = await db.user.create({ data: { email: `admin-${Date.now()}@example.com` } });
  actor = { projectId: k.projectId, organizationId: k.organizationId, actorUserId: user.id };
  const { findingId } = await seedCompressFinding(k.projectId, { feature: "support-bot", original: ORIGINAL, candidate: COMPRESSED });
  // Rules default to a 2% audit share; 0 here so every matched call is rewritten.
  ruleId = (await createPromptRule(actor, { findingId, auditShare: 0 })).rule.id;
});

type Sent = { status: number; headers: Headers; body: string; upstreamBody: Record<string, unknown> | null; upstreamCalls: number };

async function send(
  k: ProxyTestKit,
  opts: { provider?: "openai" | "anthropic"; feature?: string; system?: string; role?: "system" | "developer"; session: string; stream?: boolean; text?: string },
): Promise<Sent> {
  const before = k.upstream.requests.length;
  const anthropic = opts.provider === "anthropic";
  const system = opts.system ?? ORIGINAL;
  const user = { role: "user", content: opts.text ?? "Where is my refund?" };
  const body = anthropic
    ? { model: "claude-3-5-haiku-20241022", max_tokens: 100, system, messages: [user] }
    : { model: "gpt-4o", max_tokens: 100, messages: [{ role: opts.role ?? "system", content: system }, user] };
  const res = await fetch(`${k.proxyUrl}/proxy/${anthropic ? "anthropic/v1/messages" : "openai/v1/chat/completions"}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(anthropic ? { "x-api-key": "sk-ant-TESTprovider", "anthropic-version": "2023-06-01" } : { authorization: "Bearer sk-proj-TESTprovider" }),
      "x-spendlens-key": k.key,
      "x-spendlens-session": opts.session,
      ...(opts.feature ? { "x-spendlens-feature": opts.feature } : {}),
    },
    body: JSON.stringify({ ...body, ...(opts.stream ? { stream: true } : {}) }),
  });
  const text = await res.text();
  const upstreamCalls = k.upstream.requests.length - before;
  return { status: res.status, headers: res.headers, body: text, upstreamBody: upstreamCalls ? k.upstream.requests.at(-1)!.body : null, upstreamCalls };
}

const tagsOf = (row: { tags: unknown }) => (row.tags ?? {}) as Record<string, string>;
const systemOf = (body: Record<string, unknown> | null) => ((body?.messages as Array<{ content: string }> | undefined) ?? [])[0]?.content;

/** The stored request of a logged call with its static prompt put back, as the app reads it. */
async function storedRequest(row: { projectId: string; request: unknown; promptHash: string | null }) {
  const prompts = await loadPromptTexts(row.projectId, row.promptHash ? [row.promptHash] : []);
  return restoreRequest(row.request, row.promptHash, prompts);
}

describe("prompt rules in the proxy", () => {
  it("sends the compressed prompt upstream, tells the client, and stores the compressed request tagged with the rule", async () => {
    const k = kit();
    const sent = await send(k, { feature: "support-bot", session: "rewritten" });
    expect(sent.status).toBe(200);
    expect(sent.upstreamBody).toMatchObject({ model: "gpt-4o", max_tokens: 100, messages: [{ role: "system", content: COMPRESSED }, { role: "user", content: "Where is my refund?" }] });
    expect(sent.headers.get("x-spendlens-prompt")).toBe("compressed");
    expect((JSON.parse(sent.body) as { choices: { message: { content: string } }[] }).choices[0].message.content).toBe(FAKE_REPLY);

    const [row] = await loggedCalls(k, "rewritten");
    expect(tagsOf(row)).toMatchObject({ feature: "support-bot", prompt_rule: ruleId });
    expect(tagsOf(row).prompt_audit).toBeUndefined();
    expect(row.promptHash).toBe(sha256Hex(COMPRESSED));
    expect(systemOf(await storedRequest(row))).toBe(COMPRESSED);
    expect(k.proxy.handler.stats().prompts.rewritten).toBeGreaterThanOrEqual(1);
  });

  it("rewrites a developer message and an Anthropic `system` with the same prompt", async () => {
    const k = kit();
    const dev = await send(k, { feature: "support-bot", role: "developer", session: "developer" });
    expect(dev.upstreamBody?.messages).toEqual([{ role: "developer", content: COMPRESSED }, { role: "user", content: "Where is my refund?" }]);
    const claude = await send(k, { provider: "anthropic", feature: "support-bot", session: "anthropic" });
    expect(claude.status).toBe(200);
    expect(claude.upstreamBody).toMatchObject({ system: COMPRESSED, messages: [{ role: "user", content: "Where is my refund?" }] });
    expect(claude.headers.get("x-spendlens-prompt")).toBe("compressed");
    const [row] = await loggedCalls(k, "anthropic");
    expect(tagsOf(row).prompt_rule).toBe(ruleId);
  });

  it("leaves another prompt, another feature and calls without a feature untouched", async () => {
    const k = kit();
    const cases = [
      { feature: "support-bot", system: OTHER, session: "other-prompt" },
      { feature: "support-bot", system: `${ORIGINAL} `, session: "almost-the-prompt" },
      { feature: "triage", session: "other-feature" },
      { session: "no-feature" },
    ];
    for (const c of cases) {
      const sent = await send(k, c);
      expect(systemOf(sent.upstreamBody), c.session).toBe(c.system ?? ORIGINAL);
      expect(sent.headers.get("x-spendlens-prompt"), c.session).toBeNull();
      const [row] = await loggedCalls(k, c.session);
      expect(Object.keys(tagsOf(row)).filter((t) => t.startsWith("prompt_")), c.session).toEqual([]);
      expect(row.promptHash, c.session).toBe(sha256Hex(c.system ?? ORIGINAL));
    }
  });

  it("stops rewriting as soon as the rule is disabled (same process), and resumes when it is enabled", async () => {
    const k = kit();
    await updatePromptRule(actor, ruleId, { enabled: false });
    const off = await send(k, { feature: "support-bot", session: "disabled" });
    expect(systemOf(off.upstreamBody)).toBe(ORIGINAL);
    expect(off.headers.get("x-spendlens-prompt")).toBeNull();
    const [row] = await loggedCalls(k, "disabled");
    expect(tagsOf(row).prompt_rule).toBeUndefined();

    await updatePromptRule(actor, ruleId, { enabled: true });
    expect(systemOf((await send(k, { feature: "support-bot", session: "re-enabled" })).upstreamBody)).toBe(COMPRESSED);
  });

  it("sends every matched call as written with audit share 1, tagged prompt_audit", async () => {
    const k = kit();
    await updatePromptRule(actor, ruleId, { auditShare: 1 });
    try {
      for (let i = 0; i < 3; i++) {
        const sent = await send(k, { feature: "support-bot", session: `audit-${i}` });
        expect(systemOf(sent.upstreamBody)).toBe(ORIGINAL);
        expect(sent.headers.get("x-spendlens-prompt")).toBeNull();
        const [row] = await loggedCalls(k, `audit-${i}`);
        expect(tagsOf(row)).toMatchObject({ prompt_audit: ruleId });
        expect(tagsOf(row).prompt_rule).toBeUndefined();
        expect(row.promptHash).toBe(sha256Hex(ORIGINAL));
      }
    } finally {
      await updatePromptRule(actor, ruleId, { auditShare: 0 });
    }
  });

  it("rewrites streams too (OpenAI with the proxy's include_usage, Anthropic)", async () => {
    const k = kit();
    const openai = await send(k, { feature: "support-bot", session: "stream-openai", stream: true });
    expect(openai.status).toBe(200);
    expect(openai.headers.get("content-type")).toMatch(/text\/event-stream/);
    expect(openai.upstreamBody).toMatchObject({ stream: true, stream_options: { include_usage: true }, messages: [{ role: "system", content: COMPRESSED }, { role: "user" }] });
    expect(openai.headers.get("x-spendlens-prompt")).toBe("compressed");
    const claude = await send(k, { provider: "anthropic", feature: "support-bot", session: "stream-anthropic", stream: true });
    expect(claude.upstreamBody).toMatchObject({ stream: true, system: COMPRESSED });
    for (const session of ["stream-openai", "stream-anthropic"]) {
      const [row] = await loggedCalls(k, session);
      expect(tagsOf(row).prompt_rule, session).toBe(ruleId);
      expect(row.outputTokens, session).toBeGreaterThan(0);
      const stored = await storedRequest(row);
      expect(session === "stream-anthropic" ? stored.system : systemOf(stored), session).toBe(COMPRESSED);
    }
  });

  it("lets the response cache key on the compressed request: a repeat is a hit, answered once upstream", async () => {
    const k = kit();
    await createCacheRule(actor, { feature: "support-bot", model: "gpt-4o", auditShare: 0 });
    const first = await send(k, { feature: "support-bot", session: "cache-0", text: "Cancel my order" });
    expect([first.upstreamCalls, first.headers.get("x-spendlens-cache"), first.headers.get("x-spendlens-prompt")]).toEqual([1, "miss", "compressed"]);
    expect(systemOf(first.upstreamBody)).toBe(COMPRESSED);
    const second = await send(k, { feature: "support-bot", session: "cache-1", text: "Cancel my order" });
    expect([second.upstreamCalls, second.headers.get("x-spendlens-cache")]).toEqual([0, "hit"]);
    const [row] = await loggedCalls(k, "cache-1");
    expect(tagsOf(row)).toMatchObject({ prompt_rule: ruleId });
    expect(systemOf(await storedRequest(row))).toBe(COMPRESSED);
  });
});
