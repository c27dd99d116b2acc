// Where a proxied call goes. Never a URL from the request: the provider's public API by default, or
// the project's configured override (Project.openaiUpstream / anthropicUpstream) when that URL is in
// the admin's allow-list (PROXY_UPSTREAM_ALLOWLIST). One undici Pool per upstream origin.
import dns from "node:dns";
import net from "node:net";
import { Pool } from "undici";

export type ProxyProvider = "openai" | "anthropic";

export const DEFAULT_UPSTREAMS: Record<ProxyProvider, string> = {
  openai: "https://api.openai.com",
  anthropic: "https://api.anthropic.com",
};

/**
 * Allow-list entries are origins (`https://my-llm.internal:8443`) or wildcard hosts
 * (`https://*.openai.azure.com`). An exact entry is trusted wherever it points, loopback and private
 * networks included (the admin named it). A wildcard entry is trusted only for public addresses,
 * checked when the connection is made, so a DNS name under it cannot be aimed at an internal service.
 */
export type UpstreamAllowlist = {
  exact: Set<string>;
  wildcards: { protocol: string; suffix: string; port: string }[];
};

export function parseAllowlist(value: string | undefined, field = "PROXY_UPSTREAM_ALLOWLIST"): UpstreamAllowlist {
  const list: UpstreamAllowlist = { exact: new Set(), wildcards: [] };
  for (const entry of (value ?? "").split(",").map((s) => s.trim()).filter(Boolean)) {
    const wildcard = /^(https?):\/\/\*\.([a-z0-9.-]+)(?::(\d+))?\/?$/i.exec(entry);
    if (wildcard) {
      list.wildcards.push({ protocol: `${wildcard[1].toLowerCase()}:`, suffix: `.${wildcard[2].toLowerCase()}`, port: wildcard[3] ?? "" });
      continue;
    }
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      throw new Error(`${field}: "${entry}" is not a URL (expected an origin such as https://llm.example.com)`);
    }
    if ((url.protocol !== "http:" && url.protocol !== "https:") || url.username || url.password || url.search || url.hash) {
      throw new Error(`${field}: "${entry}" must be an http(s) origin without credentials, query or fragment`);
    }
    list.exact.add(url.origin);
  }
  return list;
}

export type Upstream = {
  /** scheme://host[:port] */
  origin: string;
  /** Path prefix before the provider path (e.g. "/openai" for Azure's v1 API), "" for none. */
  basePath: string;
  /** True when the address must be checked as public at connect time (wildcard match). */
  publicOnly: boolean;
  /** An Azure OpenAI resource (calls are logged with provider "azure"). */
  azure: boolean;
};

export type UpstreamDecision = { ok: true; upstream: Upstream } | { ok: false; reason: string };

/** Decide where a project's calls for `provider` go. `override` is the project's configured URL or null. */
export function resolveUpstream(provider: ProxyProvider, override: string | null, allowlist: UpstreamAllowlist, defaults = DEFAULT_UPSTREAMS): UpstreamDecision {
  const configured = override?.trim() || null;
  const target = configured ?? defaults[provider];
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return { ok: false, reason: `the project's ${provider} upstream "${target}" is not a URL` };
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || url.username || url.password || url.search || url.hash) {
    return { ok: false, reason: `the project's ${provider} upstream must be an http(s) URL without credentials, query or fragment` };
  }
  const upstream = { origin: url.origin, basePath: url.pathname.replace(/\/+$/, ""), publicOnly: false, azure: /\.azure\.com$/i.test(url.hostname) };
  if (!configured || url.origin === new URL(defaults[provider]).origin) return { ok: true, upstream };
  if (allowlist.exact.has(url.origin)) return { ok: true, upstream };
  const host = url.hostname.toLowerCase();
  const port = url.port;
  const viaWildcard = allowlist.wildcards.some((w) => w.protocol === url.protocol && w.port === port && host.endsWith(w.suffix) && !net.isIP(host));
  if (viaWildcard) return { ok: true, upstream: { ...upstream, publicOnly: true } };
  return { ok: false, reason: `the project's ${provider} upstream ${url.origin} is not in the proxy's allow-list (PROXY_UPSTREAM_ALLOWLIST)` };
}

/** Loopback, private, link-local, CGNAT, multicast and unspecified addresses (IPv4 and IPv6). */
export function isPrivateAddress(ip: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return isPrivateAddress(mapped[1]);
  if (net.isIPv4(ip)) {
    const [a, b] = ip.split(".").map(Number);
    return (
      a === 0 || a === 10 || a === 127 || a >= 224 ||
      (a === 100 && b >= 64 && b <= 127) ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 198 && (b === 18 || b === 19))
    );
  }
  if (net.isIPv6(ip)) {
    const lower = ip.toLowerCase();
    if (lower === "::" || lower === "::1") return true;
    const first = parseInt(lower.split(":")[0] || "0", 16);
    return (first & 0xfe00) === 0xfc00 /* fc00::/7 */ || (first & 0xffc0) === 0xfe80 /* fe80::/10 */ || (first & 0xff00) === 0xff00;
  }
  return true; // not an IP at all: refuse
}

/** A dns.lookup that fails instead of returning a private address. */
export function publicOnlyLookup(hostname: string, options: dns.LookupOptions, callback: (...args: unknown[]) => void): void {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err);
    const list = addresses as dns.LookupAddress[];
    const blocked = list.find((a) => isPrivateAddress(a.address));
    if (blocked || list.length === 0) {
      return callback(Object.assign(new Error(`upstream ${hostname} resolves to a private address (${blocked?.address ?? "none"}); allow its origin exactly in PROXY_UPSTREAM_ALLOWLIST to permit it`), { code: "EPRIVATEADDR" }));
    }
    if (options.all) return callback(null, list);
    callback(null, list[0].address, list[0].family);
  });
}

export type PoolOptions = {
  /** Max connections per upstream origin. */
  connections: number;
  /** How long to wait for the upstream's status line (non-streaming completions can be slow). */
  headersTimeoutMs: number;
  /** Max silence between two body chunks. */
  bodyTimeoutMs: number;
};

export class UpstreamPools {
  private readonly pools = new Map<string, Pool>();

  constructor(private readonly options: PoolOptions) {}

  get(upstream: Upstream): Pool {
    const key = `${upstream.publicOnly ? "public:" : ""}${upstream.origin}`;
    let pool = this.pools.get(key);
    if (!pool) {
      pool = new Pool(upstream.origin, {
        connections: this.options.connections,
        pipelining: 1,
        keepAliveTimeout: 30_000,
        headersTimeout: this.options.headersTimeoutMs,
        bodyTimeout: this.options.bodyTimeoutMs,
        connect: upstream.publicOnly ? { lookup: publicOnlyLookup as never } : undefined,
      });
      this.pools.set(key, pool);
    }
    return pool;
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.close().catch(() => p.destroy())));
  }
}
