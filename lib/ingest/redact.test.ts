import { describe, expect, it } from "vitest";
import type { IngestEvent } from "./event";
import { redactEvent, redactString } from "./redact";

const OPENAI_KEY = "sk-proj-" + "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z" + "AbCdEfGh";
const ANTHROPIC_KEY = "sk-ant-api03-" + "x".repeat(20) + "Y7z_" + "q".repeat(40);
const GOOGLE_KEY = "AIza" + "SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q";
const AWS_KEY = "AKIA" + "IOSFODNN7EXAMPLE";

describe("redactString", () => {
  it("replaces each kind of key-like string and says which kinds", () => {
    const cases: Array<[string, string]> = [
      [`my key is ${OPENAI_KEY} ok`, "openai_key"],
      [`use ${ANTHROPIC_KEY}`, "anthropic_key"],
      [`?key=${GOOGLE_KEY}`, "google_key"],
      [`aws ${AWS_KEY} here`, "aws_access_key"],
      ["Authorization: Bearer abcdefABCDEF0123456789xyz", "bearer_token"],
      ["password=hunter2hunter2", "generic_secret"],
      ["db_password: 's3cr3t-Pa55'", "generic_secret"],
      ["STRIPE_API_KEY=rk_live_51Hx9aB2cD3eF4gH5iJ6kL", "generic_secret"],
      ["-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----", "private_key"],
      ["token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", "jwt"],
    ];
    for (const [input, kind] of cases) {
      const r = redactString(input);
      expect(r.kinds, input).toContain(kind);
      expect(r.text).toContain(`[REDACTED:`);
    }
    expect(redactString(`x ${OPENAI_KEY}`).text).not.toContain("Ab3dEf6h");
    expect(redactString(`use ${ANTHROPIC_KEY}`).text).toBe("use [REDACTED:anthropic_key]");
  });

  it("leaves ordinary prose and token counts alone", () => {
    for (const s of [
      "Set max_tokens: 512 and temperature 0.2",
      "The token limit is unavailable today",
      "Please reset my password, I forgot it",
      "I lost my card and need a new key for the locker",
      "sk-short",
    ]) {
      expect(redactString(s)).toEqual({ text: s, kinds: [] });
    }
  });
});

describe("redactEvent", () => {
  const event: IngestEvent = {
    id: "e1",
    timestamp: "2026-12-01T00:00:00Z",
    provider: "openai",
    endpoint: "/v1/chat/completions",
    request: {
      model: "gpt-4o",
      headers: { Authorization: `Bearer ${OPENAI_KEY}`, "api-key": "azure-key-123" },
      messages: [
        { role: "system", content: "You are helpful." },
        { role: "user", content: `debug this: client = OpenAI(api_key="${OPENAI_KEY}")` },
      ],
    },
    response: { choices: [{ message: { content: `Your key ${GOOGLE_KEY} is public` } }] },
    error: { status: 401, message: `Incorrect API key provided: ${OPENAI_KEY}` },
    latency_ms: 10,
    tags: { feature: "x", deploy_token: `token=${"a1".repeat(12)}` },
  };

  it("scrubs credential fields, key-like strings in bodies, error and tags, and reports paths and kinds only", () => {
    const { event: out, redactions } = redactEvent(event);
    const stored = JSON.stringify(out);
    expect(stored).not.toContain("Ab3dEf6h");
    expect(stored).not.toContain("azure-key-123");
    expect(stored).not.toContain("SyA1b2C3");
    expect(stored).not.toContain("a1a1a1a1a1a1a1a1");
    expect(redactions).toEqual(
      expect.arrayContaining([
        { path: "request.headers.Authorization", kind: "credential_field" },
        { path: 'request.headers["api-key"]', kind: "credential_field" },
        { path: "request.messages[1].content", kind: "openai_key" },
        { path: "response.choices[0].message.content", kind: "google_key" },
        { path: "error.message", kind: "openai_key" },
        { path: "tags.deploy_token", kind: "generic_secret" },
      ]),
    );
    expect(JSON.stringify(redactions)).not.toContain("sk-");
    // Untouched parts are the same objects (copy on write), and the input is not mutated.
    expect((out.request.messages as unknown[])[0]).toBe((event.request.messages as unknown[])[0]);
    expect(JSON.stringify(event)).toContain("Ab3dEf6h");
  });

  it("returns the event itself when there is nothing to redact", () => {
    const clean: IngestEvent = { ...event, request: { model: "gpt-4o", messages: [] }, response: null, error: undefined, tags: undefined };
    const r = redactEvent(clean);
    expect(r.event).toBe(clean);
    expect(r.redactions).toEqual([]);
  });
});
