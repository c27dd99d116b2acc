// Per-address limits on the unauthenticated account endpoints: named token buckets (in memory, per
// process), one set per limiter, keyed by the client address (clientAddress below).
//
//  - "sign-in": password attempts. It sits in front of the per-account lockout (password-sign-in.ts): the
//    lockout stops guessing one account's password, this stops one address from trying many accounts
//    (credential stuffing) and from burning CPU on scrypt (each attempt hashes ~32 MB). It is checked
//    before the password is, so a refused attempt costs nothing. SIGN_IN_RATE_LIMIT_PER_MINUTE (default
//    30) per minute, in bursts of as many: far above what a person types, far below what a script needs.
//  - "sign-up": account creation (app/api/sign-up), which also hashes a password and sends a mail.
//    SIGN_UP_RATE_LIMIT_PER_HOUR (default 10) per hour, in bursts of as many.
//
// (The file keeps its first name because the security tests import signInClientAddress and
// resetSignInRateLimits from here.)
import { HttpError, errorResponse } from "../http/errors";

export type AuthRateLimiter = "sign-in" | "sign-up";

const LIMITERS: Record<AuthRateLimiter, { env: string; fallback: number; windowMs: number; what: string }> = {
  "sign-in": { env: "SIGN_IN_RATE_LIMIT_PER_MINUTE", fallback: 30, windowMs: 60_000, what: "sign-in attempts" },
  "sign-up": { env: "SIGN_UP_RATE_LIMIT_PER_HOUR", fallback: 10, windowMs: 3_600_000, what: "sign-ups" },
};

type Bucket = { tokens: number; at: number };

const buckets = new Map<AuthRateLimiter, Map<string, Bucket>>();
const maxima = new Map<AuthRateLimiter, number>();

function limitOf(name: AuthRateLimiter): number {
  let max = maxima.get(name);
  if (max === undefined) {
    const v = Number(process.env[LIMITERS[name].env]);
    max = Number.isFinite(v) && v >= 1 ? v : LIMITERS[name].fallback;
    maxima.set(name, max);
  }
  return max;
}

// ------------------------------------------------------------------------------------- client address

/**
 * Bucket for requests whose client address is not known: with no trusted proxy, a Next.js request
 * carries no peer (socket) address the app could read (Next 16 has no `request.ip`), and
 * X-Forwarded-For is whatever the client wrote. Rather than trust the header, all such requests share
 * this one bucket: nobody can escape the limit by inventing addresses, at the price that everyone
 * reaching the app directly shares it (docs/security.md).
 */
export const DIRECT_CLIENT = "direct";

let warnedTrustedProxies = false;

/**
 * SPENDLENS_TRUSTED_PROXIES: how many reverse proxies in front of the app append to X-Forwarded-For
 * (default 0). Anything but a whole number 0..20 counts as 0 (the safe reading) and is warned about once.
 */
export function trustedProxyHops(): number {
  const raw = process.env.SPENDLENS_TRUSTED_PROXIES?.trim();
  if (!raw) return 0;
  const n = Number(raw);
  if (/^\d+$/.test(raw) && n <= 20) return n;
  if (!warnedTrustedProxies) {
    warnedTrustedProxies = true;
    console.warn(`[spendlens] SPENDLENS_TRUSTED_PROXIES=${JSON.stringify(raw)} is not a number of proxies (0-20); using 0 (X-Forwarded-For ignored)`);
  }
  return 0;
}

function normaliseAddress(raw: string | null | undefined): string | null {
  const a = raw?.trim().toLowerCase();
  if (!a) return null;
  // A dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d; a proxy writes a.b.c.d.
  return (a.startsWith("::ffff:") && a.includes(".") ? a.slice(7) : a).slice(0, 64);
}

function headerValue(headers: Headers | Record<string, unknown> | undefined | null, name: string): string | null {
  if (headers instanceof Headers) return headers.get(name);
  if (!headers) return null;
  const v = (headers as Record<string, unknown>)[name];
  // Several header lines are one list, in order.
  return Array.isArray(v) ? v.map(String).join(",") : typeof v === "string" ? v : null;
}

/**
 * The header in which the launcher (scripts/start.ts) passes each request's socket address to the app:
 * Next.js gives route handlers no peer address, so the launcher's own http server writes it, replacing
 * whatever a client sent under that name. It is read only when the launcher says it serves the app
 * (SPENDLENS_PEER_HEADER=1, set by the launcher in its own process), so `next start` without the
 * launcher cannot be fooled by a client writing the header itself.
 */
export const PEER_ADDRESS_HEADER = "x-spendlens-peer-address";

function launcherPeerAddress(headers: Headers | Record<string, unknown> | undefined | null): string | null {
  return process.env.SPENDLENS_PEER_HEADER === "1" ? headerValue(headers, PEER_ADDRESS_HEADER) : null;
}

/** Set the peer-address header from the socket (the launcher's http server, before Next.js sees the request). */
export function stampPeerAddress(req: { headers: Record<string, unknown>; socket: { remoteAddress?: string } }): void {
  req.headers[PEER_ADDRESS_HEADER] = req.socket.remoteAddress ?? "";
}

/**
 * The client address of a request, the key of its rate-limit buckets:
 *  - SPENDLENS_TRUSTED_PROXIES = 0 (default): X-Forwarded-For (and X-Real-IP) are ignored, since a client
 *    reaching the app directly writes them itself; the peer address when the caller has one (or the
 *    launcher passed it, see PEER_ADDRESS_HEADER), else the shared DIRECT_CLIENT bucket;
 *  - N > 0: the Nth X-Forwarded-For hop from the right, the address the outermost trusted proxy saw
 *    (each proxy appends the address it was reached from). Fewer than N hops means the request did not
 *    come through the proxies as configured: DIRECT_CLIENT.
 */
export function clientAddress(headers: Headers | Record<string, unknown> | undefined | null, peerAddress?: string | null): string {
  const n = trustedProxyHops();
  if (n === 0) return normaliseAddress(peerAddress ?? launcherPeerAddress(headers)) ?? DIRECT_CLIENT;
  const hops = (headerValue(headers, "x-forwarded-for") ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  return (hops.length >= n ? normaliseAddress(hops[hops.length - n]) : null) ?? DIRECT_CLIENT;
}

/** The sign-in form's name for clientAddress (kept for existing importers). */
export const signInClientAddress = clientAddress;

// --------------------------------------------------------------------------------------------- buckets

export type RateDecision = { ok: true } | { ok: false; retryAfterSec: number };

/** Count one request from `address` against limiter `name`; refused when its bucket is empty. */
export function takeRateLimit(name: AuthRateLimiter, address: string, now: number = Date.now()): RateDecision {
  const max = limitOf(name);
  const { windowMs } = LIMITERS[name];
  let byAddress = buckets.get(name);
  if (!byAddress) buckets.set(name, (byAddress = new Map()));
  let bucket = byAddress.get(address);
  if (!bucket) {
    if (byAddress.size > 50_000) byAddress.clear(); // growth guard; a reset only grants one burst
    bucket = { tokens: max, at: now };
    byAddress.set(address, bucket);
  } else {
    bucket.tokens = Math.min(max, bucket.tokens + ((now - bucket.at) * max) / windowMs);
    bucket.at = now;
  }
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    return { ok: true };
  }
  // Multiply before dividing: 1 token at 2 per hour is 1800 s, not 1800.0000000000002 rounded up to 1801.
  return { ok: false, retryAfterSec: Math.max(1, Math.ceil(((1 - bucket.tokens) * windowMs) / max / 1000)) };
}

/** "Too many sign-ups from your network. Try again in 6 minutes." (seconds below two minutes). */
export function rateLimitedMessage(name: AuthRateLimiter, retryAfterSec: number): string {
  const [n, unit] = retryAfterSec < 120 ? [retryAfterSec, "second"] : [Math.ceil(retryAfterSec / 60), "minute"];
  return `Too many ${LIMITERS[name].what} from your network. Try again in ${n} ${unit}${n === 1 ? "" : "s"}.`;
}

/** The route answer for a refused request: `{ error }` as errorResponse writes it, status 429, Retry-After. */
export function rateLimitedResponse(name: AuthRateLimiter, retryAfterSec: number): Response {
  const res = errorResponse(new HttpError(429, rateLimitedMessage(name, retryAfterSec)));
  res.headers.set("Retry-After", String(retryAfterSec));
  return res;
}

/** Forget all buckets of every limiter and re-read the limits (tests). */
export function resetAuthRateLimits(): void {
  buckets.clear();
  maxima.clear();
  warnedTrustedProxies = false;
}

/** Old name of resetAuthRateLimits (kept for existing importers). */
export const resetSignInRateLimits = resetAuthRateLimits;
