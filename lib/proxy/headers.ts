// Request and response headers across the proxy. Everything `x-spendlens-*` is ours: the project key
// and the call's tags are taken out and never reach the provider. Hop-by-hop headers stay on their hop.
// The provider key (Authorization / x-api-key / api-key) is forwarded as is and never copied anywhere else.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";
import { EVENT_LIMITS } from "../ingest/validate";

export type CallTags = { feature?: string; user?: string; session?: string; environment?: string; [k: string]: string | undefined };

export type SplitRequestHeaders = {
  /** Flat [name, value, ...] list for undici, in the client's order and casing. */
  forward: string[];
  tags: CallTags;
  projectKey: string | null;
};

export class HeaderError extends Error {
  constructor(readonly header: string, message: string) {
    super(message);
  }
}

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authorization",
  "proxy-authenticate",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "expect",
  "host",
  "content-length",
]);

const PREFIX = "x-spendlens-";
const NAMED_TAGS: Record<string, keyof CallTags> = {
  "x-spendlens-feature": "feature",
  "x-spendlens-user": "user",
  "x-spendlens-session": "session",
  "x-spendlens-environment": "environment",
};
const TAG_NAME_RE = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
// The same limits the ingest validator applies, so a tag that passes here is stored.
const MAX_TAG_VALUE = EVENT_LIMITS.tagValueMaxChars;
const MAX_TAGS = EVENT_LIMITS.tagsMaxKeys;

/**
 * Split the client's raw headers into what is forwarded and what is ours.
 * @throws HeaderError naming the header when a Spendlens header is malformed.
 */
export function splitRequestHeaders(rawHeaders: string[]): SplitRequestHeaders {
  const forward: string[] = [];
  const tags: CallTags = {};
  let tagCount = 0;
  let projectKey: string | null = null;
  let connectionListed: Set<string> | null = null;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    if (name === "connection") connectionListed = new Set(rawHeaders[i + 1].toLowerCase().split(",").map((s) => s.trim()));
  }
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const rawName = rawHeaders[i];
    const value = rawHeaders[i + 1];
    const name = rawName.toLowerCase();
    if (name.startsWith(PREFIX)) {
      if (name === "x-spendlens-key") {
        projectKey = value.trim();
        continue;
      }
      const tag = NAMED_TAGS[name] ?? (name.startsWith("x-spendlens-tag-") ? name.slice("x-spendlens-tag-".length) : null);
      if (tag === null) {
        throw new HeaderError(rawName, `unknown header ${rawName}: Spendlens reads x-spendlens-key, -feature, -user, -session, -environment and -tag-<name>`);
      }
      if (!TAG_NAME_RE.test(String(tag))) {
        throw new HeaderError(rawName, `header ${rawName}: a tag name is 1-64 characters of a-z, 0-9, "_", "." or "-"`);
      }
      const trimmed = value.trim();
      if (trimmed.length > MAX_TAG_VALUE) {
        throw new HeaderError(rawName, `header ${rawName}: the value is ${trimmed.length} characters; the limit is ${MAX_TAG_VALUE}`);
      }
      if (++tagCount > MAX_TAGS) throw new HeaderError(rawName, `at most ${MAX_TAGS} x-spendlens tag headers per call`);
      if (trimmed) tags[tag] = trimmed;
      continue;
    }
    if (HOP_BY_HOP.has(name) || connectionListed?.has(name)) continue;
    forward.push(rawName, value);
  }
  return { forward, tags, projectKey };
}

/** Ask the upstream for an uncompressed body (streams: the proxy reads events as they pass). */
export function preferIdentityEncoding(forward: string[]): void {
  for (let i = forward.length - 2; i >= 0; i -= 2) {
    if (forward[i].toLowerCase() === "accept-encoding") forward.splice(i, 2);
  }
  forward.push("accept-encoding", "identity");
}

const RESPONSE_HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "proxy-connection", "trailer", "upgrade"]);

/**
 * The upstream's response headers as the client should see them: unchanged (status, rate-limit
 * headers, request ids, content type), minus hop-by-hop ones. `dropLength` when the proxy changes the body.
 */
export function responseHeadersForClient(headers: IncomingHttpHeaders, dropLength: boolean): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || RESPONSE_HOP_BY_HOP.has(name)) continue;
    if (dropLength && name === "content-length") continue;
    out[name] = value;
  }
  return out;
}
