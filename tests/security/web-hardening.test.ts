// Web hardening, each part against the real code path:
//   - security headers: next.config.js, matched with Next's own path matcher against every route and page;
//   - CSRF: every cookie-authenticated write (read from disk) refuses a cross-site Origin / Sec-Fetch-Site;
//     next-auth's form posts need its double-submit token;
//   - cookies: Secure + __Secure-/__Host- names when NEXTAUTH_URL is https, HttpOnly + SameSite=Lax always
//     (next-auth's own handler, AuthHandler, with this app's options);
//   - rate limits: ingest token bucket per key (429 + Retry-After), password sign-in per address;
//   - account lockout after repeated failed passwords;
//   - audit log rows for membership, key and settings changes, with no secret in them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";

process.env.NEXTAUTH_SECRET ??= "test-secret-for-web-hardening-0123456789";

import { createRequire } from "node:module";
import path from "node:path";
import { getPathMatch } from "next/dist/shared/lib/router/utils/path-match";
// @ts-expect-error next.config.js is plain ESM JavaScript without type declarations
import nextConfigModule from "../../next.config.js";
import { buildAuthOptions } from "@/lib/auth/options";
import { LOCKOUT } from "@/lib/auth/password-sign-in";
import { sessionCookieName } from "@/lib/auth/session";
import { resetSignInRateLimits, signInClientAddress } from "@/lib/auth/sign-in-rate-limit";
import { db } from "@/lib/db/client";
import { useTestDatabase } from "@/lib/db/testing";
import { handleIngestRequest } from "@/lib/ingest/http";
import { handleOtlpRequest } from "@/lib/ingest/otlp/http";
import { resetIngestRateLimits } from "@/lib/ingest/rate-limit";
import { createProjectWithKey, openAIChatEvent } from "@/lib/ingest/test-fixtures";
import { fillPath, listPages, loadApiRoutes, paramsOf, WRITE_METHODS, type AppRoute } from "./support/app-routes";
import { buildVictim, join, person, type Person, type Victim } from "./support/tenants";

useTestDatabase();

let routes: AppRoute[] = [];
let victim: Victim;

beforeAll(async () => {
  routes = await loadApiRoutes();
  victim = await buildVictim();
}, 120_000);

const nextConfig = nextConfigModule as { poweredByHeader?: boolean; headers: () => Promise<Array<{ source: string; headers: Array<{ key: string; value: string }> }>> };

describe("security headers (next.config.js)", () => {
  type HeaderRule = { source: string; headers: Array<{ key: string; value: string }> };
  const sample: Record<string, string> = { org: "acme", project: "support", keyId: "k1", memberId: "m1", invitationId: "i1", eventId: "e1", findingId: "f1", modelId: "d1", messageId: "x1", token: "t1", nextauth: "session" };

  /** The headers Next would send for `path`: every matching rule, later rules winning, as next start does. */
  async function headersFor(path: string): Promise<Map<string, string>> {
    const rules: HeaderRule[] = await nextConfig.headers();
    const out = new Map<string, string>();
    for (const rule of rules) if (getPathMatch(rule.source)(path) !== false) for (const h of rule.headers) out.set(h.key.toLowerCase(), h.value);
    return out;
  }

  function csp(value: string): Map<string, string[]> {
    return new Map(
      value
        .split(";")
        .map((d) => d.trim().split(/\s+/))
        .filter((parts) => parts[0])
        .map(([name, ...sources]) => [name, sources]),
    );
  }

  it("every page and API route gets CSP (frame-ancestors 'none'), nosniff, Referrer-Policy, X-Frame-Options", async () => {
    expect(nextConfig.poweredByHeader).toBe(false);
    const paths = ["/", ...listPages().map((p) => `/${fillPath(p.name, sample)}`), ...routes.map((r) => `/api/${fillPath(r.name, sample)}`)];
    expect(paths.length).toBeGreaterThan(30);
    for (const path of paths) {
      const h = await headersFor(path);
      expect(h.get("x-content-type-options"), path).toBe("nosniff");
      expect(h.get("x-frame-options"), path).toBe("DENY");
      expect(["no-referrer", "strict-origin-when-cross-origin", "same-origin", "strict-origin"], path).toContain(h.get("referrer-policy"));
      expect(h.get("permissions-policy"), path).toMatch(/camera=\(\)/);
      const policy = csp(h.get("content-security-policy") ?? "");
      expect(policy.get("frame-ancestors"), path).toEqual(["'none'"]);
      expect(policy.get("default-src"), path).toEqual(["'self'"]);
      expect(policy.get("object-src"), path).toEqual(["'none'"]);
      expect(policy.get("base-uri"), path).toEqual(["'self'"]);
      expect(policy.get("form-action"), path).toEqual(["'self'"]);
      expect(policy.get("connect-src"), path).toEqual(["'self'"]);
      // No wildcard or remote origin anywhere; no eval outside `next dev`.
      for (const [name, sources] of policy) for (const src of sources) expect(src, `${path} ${name}`).not.toMatch(/^\*|^https?:|^\*\./);
      expect(policy.get("script-src"), path).not.toContain("'unsafe-eval'");
    }
  });
});

describe("CSRF", () => {
  const isKeyRoute = (r: AppRoute) => r.name.startsWith("v1/");
  /** Cross-site writes that are allowed by design, and why. */
  const CROSS_SITE_BY_DESIGN: Record<string, string> = {
    "auth/[...nextauth]": "next-auth's endpoints carry their own double-submit CSRF token (tested below)",
    "email/unsubscribe": "RFC 8058 one-click unsubscribe: mail providers POST from elsewhere; the signed token is the authority",
  };

  it("every cookie-authenticated write refuses a cross-site Origin, a foreign Sec-Fetch-Site and Origin: null, and changes nothing", async () => {
    const before = await victim.snapshot();
    const values: Record<string, string> = {
      org: victim.org.slug,
      project: victim.project.slug,
      keyId: victim.keyId,
      memberId: victim.viewerMembershipId,
      invitationId: victim.invitationId,
      eventId: victim.eventId,
      findingId: victim.findingId,
      modelId: victim.distilledModelId,
      messageId: victim.emailMessageId,
      token: victim.invitationToken,
    };
    let checked = 0;
    for (const r of routes.filter((x) => !isKeyRoute(x) && !(x.name in CROSS_SITE_BY_DESIGN))) {
      for (const { method, handler } of r.methods.filter((m) => WRITE_METHODS.has(m.method))) {
        const params = Object.fromEntries(paramsOf(r.name).map((n) => [n, values[n]]));
        const attacks: Array<Record<string, string>> = [{ origin: "https://evil.example" }, { "sec-fetch-site": "cross-site" }, { origin: "null" }, { origin: "http://localhost:3000.evil.example" }];
        for (const attack of attacks) {
          const res = await handler(
            new Request(`http://localhost:3000/api/${fillPath(r.name, params)}`, {
              method,
              headers: { host: "localhost:3000", cookie: victim.owner.cookie, "content-type": "application/json", ...attack },
              body: JSON.stringify({ name: "Pwned", role: "OWNER", email: "evil@example.com", confirm: victim.org.slug, enabled: true, action: "accept" }),
            }),
            { params: Promise.resolve(params) },
          );
          expect(res.status, `${method} /api/${r.name} with ${JSON.stringify(attack)}`).toBe(403);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(40);
    expect(await victim.snapshot()).toBe(before);
    // The same write from the app's own origin goes through (the refusals above are about the origin).
    const projectRoute = routes.find((r) => r.name === "orgs/[org]/projects/[project]")!;
    const patch = projectRoute.methods.find((m) => m.method === "PATCH")!.handler;
    const ok = await patch(
      new Request(`http://localhost:3000/api/orgs/${victim.org.slug}/projects/${victim.project.slug}`, {
        method: "PATCH",
        headers: { host: "localhost:3000", origin: "http://localhost:3000", "sec-fetch-site": "same-origin", cookie: victim.owner.cookie, "content-type": "application/json" },
        body: JSON.stringify({ name: victim.project.name }),
      }),
      { params: Promise.resolve({ org: victim.org.slug, project: victim.project.slug }) },
    );
    expect(ok.status).toBe(200);
    for (const name of Object.keys(CROSS_SITE_BY_DESIGN)) expect(routes.some((r) => r.name === name)).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------- next-auth

type Cookie = { name: string; value: string; options: Record<string, unknown> };
type AuthResponse = { status?: number; body?: unknown; redirect?: string; cookies?: Cookie[] };
// next-auth's core handler: what app/api/auth/[...nextauth] runs once its Next adapter has read the request
// (the package does not export it, hence the path).
const { AuthHandler } = createRequire(import.meta.url)(path.resolve(process.cwd(), "node_modules/next-auth/core/index.js")) as {
  AuthHandler: (params: { req: Record<string, unknown>; options: unknown }) => Promise<AuthResponse>;
};

/** next-auth's handler with this app's options: what /api/auth/* runs, minus the Next adapter. */
async function auth(req: { action: string; method: string; providerId?: string; body?: Record<string, unknown>; cookies?: Record<string, string>; ip?: string }): Promise<AuthResponse> {
  return await AuthHandler({
    req: {
      action: req.action,
      method: req.method,
      providerId: req.providerId,
      body: req.body ?? {},
      cookies: req.cookies ?? {},
      query: {},
      headers: { host: new URL(process.env.NEXTAUTH_URL!).host, "x-forwarded-for": req.ip ?? "198.51.100.1" },
    },
    options: buildAuthOptions(),
  });
}

/** A full credentials sign-in: fetch the CSRF token (cookie + value), then post the form with it. */
async function passwordSignIn(email: string, password: string, ip: string): Promise<{ res: AuthResponse; error: string | null; csrfCookie: Cookie }> {
  const csrf = await auth({ action: "csrf", method: "GET", ip });
  const csrfCookie = csrf.cookies!.find((c) => c.name.endsWith("next-auth.csrf-token"))!;
  const res = await auth({
    action: "callback",
    providerId: "credentials",
    method: "POST",
    ip,
    cookies: { [csrfCookie.name]: csrfCookie.value },
    body: { csrfToken: (csrf.body as { csrfToken: string }).csrfToken, email, password, callbackUrl: "/", json: "true" },
  });
  const redirect = res.redirect ?? "";
  const error = redirect.includes("error=") ? decodeURIComponent(new URL(redirect, "http://x").searchParams.get("error") ?? "") : null;
  return { res, error, csrfCookie };
}

describe("session cookies", () => {
  const savedUrl = process.env.NEXTAUTH_URL;
  afterAll(() => {
    if (savedUrl === undefined) delete process.env.NEXTAUTH_URL;
    else process.env.NEXTAUTH_URL = savedUrl;
    resetSignInRateLimits();
  });

  it("are Secure with __Secure-/__Host- names behind https, HttpOnly and SameSite=Lax always, and match what the guards read", async () => {
    resetSignInRateLimits();
    const user = await person("Cookie");
    for (const [url, secure] of [
      ["https://spendlens.example.com", true],
      ["http://localhost:3000", false],
    ] as const) {
      process.env.NEXTAUTH_URL = url;
      const { res, error, csrfCookie } = await passwordSignIn(user.user.email, "Cookie-long-password", "192.0.2.10");
      expect(error).toBeNull();
      expect(csrfCookie.name).toBe(secure ? "__Host-next-auth.csrf-token" : "next-auth.csrf-token");
      const session = res.cookies!.find((c) => c.name.includes("session-token"))!;
      expect(session.name).toBe(secure ? "__Secure-next-auth.session-token" : "next-auth.session-token");
      // The guards read the cookie next-auth writes.
      expect(session.name).toBe(sessionCookieName());
      for (const c of [csrfCookie, session]) {
        expect(c.options.httpOnly, c.name).toBe(true);
        expect(c.options.sameSite, c.name).toBe("lax");
        expect(c.options.secure === true, c.name).toBe(secure);
        expect(c.options.path).toBe("/");
      }
    }
  });

  it("a credentials post without next-auth's CSRF token signs nobody in", async () => {
    process.env.NEXTAUTH_URL = "http://localhost:3000";
    const user = await person("Csrf");
    const res = await auth({ action: "callback", providerId: "credentials", method: "POST", body: { email: user.user.email, password: "Csrf-long-password", json: "true" } });
    expect(res.redirect).toMatch(/csrf=true/);
    expect((res.cookies ?? []).some((c) => c.name.includes("session-token"))).toBe(false);
  });
});

describe("password sign-in: per-address rate limit and per-account lockout", () => {
  beforeAll(() => {
    process.env.NEXTAUTH_URL = "http://localhost:3000";
    // These tests stand for a deployment behind one reverse proxy, whose X-Forwarded-For hop is trusted.
    process.env.SPENDLENS_TRUSTED_PROXIES = "1";
  });
  afterAll(() => {
    delete process.env.SIGN_IN_RATE_LIMIT_PER_MINUTE;
    delete process.env.SPENDLENS_TRUSTED_PROXIES;
    resetSignInRateLimits();
  });

  it("reads the client address from the last X-Forwarded-For hop behind one trusted proxy, and never from the header without one", () => {
    expect(signInClientAddress({ "x-forwarded-for": "10.0.0.1, 203.0.113.9" })).toBe("203.0.113.9");
    expect(signInClientAddress(new Headers({ "x-real-ip": "203.0.113.5" }))).toBe("direct");
    expect(signInClientAddress({})).toBe("direct");
    delete process.env.SPENDLENS_TRUSTED_PROXIES;
    expect(signInClientAddress({ "x-forwarded-for": "10.0.0.1, 203.0.113.9" })).toBe("direct");
    process.env.SPENDLENS_TRUSTED_PROXIES = "1";
  });

  it("refuses an address after SIGN_IN_RATE_LIMIT_PER_MINUTE attempts, before checking any password; other addresses go on", async () => {
    process.env.SIGN_IN_RATE_LIMIT_PER_MINUTE = "5";
    resetSignInRateLimits();
    const target = await person("Stuffed");
    for (let i = 0; i < 5; i++) {
      const { error } = await passwordSignIn(`nobody-${i}@example.com`, "guess-password", "203.0.113.77");
      expect(error).toBe("CredentialsSignin");
    }
    // The 6th attempt, on a real account, is refused by the address limit: the account is not even tried.
    const limited = await passwordSignIn(target.user.email, "wrong-password", "203.0.113.77");
    expect(limited.error).toMatch(/^Too many sign-in attempts from your network\. Try again in \d+ seconds?\.$/);
    expect((await db.user.findUniqueOrThrow({ where: { id: target.user.id } })).failedLoginCount).toBe(0);
    // Even the right password waits.
    expect((await passwordSignIn(target.user.email, "Stuffed-long-password", "203.0.113.77")).error).toMatch(/^Too many sign-in attempts/);
    // Another address signs in.
    const other = await passwordSignIn(target.user.email, "Stuffed-long-password", "203.0.113.78");
    expect(other.error).toBeNull();
    expect(other.res.cookies!.some((c) => c.name.includes("session-token"))).toBe(true);
  });

  it(`locks an account after ${LOCKOUT.freeAttempts} failed passwords, refuses even the right one while locked, and unlocks later`, async () => {
    process.env.SIGN_IN_RATE_LIMIT_PER_MINUTE = "1000";
    resetSignInRateLimits();
    const victimUser = await person("Locky");
    const errors: Array<string | null> = [];
    for (let i = 0; i < LOCKOUT.freeAttempts; i++) errors.push((await passwordSignIn(victimUser.user.email, `wrong-${i}`, `198.18.0.${i + 1}`)).error);
    expect(errors.slice(0, -1)).toEqual(Array(LOCKOUT.freeAttempts - 1).fill("CredentialsSignin"));
    expect(errors.at(-1)).toMatch(/^Too many failed sign-in attempts\. Try again in \d+ minutes?\.$/);
    const row = await db.user.findUniqueOrThrow({ where: { id: victimUser.user.id } });
    expect(row.failedLoginCount).toBe(LOCKOUT.freeAttempts);
    expect(row.lockedUntil!.getTime()).toBeGreaterThan(Date.now() + LOCKOUT.firstLockMs - 5_000);
    // From yet another address, the right password is refused while the lock holds.
    expect((await passwordSignIn(victimUser.user.email, "Locky-long-password", "198.18.1.1")).error).toMatch(/^Too many failed sign-in attempts/);
    // When the lock has passed, the right password works and the counter resets.
    await db.user.update({ where: { id: victimUser.user.id }, data: { lockedUntil: new Date(Date.now() - 1000) } });
    expect((await passwordSignIn(victimUser.user.email, "Locky-long-password", "198.18.1.2")).error).toBeNull();
    expect((await db.user.findUniqueOrThrow({ where: { id: victimUser.user.id } })).failedLoginCount).toBe(0);
  });
});

describe("ingest rate limit", () => {
  afterAll(() => {
    delete process.env.INGEST_RATE_LIMIT_EVENTS_PER_SEC;
    delete process.env.INGEST_RATE_LIMIT_BURST;
    resetIngestRateLimits();
  });

  it("gives each key a token bucket of events: over it 429 + Retry-After (ingest and OTLP share it), other keys unaffected", async () => {
    process.env.INGEST_RATE_LIMIT_EVENTS_PER_SEC = "1";
    process.env.INGEST_RATE_LIMIT_BURST = "20";
    resetIngestRateLimits();
    const a = await createProjectWithKey("rl-a");
    const b = await createProjectWithKey("rl-b");
    const post = (key: string, ids: string[]) =>
      handleIngestRequest(
        new Request("http://localhost/api/v1/ingest", {
          method: "POST",
          headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
          body: JSON.stringify({ events: ids.map((id) => openAIChatEvent({ id })) }),
        }),
      );
    const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
    expect((await post(a.key, ids("a1", 20))).status).toBe(200);
    const limited = await post(a.key, ids("a2", 5));
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(await db.call.count({ where: { projectId: a.projectId } })).toBe(20);
    const otlp = await handleOtlpRequest(
      new Request("http://localhost/api/v1/otel/v1/traces", { method: "POST", headers: { authorization: `Bearer ${a.key}`, "content-type": "application/json" }, body: "{}" }),
    );
    expect(otlp.status).toBe(429);
    expect((await post(b.key, ids("b1", 20))).status).toBe(200);
  });
});

describe("audit log", () => {
  it("records membership, key and settings changes with actor and target, and never a secret", async () => {
    const owner: Person = await person("Auditor");
    const member = await person("Newbie");
    const org = owner.organization.slug;
    const call = async (name: string, method: string, params: Record<string, string>, body?: unknown) => {
      const route = routes.find((r) => r.name === name)!;
      const handler = route.methods.find((m) => m.method === method)!.handler;
      const res = await handler(
        new Request(`http://localhost:3000/api/${fillPath(name, params)}`, {
          method,
          headers: { host: "localhost:3000", cookie: owner.cookie, "content-type": "application/json" },
          body: body === undefined ? undefined : JSON.stringify(body),
        }),
        { params: Promise.resolve(params) },
      );
      expect(res.status, `${method} ${name}: ${await res.clone().text()}`).toBeLessThan(300);
      return (await res.json()) as Record<string, unknown>;
    };
    const projectParams = { org, project: owner.project.slug };
    const created = await call("orgs/[org]/projects/[project]/keys", "POST", projectParams, { name: "ci" });
    const secret = created.key as string;
    const keyId = (created.apiKey as { id: string }).id;
    await call("orgs/[org]/projects/[project]/keys/[keyId]", "DELETE", { ...projectParams, keyId });
    const membershipId = await join(owner, member, "VIEWER");
    await call("orgs/[org]/members/[memberId]", "PATCH", { org, memberId: membershipId }, { role: "MEMBER" });
    await call("orgs/[org]/members/[memberId]", "DELETE", { org, memberId: membershipId });
    const invited = await call("orgs/[org]/invitations", "POST", { org }, { email: "later@example.com", role: "VIEWER" });
    await call("orgs/[org]/invitations/[invitationId]", "DELETE", { org, invitationId: (invited.invitation as { id: string }).id });
    await call("orgs/[org]", "PATCH", { org }, { name: "Audited Org", timezone: "Europe/Paris" });
    await call("orgs/[org]/projects/[project]", "PATCH", projectParams, { name: "Audited project" });

    const rows = await db.auditLog.findMany({ where: { organizationId: owner.organization.id }, orderBy: { createdAt: "asc" } });
    const actions = rows.map((r) => r.action);
    for (const action of ["api_key.create", "api_key.revoke", "member.join", "member.role_change", "member.remove", "invitation.create", "invitation.revoke", "organization.update", "project.update"]) {
      expect(actions, action).toContain(action);
    }
    for (const r of rows.filter((x) => x.action !== "member.join" && x.action !== "organization.create" && x.action !== "project.create")) {
      expect(r.actorUserId, r.action).toBe(owner.user.id);
      expect(r.target, r.action).toBeTruthy();
    }
    expect(rows.find((r) => r.action === "member.role_change")!.meta).toMatchObject({ from: "VIEWER", to: "MEMBER" });
    // Keys appear by prefix only; the secret (and the invitation token) never enter the log.
    const text = JSON.stringify(rows);
    expect(text).not.toContain(secret);
    expect(text).not.toContain(secret.split("_").at(-1)!);
    expect(text).not.toContain((invited.path as string).replace("/invite/", ""));
    // Another organization's log is its own.
    expect(await db.auditLog.count({ where: { organizationId: victim.org.id, actorUserId: owner.user.id } })).toBe(0);
  });
});
