// Provider secrets never reach the database: credential fields (Authorization, api-key, ...) anywhere in
// a body and key-like strings inside text are replaced by "[REDACTED:<kind>]". What was redacted is
// reported as paths + kinds (Call.redactions), never the secret itself.
import type { IngestEvent } from "./event";

export type RedactionKind =
  | "credential_field"
  | "anthropic_key"
  | "openai_key"
  | "google_key"
  | "bearer_token"
  | "aws_access_key"
  | "private_key"
  | "jwt"
  | "generic_secret";

export type Redaction = { path: string; kind: RedactionKind };

const mark = (kind: RedactionKind) => `[REDACTED:${kind}]`;

// Object keys whose value is a credential, compared lowercased without "-" and "_".
const CREDENTIAL_KEYS = new Set([
  "authorization",
  "proxyauthorization",
  "apikey",
  "xapikey",
  "xgoogapikey",
  "openaiapikey",
  "anthropicapikey",
  "azureapikey",
  "password",
  "passwd",
  "secret",
  "clientsecret",
  "accesstoken",
  "refreshtoken",
  "awssecretaccesskey",
  "awssessiontoken",
  "privatekey",
  "cookie",
  "setcookie",
]);

type Rule = { kind: RedactionKind; re: RegExp; replace: (m: string, ...groups: string[]) => string };

// Order matters: specific formats before generic ones, and a replaced marker never matches a later rule.
const RULES: Rule[] = [
  {
    kind: "private_key",
    re: /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
    replace: () => mark("private_key"),
  },
  { kind: "anthropic_key", re: /\bsk-ant-[A-Za-z0-9_-]{20,}/g, replace: () => mark("anthropic_key") },
  { kind: "openai_key", re: /\bsk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,}/g, replace: () => mark("openai_key") },
  { kind: "google_key", re: /\bAIza[0-9A-Za-z_-]{35}/g, replace: () => mark("google_key") },
  { kind: "aws_access_key", re: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, replace: () => mark("aws_access_key") },
  { kind: "jwt", re: /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, replace: () => mark("jwt") },
  {
    kind: "bearer_token",
    re: /\b(Bearer|Basic)(\s+)[A-Za-z0-9._~+/=-]{12,}/gi,
    replace: (_m, scheme, space) => `${scheme}${space}${mark("bearer_token")}`,
  },
  {
    // password/secret = anything of 6+ chars; key/token = 16+ chars containing a digit (so prose like
    // "token: unavailable" or "max_tokens: 512" is left alone).
    kind: "generic_secret",
    re: /\b([A-Za-z0-9_.-]*(?:passw(?:or)?d|pwd|secret)[A-Za-z0-9_.-]*["']?\s*[:=]\s*["']?)([^\s"',;[\]]{6,})/gi,
    replace: (_m, lead) => `${lead}${mark("generic_secret")}`,
  },
  {
    kind: "generic_secret",
    re: /\b([A-Za-z0-9_.-]*(?:api[_-]?key|apikey|access[_-]?key|token|auth)[A-Za-z0-9_.-]*["']?\s*[:=]\s*["']?)((?=[^\s"',;[\]]*\d)[^\s"',;[\]]{16,})/gi,
    replace: (_m, lead) => `${lead}${mark("generic_secret")}`,
  },
];

// Cheap gate so the common string (prose with none of these) costs one regex test.
const MAYBE_SECRET = /sk-|AIza|AKIA|ASIA|PRIVATE KEY|eyJ|bearer|basic|passw|pwd|secret|key|token|auth/i;

/** Redact key-like substrings of one string. Returns the same string when nothing matched. */
export function redactString(s: string): { text: string; kinds: RedactionKind[] } {
  if (s.length < 6 || !MAYBE_SECRET.test(s)) return { text: s, kinds: [] };
  let text = s;
  const kinds: RedactionKind[] = [];
  for (const rule of RULES) {
    rule.re.lastIndex = 0;
    if (!rule.re.test(text)) continue;
    rule.re.lastIndex = 0;
    const before = text;
    text = text.replace(rule.re, (m: string, ...rest: unknown[]) => {
      if (m.includes("[REDACTED:")) return m;
      return rule.replace(m, ...(rest.filter((r) => typeof r === "string") as string[]));
    });
    if (text !== before && !kinds.includes(rule.kind)) kinds.push(rule.kind);
  }
  return { text, kinds };
}

// Body keys repeat endlessly ("role", "content", ...): remember the verdict per key name.
const credentialKeyVerdicts = new Map<string, boolean>();
function isCredentialKey(key: string): boolean {
  let verdict = credentialKeyVerdicts.get(key);
  if (verdict === undefined) {
    verdict = key.length <= 40 && CREDENTIAL_KEYS.has(key.toLowerCase().replace(/[-_]/g, ""));
    if (credentialKeyVerdicts.size > 10_000) credentialKeyVerdicts.clear();
    credentialKeyVerdicts.set(key, verdict);
  }
  return verdict;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** "request.messages[1].content" from path steps; built only when something is redacted. */
function formatPath(steps: Array<string | number>): string {
  let out = String(steps[0]);
  for (let i = 1; i < steps.length; i++) {
    const step = steps[i];
    if (typeof step === "number") out += `[${step}]`;
    else out += IDENTIFIER.test(step) ? `.${step}` : `[${JSON.stringify(step)}]`;
  }
  return out;
}

function walk(value: unknown, steps: Array<string | number>, out: Redaction[]): unknown {
  if (typeof value === "string") {
    const r = redactString(value);
    if (r.kinds.length === 0) return value;
    const path = formatPath(steps);
    for (const kind of r.kinds) out.push({ path, kind });
    return r.text;
  }
  if (Array.isArray(value)) {
    let copy: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      if (v === null || (typeof v !== "object" && typeof v !== "string")) continue;
      steps.push(i);
      const next = walk(v, steps, out);
      steps.pop();
      if (next !== v) {
        copy ??= value.slice();
        copy[i] = next;
      }
    }
    return copy ?? value;
  }
  if (typeof value === "object" && value !== null) {
    let copy: Record<string, unknown> | null = null;
    const obj = value as Record<string, unknown>;
    for (const key in obj) {
      const v = obj[key];
      if (v === null || v === undefined || typeof v === "boolean" || (typeof v === "number" && !isCredentialKey(key))) continue;
      let next: unknown;
      steps.push(key);
      if (v !== "" && typeof v !== "object" && isCredentialKey(key)) {
        next = mark("credential_field");
        out.push({ path: formatPath(steps), kind: "credential_field" });
      } else {
        next = walk(v, steps, out);
      }
      steps.pop();
      if (next !== v) {
        copy ??= { ...obj };
        copy[key] = next;
      }
    }
    return copy ?? value;
  }
  return value;
}

/**
 * Redact a JSON value; copies only the objects/arrays on the path to a change, so the common case (no
 * secrets) allocates nothing. Appends what it redacted to `out` (paths start with `path`).
 */
export function redactJson<T>(value: T, path: string, out: Redaction[]): T {
  return walk(value, [path], out) as T;
}

/** Redact the parts of an event that reach storage: bodies, error message and tags. */
export function redactEvent(event: IngestEvent): { event: IngestEvent; redactions: Redaction[] } {
  const redactions: Redaction[] = [];
  const request = redactJson(event.request, "request", redactions);
  const response = event.response === null ? null : redactJson(event.response, "response", redactions);
  const error = event.error ? redactJson(event.error, "error", redactions) : event.error;
  const tags = event.tags ? redactJson(event.tags, "tags", redactions) : event.tags;
  if (redactions.length === 0) return { event, redactions };
  const out: IngestEvent = { ...event, request, response };
  if (error) out.error = error;
  if (tags) out.tags = tags;
  return { event: out, redactions };
}
