// Is this error "the database cannot be reached right now" (answer 503 + Retry-After, the client retries)
// rather than a bug (500)? pg and the Prisma adapter wrap the cause differently, so look down the chain.

const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "EPIPE"]);
// Postgres SQLSTATEs: connection exceptions (08xxx), shutdown/cannot connect now (57P0x), too many connections.
const PG_UNAVAILABLE = /^(08\d{3}|57P0[1-3]|53300)$/;
const MESSAGE_RE = /ECONNREFUSED|ECONNRESET|timeout exceeded when trying to connect|Connection terminated|connection error|Can't reach database|the database system is (starting up|shutting down)|too many clients/i;

export function isDatabaseUnavailable(err: unknown): boolean {
  let cur: unknown = err;
  for (let depth = 0; depth < 6 && cur; depth++) {
    if (typeof cur !== "object") return false;
    const e = cur as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
    if (typeof e.code === "string" && (NETWORK_CODES.has(e.code) || PG_UNAVAILABLE.test(e.code) || e.code === "P1001" || e.code === "P1017"))
      return true;
    if (typeof e.message === "string" && MESSAGE_RE.test(e.message)) return true;
    if (Array.isArray(e.errors) && e.errors.some((x) => isDatabaseUnavailable(x))) return true; // AggregateError
    cur = e.cause;
  }
  return false;
}
