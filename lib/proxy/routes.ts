// The proxy's URL scheme. SDKs append their own paths to the base URL, so both forms below keep
// standard clients unchanged:
//   /proxy/openai/v1/...              project key in the `x-spendlens-key` header
//   /proxy/anthropic/v1/...
//   /proxy/k/<project key>/openai/v1/...      project key in the base URL, for clients that cannot
//   /proxy/k/<project key>/anthropic/v1/...   add headers
import type { ProxyProvider } from "./upstreams";

export type ProxyRoute = {
  provider: ProxyProvider;
  /** The provider API path, e.g. "/v1/chat/completions" (what the event's `endpoint` holds). */
  apiPath: string;
  /** "?..." or "". */
  query: string;
  keyFromPath: string | null;
};

const ROUTE_RE = /^\/proxy\/(?:k\/([^/]+)\/)?(openai|anthropic)(\/v1(?:\/[^?]*)?)$/;

/** Parse a request target; null when it is not a proxy route (or tries to climb out with dot segments). */
export function parseProxyRoute(target: string): ProxyRoute | null {
  const q = target.indexOf("?");
  const path = q === -1 ? target : target.slice(0, q);
  const m = ROUTE_RE.exec(path);
  if (!m) return null;
  const apiPath = m[3];
  if (/(^|\/)(\.|%2e){1,2}(\/|$)/i.test(apiPath) || /%2f/i.test(apiPath)) return null;
  return {
    provider: m[2] as ProxyProvider,
    apiPath,
    query: q === -1 ? "" : target.slice(q),
    keyFromPath: m[1] ?? null,
  };
}

// Calls that move files or manage resources rather than run a model: forwarded, not logged as calls.
const NOT_MODEL_CALLS = [
  /^\/v1\/(files|uploads|batches|fine_tuning|vector_stores|assistants|threads|models|containers|evals|organization)(\/|$)/,
  /^\/v1\/messages\/(count_tokens|batches)(\/|$)/,
  /^\/v1\/responses\/[^/]+/, // retrieve / cancel / input_items of a stored response
];

/** Whether a request is a model call the proxy logs (POSTs to generation endpoints). */
export function isLoggedCall(method: string, apiPath: string): boolean {
  if (method !== "POST") return false;
  return !NOT_MODEL_CALLS.some((re) => re.test(apiPath));
}
