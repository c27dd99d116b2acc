// Per-address limits on sign-in and sign-up (sign-in-rate-limit.ts): which address a request is counted
// under (SPENDLENS_TRUSTED_PROXIES), and the sign-up route's 429, through the real route handler.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
process.env.NEXTAUTH_SECRET ??= "test-secret-for-auth-rate-limit-0123456789";

import * as signUpRoute from "../../app/api/sign-up/route";
import { db } from "../db/client";
import { useTestDatabase } from "../db/testing";
import { buildAuthOptions } from "./options";
import { DIRECT_CLIENT, PEER_ADDRESS_HEADER, clientAddress, stampPeerAddress, rateLimitedMessage, resetAuthRateLimits, takeRateLimit, trustedProxyHops } from "./sign-in-rate-limit";

useTestDatabase();

const ENV = ["SPENDLENS_TRUSTED_PROXIES", "SIGN_IN_RATE_LIMIT_PER_MINUTE", "SIGN_UP_RATE_LIMIT_PER_HOUR", "NEXTAUTH_URL"] as const;
const saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));

function restoreEnv() {
  for (const k of ENV) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  resetAuthRateLimits();
}

beforeAll(() => {
  process.env.NEXTAUTH_URL = "http://localhost:3997";
});
afterEach(restoreEnv);
afterAll(restoreEnv);

describe("clientAddress", () => {
  it("with no trusted proxy (the default) ignores X-Forwarded-For and X-Real-IP: a spoofed header does not change the bucket", () => {
    delete process.env.SPENDLENS_TRUSTED_PROXIES;
    expect(trustedProxyHops()).toBe(0);
    expect(clientAddress({ "x-forwarded-for": "203.0.113.1" })).toBe(DIRECT_CLIENT);
    expect(clientAddress(new Headers({ "x-forwarded-for": "10.0.0.1, 203.0.113.2", "x-real-ip": "203.0.113.3" }))).toBe(DIRECT_CLIENT);
    expect(clientAddress({})).toBe(DIRECT_CLIENT);
    expect(clientAddress(undefined)).toBe(DIRECT_CLIENT);
    // A peer (socket) address, when the caller has one, is the address; the header still does not matter.
    expect(clientAddress({ "x-forwarded-for": "203.0.113.1" }, "198.51.100.7")).toBe("198.51.100.7");
    expect(clientAddress({}, "::ffff:198.51.100.7")).toBe("198.51.100.7");
    process.env.SPENDLENS_TRUSTED_PROXIES = "0";
    expect(clientAddress({ "x-forwarded-for": "203.0.113.1" })).toBe(DIRECT_CLIENT);
  });

  it("reads the launcher's peer-address header only when the launcher serves the app, and the launcher overwrites a client's copy", () => {
    delete process.env.SPENDLENS_TRUSTED_PROXIES;
    const savedPeer = process.env.SPENDLENS_PEER_HEADER;
    try {
      delete process.env.SPENDLENS_PEER_HEADER;
      // Without the launcher, a client writing the header itself gains nothing.
      expect(clientAddress({ [PEER_ADDRESS_HEADER]: "203.0.113.50" })).toBe(DIRECT_CLIENT);
      process.env.SPENDLENS_PEER_HEADER = "1";
      const req = { headers: { [PEER_ADDRESS_HEADER]: "203.0.113.50", "x-forwarded-for": "203.0.113.51" } as Record<string, unknown>, socket: { remoteAddress: "::ffff:198.51.100.20" } };
      stampPeerAddress(req);
      expect(clientAddress(req.headers)).toBe("198.51.100.20");
      expect(clientAddress(new Headers({ [PEER_ADDRESS_HEADER]: "198.51.100.21" }))).toBe("198.51.100.21");
      // Behind trusted proxies the forwarded hop wins over the peer (which is then the proxy).
      process.env.SPENDLENS_TRUSTED_PROXIES = "1";
      expect(clientAddress(req.headers)).toBe("203.0.113.51");
    } finally {
      if (savedPeer === undefined) delete process.env.SPENDLENS_PEER_HEADER;
      else process.env.SPENDLENS_PEER_HEADER = savedPeer;
    }
  });

  it("counts attempts with different spoofed X-Forwarded-For values in one bucket when no proxy is trusted", () => {
    process.env.SIGN_IN_RATE_LIMIT_PER_MINUTE = "3";
    resetAuthRateLimits();
    const now = 1_000_000;
    for (let i = 0; i < 3; i++) expect(takeRateLimit("sign-in", clientAddress({ "x-forwarded-for": `203.0.113.${i}` }), now).ok).toBe(true);
    const refused = takeRateLimit("sign-in", clientAddress({ "x-forwarded-for": "203.0.113.99" }), now);
    expect(refused).toEqual({ ok: false, retryAfterSec: 20 });
  });

  it("with 1 trusted proxy takes the last hop; with 2 the second from the right; too few hops share the direct bucket", () => {
    process.env.SPENDLENS_TRUSTED_PROXIES = "1";
    expect(clientAddress({ "x-forwarded-for": "10.0.0.1, 203.0.113.9" })).toBe("203.0.113.9");
    expect(clientAddress(new Headers({ "x-forwarded-for": "1.2.3.4,203.0.113.9" }))).toBe("203.0.113.9");
    expect(clientAddress({ "x-forwarded-for": ["6.6.6.6", "203.0.113.10"] })).toBe("203.0.113.10");
    // The peer is then the proxy itself, not the client.
    expect(clientAddress({ "x-forwarded-for": "203.0.113.9" }, "127.0.0.1")).toBe("203.0.113.9");
    expect(clientAddress({ "x-real-ip": "203.0.113.5" })).toBe(DIRECT_CLIENT);
    process.env.SPENDLENS_TRUSTED_PROXIES = "2";
    expect(clientAddress({ "x-forwarded-for": "6.6.6.6, 203.0.113.9, 10.0.0.2" })).toBe("203.0.113.9");
    expect(clientAddress({ "x-forwarded-for": "10.0.0.2" })).toBe(DIRECT_CLIENT);
  });

  it("reads a value that is not a proxy count as 0", () => {
    for (const v of ["yes", "-1", "1.5", "true", "999"]) {
      process.env.SPENDLENS_TRUSTED_PROXIES = v;
      expect(trustedProxyHops(), v).toBe(0);
      expect(clientAddress({ "x-forwarded-for": "203.0.113.9" }), v).toBe(DIRECT_CLIENT);
    }
    process.env.SPENDLENS_TRUSTED_PROXIES = " 3 ";
    expect(trustedProxyHops()).toBe(3);
  });
});

describe("rate limiters", () => {
  it("keeps sign-in and sign-up buckets apart and refills sign-up over an hour", () => {
    process.env.SIGN_UP_RATE_LIMIT_PER_HOUR = "2";
    resetAuthRateLimits();
    const t0 = 5_000_000;
    expect(takeRateLimit("sign-up", "a", t0).ok).toBe(true);
    expect(takeRateLimit("sign-up", "a", t0).ok).toBe(true);
    expect(takeRateLimit("sign-up", "a", t0)).toEqual({ ok: false, retryAfterSec: 1800 });
    expect(takeRateLimit("sign-in", "a", t0).ok).toBe(true);
    expect(takeRateLimit("sign-up", "b", t0).ok).toBe(true);
    expect(takeRateLimit("sign-up", "a", t0 + 1_800_000).ok).toBe(true);
    expect(rateLimitedMessage("sign-up", 1800)).toBe("Too many sign-ups from your network. Try again in 30 minutes.");
    expect(rateLimitedMessage("sign-in", 1)).toBe("Too many sign-in attempts from your network. Try again in 1 second.");
  });

  it("defaults to 10 sign-ups per address per hour", () => {
    delete process.env.SIGN_UP_RATE_LIMIT_PER_HOUR;
    resetAuthRateLimits();
    for (let i = 0; i < 10; i++) expect(takeRateLimit("sign-up", "x", 0).ok).toBe(true);
    expect(takeRateLimit("sign-up", "x", 0)).toEqual({ ok: false, retryAfterSec: 360 });
  });
});

// ------------------------------------------------------------------------------------------------ routes

async function postSignUp(email: string, headers: Record<string, string>): Promise<Response> {
  return signUpRoute.POST(
    new Request("http://localhost:3997/api/sign-up", {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({ name: "Rate", email, password: "a-long-password" }),
    }),
    { params: Promise.resolve({}) },
  );
}

describe("POST /api/sign-up rate limit", () => {
  it("behind 1 trusted proxy: the N+1-th sign-up from one address gets 429 + Retry-After and creates nothing; another address still signs up", async () => {
    process.env.SPENDLENS_TRUSTED_PROXIES = "1";
    process.env.SIGN_UP_RATE_LIMIT_PER_HOUR = "3";
    resetAuthRateLimits();
    const from = (ip: string) => ({ "x-forwarded-for": `6.6.6.6, ${ip}` });
    for (let i = 0; i < 3; i++) expect((await postSignUp(`rl-${i}@example.com`, from("203.0.113.50"))).status).toBe(201);
    const refused = await postSignUp("rl-3@example.com", from("203.0.113.50"));
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(1100);
    expect(retryAfter).toBeLessThanOrEqual(1200);
    expect(await refused.json()).toEqual({ error: expect.stringMatching(/^Too many sign-ups from your network\. Try again in 20 minutes\.$/) });
    expect(await db.user.count({ where: { email: "rl-3@example.com" } })).toBe(0);
    // The client cannot pick a fresh bucket by writing its own first hop: the proxy's hop decides.
    expect((await postSignUp("rl-4@example.com", { "x-forwarded-for": "1.1.1.1, 203.0.113.50" })).status).toBe(429);
    // Another address is unaffected.
    expect((await postSignUp("rl-5@example.com", from("203.0.113.51"))).status).toBe(201);
    expect(await db.user.count({ where: { email: { startsWith: "rl-" } } })).toBe(4);
  });

  it("with no trusted proxy: a spoofed X-Forwarded-For does not get a fresh bucket", async () => {
    delete process.env.SPENDLENS_TRUSTED_PROXIES;
    process.env.SIGN_UP_RATE_LIMIT_PER_HOUR = "2";
    resetAuthRateLimits();
    expect((await postSignUp("direct-0@example.com", { "x-forwarded-for": "203.0.113.60" })).status).toBe(201);
    expect((await postSignUp("direct-1@example.com", {})).status).toBe(201);
    const refused = await postSignUp("direct-2@example.com", { "x-forwarded-for": "203.0.113.61" });
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(await db.user.count({ where: { email: "direct-2@example.com" } })).toBe(0);
  });

  it("counts refused sign-ups too (a duplicate email), so the limit also caps address probing", async () => {
    process.env.SPENDLENS_TRUSTED_PROXIES = "1";
    process.env.SIGN_UP_RATE_LIMIT_PER_HOUR = "2";
    resetAuthRateLimits();
    const h = { "x-forwarded-for": "203.0.113.70" };
    expect((await postSignUp("probe@example.com", h)).status).toBe(201);
    expect((await postSignUp("probe@example.com", h)).status).toBe(409);
    expect((await postSignUp("probe2@example.com", h)).status).toBe(429);
  });
});

describe("password sign-in address limit (authorize)", () => {
  type Authorize = (credentials: Record<string, string>, req: { headers: Record<string, string> }) => Promise<unknown>;
  const authorize = () => (buildAuthOptions().providers[0] as unknown as { options: { authorize: Authorize } }).options.authorize;

  it("with no trusted proxy, attempts under different spoofed X-Forwarded-For values share one bucket", async () => {
    delete process.env.SPENDLENS_TRUSTED_PROXIES;
    process.env.SIGN_IN_RATE_LIMIT_PER_MINUTE = "2";
    resetAuthRateLimits();
    const signIn = authorize();
    for (const ip of ["203.0.113.80", "203.0.113.81"]) expect(await signIn({ email: "nobody@example.com", password: "guess-password" }, { headers: { "x-forwarded-for": ip } })).toBeNull();
    await expect(signIn({ email: "nobody@example.com", password: "guess-password" }, { headers: { "x-forwarded-for": "203.0.113.82" } })).rejects.toThrow(
      /^Too many sign-in attempts from your network\. Try again in \d+ seconds?\.$/,
    );
  });

  it("with 1 trusted proxy, the last hop is the bucket", async () => {
    process.env.SPENDLENS_TRUSTED_PROXIES = "1";
    process.env.SIGN_IN_RATE_LIMIT_PER_MINUTE = "1";
    resetAuthRateLimits();
    const signIn = authorize();
    expect(await signIn({ email: "nobody@example.com", password: "guess-password" }, { headers: { "x-forwarded-for": "6.6.6.6, 203.0.113.90" } })).toBeNull();
    await expect(signIn({ email: "nobody@example.com", password: "guess-password" }, { headers: { "x-forwarded-for": "7.7.7.7, 203.0.113.90" } })).rejects.toThrow(/^Too many sign-in attempts/);
    expect(await signIn({ email: "nobody@example.com", password: "guess-password" }, { headers: { "x-forwarded-for": "203.0.113.91" } })).toBeNull();
  });
});
