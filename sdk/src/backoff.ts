// When to try a failed delivery again: exponential backoff with jitter, or the server's Retry-After.

export type BackoffOptions = {
  /** First retry waits about this long (ms). */
  initialDelayMs: number;
  /** No computed delay exceeds this (ms). */
  maxDelayMs: number;
  /** A Retry-After longer than this is cut to it (ms), so a bad header cannot park the queue for days. */
  maxRetryAfterMs: number;
};

/**
 * Delay before retry number `attempt` (1 = first retry). "Equal jitter": half the exponential step is
 * fixed, half random, so clients that failed together do not come back together, yet never hammer at ~0 ms.
 */
export function backoffDelay(attempt: number, opts: BackoffOptions, random: () => number = Math.random): number {
  const step = Math.min(opts.maxDelayMs, opts.initialDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(step / 2 + random() * (step / 2));
}

/**
 * Parses a Retry-After header (seconds, or an HTTP date) into milliseconds from `now`; null when absent
 * or unreadable. Negative or past values mean "now" (0).
 */
export function parseRetryAfter(header: string | null | undefined, now: number = Date.now()): number | null {
  if (header == null) return null;
  const text = header.trim();
  if (text === "") return null;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now);
}

/** Delay before the next attempt: the server's Retry-After (capped, plus up to 10% jitter) or backoff. */
export function retryDelay(
  attempt: number,
  retryAfterMs: number | null,
  opts: BackoffOptions,
  random: () => number = Math.random,
): number {
  if (retryAfterMs != null) {
    const wait = Math.min(retryAfterMs, opts.maxRetryAfterMs);
    return Math.round(wait + random() * wait * 0.1);
  }
  return backoffDelay(attempt, opts, random);
}
