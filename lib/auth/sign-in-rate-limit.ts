// Per-address limit on password sign-in attempts (token bucket, in memory, per process). It sits in front
// of the per-account lockout (password-sign-in.ts): the lockout stops guessing one account's password,
// this stops one address from trying many accounts (credential stuffing) and from burning CPU on scrypt
// (each attempt hashes ~32 MB). It is checked before the password is, so a refused attempt costs nothing.
// SIGN_IN_RATE_LIMIT_PER_MINUTE (default 30) attempts per minute per address, in bursts of as many: far
// above what a person types, far below what a guessing script needs.

type Bucket = { tokens: number; at: number };

const buckets = new Map<string, Bucket>();
let perMinute: number | null = null;

function limit(): number {
  if (perMinute === null) {
    const v = Number(process.env.SIGN_IN_RATE_LIMIT_PER_MINUTE);
    perMinute = Number.isFinite(v) && v >= 1 ? v : 30;
  }
  return perMinute;
}

/**
 * The client address of a sign-in request: the last X-Forwarded-For hop (added by the nearest reverse
 * proxy, or set from the socket by the Next server when the client sent none), else X-Real-IP. Without
 * a reverse proxy that overwrites X-Forwarded-For, a client can name its own address (docs/security.md).
 */
export function signInClientAddress(headers: Headers | Record<string, unknown> | undefined | null): string {
  const get = (name: string): string | null => {
    if (!headers) return null;
    if (headers instanceof Headers) return headers.get(name);
    const v = (headers as Record<string, unknown>)[name];
    return Array.isArray(v) ? String(v[v.length - 1] ?? "") : typeof v === "string" ? v : null;
  };
  const hops = (get("x-forwarded-for") ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  return hops[hops.length - 1] ?? get("x-real-ip")?.trim() ?? "unknown";
}

export type SignInRateDecision = { ok: true } | { ok: false; retryAfterSec: number };

/** Count one sign-in attempt from `address`; refused when its bucket is empty. */
export function takeSignInAttempt(address: string, now: number = Date.now()): SignInRateDecision {
  const max = limit();
  const perMs = max / 60_000;
  let bucket = buckets.get(address);
  if (!bucket) {
    if (buckets.size > 50_000) buckets.clear(); // growth guard; a reset only grants one burst
    bucket = { tokens: max, at: now };
    buckets.set(address, bucket);
  } else {
    bucket.tokens = Math.min(max, bucket.tokens + (now - bucket.at) * perMs);
    bucket.at = now;
  }
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    return { ok: true };
  }
  return { ok: false, retryAfterSec: Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000)) };
}

export function signInRateLimitedMessage(retryAfterSec: number): string {
  return `Too many sign-in attempts from your network. Try again in ${retryAfterSec} second${retryAfterSec === 1 ? "" : "s"}.`;
}

/** Forget all buckets and re-read the limit (tests). */
export function resetSignInRateLimits(): void {
  buckets.clear();
  perMinute = null;
}
