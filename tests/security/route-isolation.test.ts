// Tenant isolation over EVERY route and page, read from disk (app/api/**/route.ts and their exported
// HTTP methods, app/**/page.tsx): a new route or page is covered the day it is added, or this test fails
// asking for it to be classified. Each is tried against a victim organization as
//   - an anonymous visitor                      -> 401 (pages: redirect to /sign-in)
//   - a member of another organization          -> 404/403 (pages: not found), victim ids in the URL
//   - that member in their OWN org, victim ids  -> 404/403 (ids of another tenant are not found)
//   - a VIEWER of the victim org, for writes    -> 403
//   - a key of another project / a revoked key  (key-authenticated ingest, OTLP, proxy)
// Server actions ("use server" files, also POST endpoints) are called as anonymous and as an outsider.
// Route handlers are called directly with a Request; pages are called with next/headers mocked to carry
// the actor's real session cookie. The victim's data is compared before and after: nothing changes.
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

process.env.NEXTAUTH_SECRET ??= "test-secret-for-route-isolation-0123456789";

// Pages read the session from next/headers; outside Next there is no request scope, so the test supplies
// the headers of the actor it is impersonating.
const actorHeaders = vi.hoisted(() => ({ current: new Headers() }));
vi.mock("next/headers", () => ({
  headers: async () => actorHeaders.current,
  cookies: async () => {
    const jar = new Map<string, string>();
    for (const part of (actorHeaders.current.get("cookie") ?? "").split(";")) {
      const eq = part.indexOf("=");
      if (eq > 0) jar.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
    }
    return { get: (name: string) => (jar.has(name) ? { name, value: jar.get(name)! } : undefined), getAll: () => [...jar].map(([name, value]) => ({ name, value })), has: (n: string) => jar.has(n) };
  },
}));

import { db } from "@/lib/db/client";
import { useTestDatabase } from "@/lib/db/testing";
import { unsubscribeToken } from "@/lib/email/unsubscribe";
import { resetIngestRateLimits } from "@/lib/ingest/rate-limit";
import { openAIChatEvent } from "@/lib/ingest/test-fixtures";
import { startFakeUpstream, type FakeUpstream } from "@/lib/proxy/fake-upstream";
import { startProxyServer, type RunningProxy } from "@/lib/proxy/server";
import { createProjectKey } from "@/lib/orgs/project-keys";
import { APP_DIR, fillPath, listPages, loadApiRoutes, paramsOf, WRITE_METHODS, type AppPage, type AppRoute, type RouteHandler } from "./support/app-routes";
import { buildVictim, person, type Person, type Victim } from "./support/tenants";

useTestDatabase();

const APP = APP_DIR;
const WRITES = WRITE_METHODS;

/** Routes reachable without a session by design, and why. Each still gets the checks written for it below. */
const PUBLIC_ROUTES: Record<string, string> = {
  "auth/[...nextauth]": "next-auth's own endpoints (sign-in form post, sign-out, session, CSRF token) must answer signed-out visitors",
  "sign-up": "creates a new account with its own new organization; it reaches no existing tenant",
  "email/unsubscribe": "authorised by an HMAC-signed token in the emailed link (RFC 8058 one-click), not a session; a forged token is refused",
  "email/verify": "authorised by an HMAC-signed, expiring token mailed to the address; it only marks that user's address verified (a forged token is refused)",
};
/** Routes for any signed-in user, not scoped to one organization. */
const SESSION_ROUTES: Record<string, string> = {
  orgs: "lists and creates the caller's own organizations",
  "invitations/[token]/accept": "the signed-in user joins with a secret invitation token, only if it was sent to their email",
};
/** Authenticated by a project API key; the key alone decides the project. */
const KEY_ROUTE_PREFIX = "v1/";

/** Public pages, and why. */
const PUBLIC_PAGES: Record<string, string> = {
  "sign-in": "the sign-in form",
  "sign-up": "the sign-up form",
  "invite/[token]": "shows an invitation to whoever holds its secret token (checked below with a wrong token)",
};

type Handler = RouteHandler;
type RouteEntry = AppRoute;

let routes: RouteEntry[] = [];
let pages: AppPage[] = [];
let victim: Victim;
let outsider: Person; // owner of an unrelated organization
let before = "";
/** A model route of the victim project (tenants.ts builds none) and its state, compared after the attacks. */
let victimRouteId = "";
let victimRoutes = "";
const modelRoutesOf = (projectId: string) => db.modelRoute.findMany({ where: { projectId }, orderBy: { id: "asc" } }).then((rows) => JSON.stringify(rows));
/** A cache rule of the victim project (tenants.ts builds none) and its state, compared after the attacks. */
let victimRuleId = "";
let victimRules = "";
const cacheRulesOf = (projectId: string) => db.cacheRule.findMany({ where: { projectId }, orderBy: { id: "asc" } }).then((rows) => JSON.stringify(rows));
/** A prompt rule of the victim project (tenants.ts builds none) and its state, compared after the attacks. */
let victimPromptRuleId = "";
let victimPromptRules = "";
const promptRulesOf = (projectId: string) => db.promptRule.findMany({ where: { projectId }, orderBy: { id: "asc" } }).then((rows) => JSON.stringify(rows));
const checks: Array<{ target: string; actor: string; ok: boolean; got: string }> = [];

function record(target: string, actor: string, ok: boolean, got: string) {
  checks.push({ target, actor, ok, got });
}

/**
 * Values for each dynamic segment, taken from `w` (victim or the outsider's own workspace). `route` names
 * the route where one segment name means different rows ([ruleId]: a cache rule or a prompt rule).
 */
function paramValues(names: string[], w: { org: string; project: string }, route = ""): Record<string, string> {
  const values: Record<string, string> = {
    org: w.org,
    project: w.project,
    keyId: victim.keyId,
    memberId: victim.viewerMembershipId,
    invitationId: victim.invitationId,
    eventId: victim.eventId,
    findingId: victim.findingId,
    modelId: victim.distilledModelId,
    routeId: victimRouteId,
    ruleId: route.includes("/prompt-rules/") ? victimPromptRuleId : victimRuleId,
    messageId: victim.emailMessageId,
    token: victim.invitationToken,
  };
  const out: Record<string, string> = {};
  for (const n of names) {
    if (!(n in values)) throw new Error(`route parameter [${n}] is new: give it a victim value in paramValues() so the route is tested`);
    out[n] = values[n];
  }
  return out;
}

/**
 * Valid bodies for writes that name a row by id: with them, a request from another tenant gets past input
 * validation to the id lookup, which must not find the victim's row (a 400 would prove nothing).
 */
const VALID_BODIES: Record<string, unknown> = {
  "PATCH orgs/[org]/members/[memberId]": { role: "ADMIN" },
  "PATCH orgs/[org]/projects/[project]/distilled/[modelId]": { enabled: true },
  "PATCH orgs/[org]/projects/[project]/findings/[findingId]": { action: "dismiss", reason: "not for us" },
  "PATCH orgs/[org]/projects/[project]/model-routes/[routeId]": { enabled: false },
  "PATCH orgs/[org]/projects/[project]/cache-rules/[ruleId]": { enabled: false },
  "PATCH orgs/[org]/projects/[project]/prompt-rules/[ruleId]": { enabled: false },
};

async function callRoute(entry: RouteEntry, method: string, handler: Handler, params: Record<string, string>, cookie?: string): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = { host: "localhost:3000", "content-type": "application/json" };
  if (cookie) headers.cookie = cookie;
  const urlPath = fillPath(entry.name, params);
  const body = JSON.stringify(VALID_BODIES[`${method} ${entry.name}`] ?? {});
  const req = new Request(`http://localhost:3000/api/${urlPath}`, { method, headers, body: method === "GET" || method === "HEAD" ? undefined : body });
  const res = await handler(req, { params: Promise.resolve(params) });
  return { status: res.status, text: method === "HEAD" ? "" : await res.text() };
}

const leaksVictim = (text: string) =>
  [victim.org.name, victim.project.name, "Bob's secret saving", "Bob's secret weekly report", victim.eventId].some((secret) => text.includes(secret));

beforeAll(async () => {
  routes = await loadApiRoutes();
  pages = listPages();
  victim = await buildVictim();
  victimRouteId = (await db.modelRoute.create({ data: { projectId: victim.project.id, feature: "support", fromModel: "gpt-4o", toModel: "gpt-4o-mini" } })).id;
  victimRoutes = await modelRoutesOf(victim.project.id);
  victimRuleId = (await db.cacheRule.create({ data: { projectId: victim.project.id, feature: "support", model: "gpt-4o" } })).id;
  victimRules = await cacheRulesOf(victim.project.id);
  victimPromptRuleId = (await db.promptRule.create({ data: { projectId: victim.project.id, feature: "support", promptHash: "0".repeat(64), replacement: "Be brief." } })).id;
  victimPromptRules = await promptRulesOf(victim.project.id);
  outsider = await person("Mallory");
  before = await victim.snapshot();
}, 120_000);

afterAll(() => {
  const leaks = checks.filter((c) => !c.ok);
  console.log(
    `[isolation] ${routes.length} API routes (${routes.reduce((n, r) => n + r.methods.length, 0)} handlers) and ${pages.length} pages read from disk; ` +
      `${checks.length} (route, actor) pairs checked; ${leaks.length} leak(s)` +
      (leaks.length ? `:\n${leaks.map((l) => `  ${l.target} as ${l.actor} -> ${l.got}`).join("\n")}` : ""),
  );
});

describe("every API route refuses those who must not reach the victim", () => {
  it("finds the routes on disk and classifies every one", () => {
    expect(routes.length).toBeGreaterThan(20);
    for (const r of routes) {
      expect(r.methods.length, `${r.name} exports no HTTP method`).toBeGreaterThan(0);
      const classified = r.name in PUBLIC_ROUTES || r.name in SESSION_ROUTES || r.name.startsWith(KEY_ROUTE_PREFIX) || paramsOf(r.name)[0] === "org";
      expect(classified, `app/api/${r.name}: not under /orgs/[org] and not listed as public, session or key route — classify it`).toBe(true);
    }
  });

  it("org-scoped routes: anonymous 401, outsider 404, outsider's own org with victim ids 404, viewer writes 403; the owner's reads work", async () => {
    const own = { org: outsider.organization.slug, project: outsider.project.slug };
    const target = { org: victim.org.slug, project: victim.project.slug };
    for (const r of routes.filter((x) => paramsOf(x.name)[0] === "org")) {
      const names = paramsOf(r.name);
      for (const { method, handler } of r.methods) {
        const label = `${method} /api/${r.name}`;
        const victimParams = paramValues(names, target, r.name);

        const anon = await callRoute(r, method, handler, victimParams);
        record(label, "anonymous", anon.status === 401, `${anon.status}`);

        const foreign = await callRoute(r, method, handler, victimParams, outsider.cookie);
        record(label, "member of another org", [403, 404].includes(foreign.status) && !leaksVictim(foreign.text), `${foreign.status} ${foreign.text.slice(0, 80)}`);

        // Ids of the victim's rows under the outsider's own organization/project.
        if (names.some((n) => n !== "org" && n !== "project")) {
          const idor = await callRoute(r, method, handler, paramValues(names, own, r.name), outsider.cookie);
          // A 400 here means validation ran first: add a valid body to VALID_BODIES so the lookup is tested.
          record(label, "own org + victim's ids", [403, 404].includes(idor.status) && !leaksVictim(idor.text), `${idor.status} ${idor.text.slice(0, 80)}`);
        }

        if (WRITES.has(method)) {
          const viewer = await callRoute(r, method, handler, victimParams, victim.viewer.cookie);
          record(label, "VIEWER of the victim org", viewer.status === 403, `${viewer.status} ${viewer.text.slice(0, 80)}`);
        } else if (method === "GET") {
          // Not a refusal: proves the parameters above were right (a wrong id would 404 for everyone).
          const owner = await callRoute(r, method, handler, victimParams, victim.owner.cookie);
          expect(owner.status, `${label} as the victim's owner: ${owner.text.slice(0, 200)}`).toBe(200);
        }
      }
    }
    expect(await victim.snapshot()).toBe(before);
    expect(await modelRoutesOf(victim.project.id)).toBe(victimRoutes);
    expect(await cacheRulesOf(victim.project.id)).toBe(victimRules);
    expect(await promptRulesOf(victim.project.id)).toBe(victimPromptRules);
  }, 120_000);

  it("session routes: anonymous 401; another user cannot accept the victim's invitation or list its organization", async () => {
    for (const r of routes.filter((x) => x.name in SESSION_ROUTES)) {
      for (const { method, handler } of r.methods) {
        const anon = await callRoute(r, method, handler, paramValues(paramsOf(r.name), { org: "", project: "" }));
        record(`${method} /api/${r.name}`, "anonymous", anon.status === 401, `${anon.status}`);
      }
    }
    const orgs = routes.find((r) => r.name === "orgs")!;
    const listed = await callRoute(orgs, "GET", orgs.methods.find((m) => m.method === "GET")!.handler, {}, outsider.cookie);
    record("GET /api/orgs", "member of another org", listed.status === 200 && !leaksVictim(listed.text) && !listed.text.includes(victim.org.slug), listed.text.slice(0, 80));

    const accept = routes.find((r) => r.name === "invitations/[token]/accept")!;
    const post = accept.methods.find((m) => m.method === "POST")!.handler;
    const wrongPerson = await callRoute(accept, "POST", post, { token: victim.invitationToken }, outsider.cookie);
    record("POST /api/invitations/[token]/accept", "user the invitation was not sent to", wrongPerson.status === 403, `${wrongPerson.status}`);
    const guessed = await callRoute(accept, "POST", post, { token: victim.invitationToken.slice(0, -2) + "xx" }, outsider.cookie);
    record("POST /api/invitations/[token]/accept", "guessed token", guessed.status === 404, `${guessed.status}`);
    expect(await victim.snapshot()).toBe(before);
  });

  it("public routes: a forged unsubscribe token is refused; sign-up never joins an existing organization", async () => {
    const unsub = routes.find((r) => r.name === "email/unsubscribe")!;
    const realForVictim = unsubscribeToken({ membershipId: victim.ownerMembershipId, list: "weekly" });
    const [payload] = realForVictim.split(".");
    const forgedPayload = Buffer.from(JSON.stringify([victim.viewerMembershipId, "weekly"])).toString("base64url");
    for (const token of [`${payload}.AAAA`, `${forgedPayload}.${realForVictim.split(".")[1]}`, "", "x.y.z"]) {
      for (const { method, handler } of unsub.methods) {
        const req = new Request(`http://localhost:3000/api/email/unsubscribe?token=${encodeURIComponent(token)}`, { method });
        const res = await handler(req, { params: Promise.resolve({}) });
        record(`${method} /api/email/unsubscribe`, "forged token", res.status === 400, `${res.status}`);
      }
    }
    const signUpRoute = routes.find((r) => r.name === "sign-up")!;
    const res = await signUpRoute.methods[0].handler(
      new Request("http://localhost:3000/api/sign-up", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "Eve", email: "eve@example.com", password: "eve-long-password", organizationId: victim.org.id, org: victim.org.slug }) }),
      { params: Promise.resolve({}) },
    );
    expect(res.status).toBe(201);
    const eve = await db.user.findUniqueOrThrow({ where: { email: "eve@example.com" }, include: { memberships: true } });
    record("POST /api/sign-up", "sign-up naming the victim org", eve.memberships.every((m) => m.organizationId !== victim.org.id), `${eve.memberships.length} membership(s)`);
    expect(await victim.snapshot()).toBe(before);
    for (const name of Object.keys(PUBLIC_ROUTES)) expect(routes.some((r) => r.name === name), `public route ${name} no longer exists: update the list`).toBe(true);
  });

  it("key routes (ingest, OTLP): no key 401, malformed 401, revoked 403; another project's key never writes into the victim", async () => {
    process.env.INGEST_RATE_LIMIT_EVENTS_PER_SEC = "1000000";
    resetIngestRateLimits();
    const outsiderKey = (await createProjectKey({ project: { id: outsider.project.id, organizationId: outsider.organization.id }, name: "mallory", actorUserId: outsider.user.id })).key;
    const callsBefore = await db.call.count({ where: { projectId: victim.project.id } });
    for (const r of routes.filter((x) => x.name.startsWith(KEY_ROUTE_PREFIX))) {
      const isOtlp = r.name.includes("otel");
      const body = isOtlp
        ? JSON.stringify({ resourceSpans: [] })
        : JSON.stringify({ events: [{ ...openAIChatEvent({ id: `cross-${r.name}` }), projectId: victim.project.id, organizationId: victim.org.id }], projectId: victim.project.id });
      for (const { method, handler } of r.methods) {
        const label = `${method} /api/${r.name}`;
        const send = (authorization?: string) =>
          handler(
            new Request(`http://localhost:3000/api/${r.name}`, {
              method,
              headers: { "content-type": "application/json", "x-spendlens-project": victim.project.id, ...(authorization ? { authorization } : {}) },
              body,
            }),
            { params: Promise.resolve({}) },
          );
        record(label, "anonymous (no key)", (await send()).status === 401, "");
        record(label, "malformed key", (await send(`Bearer sl_${"x".repeat(20)}`)).status === 401, "");
        record(label, "victim's revoked key", (await send(`Bearer ${victim.revokedKey}`)).status === 403, "");
        record(label, "forged key with the victim's prefix", (await send(`Bearer ${victim.key.slice(0, 16)}${"A".repeat(victim.key.length - 16)}`)).status === 401, "");
        const cross = await send(`Bearer ${outsiderKey}`);
        record(label, "another project's key", cross.status === 200 && (await db.call.count({ where: { projectId: victim.project.id } })) === callsBefore, `${cross.status}`);
      }
    }
    // The outsider's event went to the outsider's project.
    expect(await db.call.count({ where: { projectId: outsider.project.id, eventId: "cross-v1/ingest" } })).toBe(1);
    expect(await victim.snapshot()).toBe(before);
  });
});

describe("the proxy refuses calls without a valid key and logs a key's calls only to its own project", () => {
  let upstream: FakeUpstream;
  let proxy: RunningProxy;
  beforeAll(async () => {
    upstream = await startFakeUpstream();
    proxy = await startProxyServer({ port: 0, host: "127.0.0.1", allowlist: upstream.url, logRetryDelaysMs: [20] });
    await db.project.update({ where: { id: victim.project.id }, data: { openaiUpstream: upstream.url } });
    await db.project.update({ where: { id: outsider.project.id }, data: { openaiUpstream: upstream.url } });
    before = await victim.snapshot();
  });
  afterAll(async () => {
    await proxy?.close(1_000);
    await upstream?.close();
  });

  it("no key / malformed / revoked 401; another project's key (header or URL) logs into that project only", async () => {
    const outsiderKey = (await createProjectKey({ project: { id: outsider.project.id, organizationId: outsider.organization.id }, name: "mallory proxy", actorUserId: outsider.user.id })).key;
    const base = `http://127.0.0.1:${proxy.port}`;
    const body = JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hello" }] });
    const post = (url: string, headers: Record<string, string> = {}) =>
      fetch(url, { method: "POST", headers: { "content-type": "application/json", authorization: "Bearer sk-provider-key-not-ours-0000000000", ...headers }, body });
    const cases: Array<[string, Promise<Response>, number]> = [
      ["anonymous (no key)", post(`${base}/proxy/openai/v1/chat/completions`), 401],
      ["malformed key", post(`${base}/proxy/openai/v1/chat/completions`, { "x-spendlens-key": "sl_nope" }), 401],
      ["victim's revoked key", post(`${base}/proxy/openai/v1/chat/completions`, { "x-spendlens-key": victim.revokedKey }), 401],
      ["victim's revoked key in the URL", post(`${base}/proxy/k/${victim.revokedKey}/openai/v1/chat/completions`), 401],
    ];
    for (const [actor, res, status] of cases) {
      const r = await res;
      await r.arrayBuffer();
      record("POST /proxy/openai/v1/chat/completions", actor, r.status === status, `${r.status}`);
    }
    const callsBefore = await db.call.count({ where: { projectId: victim.project.id } });
    // The outsider's key in the header wins over the victim's key smuggled into the URL.
    for (const url of [`${base}/proxy/openai/v1/chat/completions`, `${base}/proxy/k/${victim.key}/openai/v1/chat/completions`]) {
      const r = await post(url, { "x-spendlens-key": outsiderKey, "x-spendlens-session": "cross-proxy" });
      await r.arrayBuffer();
      expect(r.status).toBe(200);
    }
    await proxy.handler.flushLogs();
    record(
      "POST /proxy/openai/v1/chat/completions",
      "another project's key",
      (await db.call.count({ where: { projectId: victim.project.id } })) === callsBefore && (await db.call.count({ where: { projectId: outsider.project.id, session: "cross-proxy" } })) === 2,
      "",
    );
    expect(await victim.snapshot()).toBe(before);
  });
});

/** Files whose first statement is "use server": every export is a POST endpoint Next exposes. */
function serverActionFiles(): string[] {
  const roots = ["app", "components", "lib"].map((d) => path.resolve(process.cwd(), d));
  const out: string[] = [];
  const visit = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) {
        if (name !== "node_modules" && name !== "generated") visit(full);
      } else if (/\.(ts|tsx)$/.test(name) && !/\.test\.tsx?$/.test(name)) {
        const head = readFileSync(full, "utf8").trimStart().slice(0, 20);
        if (/^["']use server["']/.test(head)) out.push(full);
      }
    }
  };
  roots.forEach(visit);
  return out.sort();
}

describe("every server action refuses anonymous callers and cannot touch another tenant", () => {
  it("throws for anonymous callers; called by an outsider with the victim's ids it changes nothing", async () => {
    const files = serverActionFiles();
    for (const file of files) {
      const mod = (await import(file)) as Record<string, unknown>;
      for (const [name, fn] of Object.entries(mod)) {
        if (typeof fn !== "function") continue;
        const label = `action ${path.relative(process.cwd(), file)}#${name}`;
        // Every id of the victim under the names a form would use.
        const form = new FormData();
        for (const [k, v] of Object.entries({
          membershipId: victim.ownerMembershipId,
          memberId: victim.viewerMembershipId,
          organizationId: victim.org.id,
          org: victim.org.slug,
          projectId: victim.project.id,
          project: victim.project.slug,
          keyId: victim.keyId,
          invitationId: victim.invitationId,
          findingId: victim.findingId,
          modelId: victim.distilledModelId,
          id: victim.ownerMembershipId,
          name: "Hijacked",
        }))
          form.set(k, v);
        for (const [actor, cookie] of [
          ["anonymous", null],
          ["member of another org", outsider.cookie],
        ] as const) {
          actorHeaders.current = new Headers({ host: "localhost:3000", ...(cookie ? { cookie } : {}) });
          let threw: unknown = null;
          try {
            await (fn as (f: FormData) => Promise<unknown>)(form);
          } catch (err) {
            threw = err;
          }
          const unchanged = (await victim.snapshot()) === before;
          const refused = actor === "anonymous" ? threw !== null && (threw as Error).name === "UnauthenticatedError" : true;
          record(label, actor, unchanged && refused, threw ? `threw ${(threw as Error).name}` : "returned");
        }
      }
    }
    expect(files.length).toBeGreaterThan(0);
  });
});

type Outcome = { kind: "redirect"; to: string } | { kind: "notFound" } | { kind: "forbidden" } | { kind: "rendered"; text: string } | { kind: "error"; message: string };

function outcomeOf(err: unknown): Outcome {
  const digest = (err as { digest?: unknown } | null)?.digest;
  if (typeof digest === "string") {
    if (digest.startsWith("NEXT_REDIRECT;")) return { kind: "redirect", to: digest.split(";")[2] };
    if (digest === "NEXT_HTTP_ERROR_FALLBACK;404") return { kind: "notFound" };
    if (digest === "NEXT_HTTP_ERROR_FALLBACK;403" || digest === "NEXT_HTTP_ERROR_FALLBACK;401") return { kind: "forbidden" };
  }
  return { kind: "error", message: (err as Error)?.message ?? String(err) };
}

/** Every string in a rendered element tree (props included), for "does it show the victim's data". */
function textOf(node: unknown, seen = new WeakSet<object>()): string {
  if (typeof node === "string" || typeof node === "number") return String(node);
  if (!node || typeof node !== "object" || seen.has(node)) return "";
  seen.add(node);
  const parts: string[] = [];
  for (const value of Object.values(node as Record<string, unknown>)) parts.push(textOf(value, seen));
  return parts.filter(Boolean).join(" ");
}

async function render(file: string, params: Record<string, string>, cookie: string | null, extra: Record<string, unknown> = {}): Promise<Outcome> {
  actorHeaders.current = new Headers({ host: "localhost:3000", ...(cookie ? { cookie } : {}) });
  const mod = (await import(file)) as { default: (props: Record<string, unknown>) => Promise<unknown> };
  try {
    const element = await mod.default({ params: Promise.resolve(params), searchParams: Promise.resolve({}), children: null, ...extra });
    return { kind: "rendered", text: textOf(element) };
  } catch (err) {
    return outcomeOf(err);
  }
}

/** The layout.tsx files that wrap a page, outermost first. */
function layoutsOf(pageFile: string): string[] {
  const out: string[] = [];
  let dir = path.dirname(pageFile);
  while (dir.startsWith(APP)) {
    const candidate = path.join(dir, "layout.tsx");
    try {
      if (statSync(candidate).isFile()) out.unshift(candidate);
    } catch {
      // no layout at this level
    }
    if (dir === APP) break;
    dir = path.dirname(dir);
  }
  return out;
}

describe("every page refuses anonymous visitors and members of other organizations", () => {
  it("finds the pages on disk: guarded ones redirect to sign-in / answer not found; public ones are listed", async () => {
    process.env.__NEXT_EXPERIMENTAL_AUTH_INTERRUPTS = "true";
    expect(pages.length).toBeGreaterThan(5);
    for (const page of pages) {
      if (page.name in PUBLIC_PAGES) continue;
      const names = paramsOf(page.name);
      const params = paramValues(names, { org: victim.org.slug, project: victim.project.slug });
      const label = `page /${page.name || ""}`;
      const layouts = layoutsOf(page.file);
      /** A redirect elsewhere is refused only when a layout around the page refuses the same actor. */
      const layoutRefuses = async (cookie: string | null) => {
        for (const layout of layouts) {
          const o = await render(layout, params, cookie);
          if (o.kind === "notFound" || o.kind === "forbidden" || (o.kind === "redirect" && o.to.startsWith("/sign-in"))) return true;
        }
        return false;
      };

      const anon = await render(page.file, params, null);
      const anonOk = anon.kind === "redirect" && (anon.to.startsWith("/sign-in") || (await layoutRefuses(null)));
      record(label, "anonymous", anonOk, JSON.stringify(anon).slice(0, 120));

      const foreign = await render(page.file, params, outsider.cookie);
      const foreignOk =
        foreign.kind === "notFound" ||
        foreign.kind === "forbidden" ||
        // "/" sends a signed-in user to their own first project: never the victim's.
        (foreign.kind === "redirect" && !foreign.to.includes(victim.org.slug)) ||
        (foreign.kind === "redirect" && (await layoutRefuses(outsider.cookie))) ||
        // A page of the signed-in user's own (no organization in its path) may render: without the victim's data.
        (foreign.kind === "rendered" && !names.includes("org") && !leaksVictim(foreign.text));
      record(label, "member of another org", foreignOk && !(foreign.kind === "rendered" && leaksVictim(foreign.text)), JSON.stringify(foreign).slice(0, 120));

      // Not a refusal: the victim's own owner gets the page (so the parameters above were right).
      const owner = await render(page.file, params, victim.owner.cookie);
      expect(owner.kind === "rendered" || owner.kind === "redirect", `${label} as the victim's owner: ${JSON.stringify(owner).slice(0, 300)}`).toBe(true);
    }
    for (const name of Object.keys(PUBLIC_PAGES)) expect(pages.some((p) => p.name === name), `public page ${name} no longer exists: update the list`).toBe(true);
    // The public invitation page shows nothing of the victim to someone without the token.
    const invite = pages.find((p) => p.name === "invite/[token]")!;
    const guessed = await render(invite.file, { token: `${victim.invitationToken.slice(0, -3)}abc` }, outsider.cookie);
    record("page /invite/[token]", "guessed token", guessed.kind === "rendered" && !leaksVictim(guessed.text) && guessed.text.includes("Invitation unavailable"), guessed.kind);
    expect(await victim.snapshot()).toBe(before);
  }, 120_000);

  it("no (route, actor) pair leaked", () => {
    expect(checks.length).toBeGreaterThan(100);
    expect(checks.filter((c) => !c.ok)).toEqual([]);
  });
});
