// Which base URLs a project may point replays at. A replay endpoint receives a project's provider key
// and the worker's requests, so a project admin must not be able to aim it at internal services: the
// well-known public provider APIs are always allowed; any other origin only when the server admin lists
// it in PROXY_UPSTREAM_ALLOWLIST (the same list that governs the proxy's upstreams, same syntax). A
// wildcard entry allows public addresses only, checked when the connection is made.
import { parseAllowlist } from "../../proxy/upstreams";
import net from "node:net";

/** Default SDK base URL per provider family (public APIs; OpenAI-compatible unless anthropic). */
export const DEFAULT_BASE_URLS: Record<string, string> = {
  openai: "https://api.openai.com/v1",
  anthropic: "https://api.anthropic.com",
  mistral: "https://api.mistral.ai/v1",
  google: "https://generativelanguage.googleapis.com/v1beta/openai",
  deepseek: "https://api.deepseek.com/v1",
  groq: "https://api.groq.com/openai/v1",
  together: "https://api.together.xyz/v1",
  fireworks: "https://api.fireworks.ai/inference/v1",
};

const PUBLIC_ORIGINS = new Set(Object.values(DEFAULT_BASE_URLS).map((u) => new URL(u).origin));

export type EndpointDecision = { ok: true; publicOnly: boolean } | { ok: false; reason: string };

/** Decide whether replays may use `baseUrl` (call at save time and again before use: the list can change). */
export function checkReplayEndpoint(baseUrl: string, allowlistValue = process.env.PROXY_UPSTREAM_ALLOWLIST): EndpointDecision {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return { ok: false, reason: "baseUrl is not a URL" };
  }
  if ((url.protocol !== "https:" && url.protocol !== "http:") || url.username || url.password || url.search || url.hash) {
    return { ok: false, reason: "baseUrl must be an http(s) URL without credentials, query or fragment" };
  }
  if (url.protocol === "https:" && PUBLIC_ORIGINS.has(url.origin)) return { ok: true, publicOnly: false };
  const list = parseAllowlist(allowlistValue);
  if (list.exact.has(url.origin)) return { ok: true, publicOnly: false };
  const host = url.hostname.toLowerCase();
  if (list.wildcards.some((w) => w.protocol === url.protocol && w.port === url.port && host.endsWith(w.suffix) && !net.isIP(host))) return { ok: true, publicOnly: true };
  return { ok: false, reason: `baseUrl ${url.origin} is neither a known provider API nor in the server's allow-list (PROXY_UPSTREAM_ALLOWLIST)` };
}
