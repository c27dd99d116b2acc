// Per-key token bucket for the ingest endpoints (in memory, per process). Tokens are events, so a key
// sending 1,000-event batches and one sending single events are limited by the same work.
// INGEST_RATE_LIMIT_EVENTS_PER_SEC (default 20,000) refills; INGEST_RATE_LIMIT_BURST (default 3x) caps.

type Bucket = { tokens: number; at: number };
type Limits = { perSec: number; burst: number };

let limits: Limits | null = null;
const buckets = new Map<string, Bucket>();

function readLimits(): Limits {
  const perSec = Number(process.env.INGEST_RATE_LIMIT_EVENTS_PER_SEC ?? 20_000);
  const rate = Number.isFinite(perSec) && perSec > 0 ? perSec : 20_000;
  const burstEnv = Number(process.env.INGEST_RATE_LIMIT_BURST);
  const burst = Number.isFinite(burstEnv) && burstEnv >= 1 ? burstEnv : rate * 3;
  return { perSec: rate, burst };
}

function bucketFor(key: string, now: number): { bucket: Bucket; l: Limits } {
  const l = (limits ??= readLimits());
  let bucket = buckets.get(key);
  if (!bucket) {
    bucket = { tokens: l.burst, at: now };
    buckets.set(key, bucket);
    if (buckets.size > 100_000) buckets.clear(); // unbounded growth guard; a reset only grants a burst
  } else {
    bucket.tokens = Math.min(l.burst, bucket.tokens + ((now - bucket.at) / 1000) * l.perSec);
    bucket.at = now;
  }
  return { bucket, l };
}

export type RateDecision = { ok: true } | { ok: false; retryAfterSec: number };

/** Take `events` tokens (a batch larger than the burst needs a full bucket). */
export function takeIngestTokens(key: string, events: number, now: number = Date.now()): RateDecision {
  const { bucket, l } = bucketFor(key, now);
  const need = Math.min(Math.max(events, 1), l.burst);
  if (bucket.tokens >= need) {
    bucket.tokens -= need;
    return { ok: true };
  }
  return { ok: false, retryAfterSec: Math.max(1, Math.ceil((need - bucket.tokens) / l.perSec)) };
}

/** Cheap check before reading a body: is there at least one token? */
export function ingestTokensAvailable(key: string, now: number = Date.now()): RateDecision {
  const { bucket, l } = bucketFor(key, now);
  return bucket.tokens >= 1 ? { ok: true } : { ok: false, retryAfterSec: Math.max(1, Math.ceil((1 - bucket.tokens) / l.perSec)) };
}

/** Forget buckets and re-read the env (tests). */
export function resetIngestRateLimits(): void {
  buckets.clear();
  limits = null;
}
