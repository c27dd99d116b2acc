// Request/response bodies are kept (the analyses need them) but capped: an oversized body has its
// longest strings cut (each marked with how much was cut), keeping its JSON shape so it still parses
// as the provider body; Call.truncated records that it happened.

/** Cap per stored body, in JSON characters. INGEST_BODY_MAX_CHARS overrides (default 256 Ki). */
export function bodyMaxChars(): number {
  const v = Number(process.env.INGEST_BODY_MAX_CHARS);
  return Number.isFinite(v) && v >= 1024 ? v : 262_144;
}

const MARKER_OVERHEAD = 40; // "…[truncated 1234567 chars]" plus escaping slack

function stringLengths(v: unknown, out: number[]): void {
  if (typeof v === "string") out.push(v.length);
  else if (Array.isArray(v)) for (const x of v) stringLengths(x, out);
  else if (v && typeof v === "object") for (const x of Object.values(v)) stringLengths(x, out);
}

// Static-prompt placeholders (lib/ingest/prompts.ts) must survive intact or the prompt cannot be restored.
const KEEP_PREFIX = "\u27EAspendlens:prompt:";

function clipStrings(v: unknown, limit: number): unknown {
  if (typeof v === "string") {
    return v.length > limit && !v.startsWith(KEEP_PREFIX) ? `${v.slice(0, limit)}\u2026[truncated ${v.length - limit} chars]` : v;
  }
  if (Array.isArray(v)) return v.map((x) => clipStrings(x, limit));
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = clipStrings(x, limit);
    return out;
  }
  return v;
}

/** Largest per-string limit L such that clipping every string to L removes at least `excess` chars. */
function clipLimit(lengths: number[], excess: number): number {
  let lo = 0;
  let hi = Math.max(0, ...lengths);
  const removed = (limit: number) => lengths.reduce((s, len) => s + (len > limit ? len - limit - MARKER_OVERHEAD : 0), 0);
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (removed(mid) >= excess) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * `value` if its JSON fits in maxChars, else a copy with its longest strings cut to fit. A body whose
 * structure alone is too large (thousands of tiny parts) becomes a stub naming its original size.
 * `json` is the body's serialisation when the caller already has it.
 */
export function capJsonSize<T>(value: T, maxChars: number, json?: string): { value: T; truncated: boolean; chars: number } {
  const size = (json ?? JSON.stringify(value)).length;
  if (size <= maxChars) return { value, truncated: false, chars: size };
  const lengths: number[] = [];
  stringLengths(value, lengths);
  let limit = clipLimit(lengths, size - maxChars);
  for (let attempt = 0; attempt < 4; attempt++) {
    const clipped = clipStrings(value, limit) as T;
    const chars = JSON.stringify(clipped).length;
    if (chars <= maxChars) return { value: clipped, truncated: true, chars };
    if (limit === 0) break;
    limit = Math.floor(limit / 2);
  }
  const stub = { _spendlens_truncated: true, original_chars: size } as Record<string, unknown>;
  const model = (value as Record<string, unknown> | null)?.model;
  if (typeof model === "string") stub.model = model;
  return { value: stub as T, truncated: true, chars: JSON.stringify(stub).length };
}
