import { describe, expect, it } from "vitest";
import { HeaderError, preferIdentityEncoding, responseHeadersForClient, splitRequestHeaders } from "./headers";
import { isLoggedCall, parseProxyRoute } from "./routes";

describe("proxy routes", () => {
  it("maps both base URL forms to the provider path and keeps the query", () => {
    expect(parseProxyRoute("/proxy/openai/v1/chat/completions")).toEqual({ provider: "openai", apiPath: "/v1/chat/completions", query: "", keyFromPath: null });
    const key = "sl_abcdefABCDEF_" + "x".repeat(43);
    expect(parseProxyRoute(`/proxy/k/${key}/anthropic/v1/messages?beta=true`)).toEqual({ provider: "anthropic", apiPath: "/v1/messages", query: "?beta=true", keyFromPath: key });
  });

  it("rejects other paths and dot segments", () => {
    for (const p of ["/v1/chat/completions", "/proxy/google/v1/x", "/proxy/openai/v2/x", "/proxy/openai/v1/../../admin", "/proxy/openai/v1/%2e%2e/x", "/proxy/openai/v1/a%2fb"]) {
      expect(parseProxyRoute(p), p).toBeNull();
    }
  });

  it("logs model calls, not file or batch management", () => {
    expect(isLoggedCall("POST", "/v1/chat/completions")).toBe(true);
    expect(isLoggedCall("POST", "/v1/embeddings")).toBe(true);
    expect(isLoggedCall("POST", "/v1/responses")).toBe(true);
    expect(isLoggedCall("GET", "/v1/models")).toBe(false);
    expect(isLoggedCall("POST", "/v1/files")).toBe(false);
    expect(isLoggedCall("POST", "/v1/messages/count_tokens")).toBe(false);
    expect(isLoggedCall("POST", "/v1/responses/resp_1/cancel")).toBe(false);
  });
});

describe("request headers", () => {
  it("takes the project key and tags out and forwards the rest, provider key included", () => {
    const split = splitRequestHeaders([
      "Authorization", "Bearer sk-provider",
      "X-Spendlens-Key", "sl_key",
      "x-spendlens-feature", " support-bot ",
      "x-spendlens-user", "u-42",
      "x-spendlens-session", "s-1",
      "x-spendlens-environment", "prod",
      "X-Spendlens-Tag-Team", "growth",
      "Connection", "keep-alive, x-trace",
      "x-trace", "hop-only",
      "Host", "localhost:3100",
      "Content-Length", "10",
      "OpenAI-Organization", "org-1",
    ]);
    expect(split.projectKey).toBe("sl_key");
    expect(split.tags).toEqual({ feature: "support-bot", user: "u-42", session: "s-1", environment: "prod", team: "growth" });
    expect(split.forward).toEqual(["Authorization", "Bearer sk-provider", "OpenAI-Organization", "org-1"]);
  });

  it("rejects unknown or malformed Spendlens headers, naming them", () => {
    expect(() => splitRequestHeaders(["x-spendlens-featur", "x"])).toThrow(HeaderError);
    expect(() => splitRequestHeaders(["x-spendlens-featur", "x"])).toThrow(/x-spendlens-featur/);
    expect(() => splitRequestHeaders(["x-spendlens-tag-Bad Name!", "x"])).toThrow(/tag name/);
    expect(() => splitRequestHeaders(["x-spendlens-user", "u".repeat(5000)])).toThrow(/x-spendlens-user.*limit/);
  });

  it("asks for an uncompressed stream, replacing the client's accept-encoding", () => {
    const forward = ["Accept-Encoding", "gzip, br", "accept", "text/event-stream"];
    preferIdentityEncoding(forward);
    expect(forward).toEqual(["accept", "text/event-stream", "accept-encoding", "identity"]);
  });

  it("passes response headers unchanged except hop-by-hop ones", () => {
    const out = responseHeadersForClient(
      { "x-ratelimit-remaining-requests": "0", "x-request-id": "req_1", "retry-after": "2", connection: "keep-alive", "transfer-encoding": "chunked", "content-length": "12", "set-cookie": ["a=1", "b=2"] },
      false,
    );
    expect(out).toEqual({ "x-ratelimit-remaining-requests": "0", "x-request-id": "req_1", "retry-after": "2", "content-length": "12", "set-cookie": ["a=1", "b=2"] });
    expect(responseHeadersForClient({ "content-length": "12" }, true)).toEqual({});
  });
});
