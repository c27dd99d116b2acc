import { describe, expect, it } from "vitest";
import { assertSameOrigin } from "./route";
import { safeLocalPath } from "./local-path";
import { serverUrls } from "./server-urls";
import { ForbiddenError } from "./errors";

describe("safeLocalPath", () => {
  it("keeps same-site paths and refuses anything that leaves the site", () => {
    expect(safeLocalPath("/acme/app/overview")).toBe("/acme/app/overview");
    for (const bad of ["https://evil.example/", "//evil.example", "/\\evil.example", "javascript:alert(1)", "", undefined, "/api/auth/signout"]) {
      expect(safeLocalPath(bad, "/")).toBe("/");
    }
  });
});

describe("assertSameOrigin", () => {
  const req = (method: string, headers: Record<string, string>) => new Request("http://localhost:3000/api/x", { method, headers });
  it("allows reads, same-origin writes and non-browser clients; refuses cross-site writes", () => {
    expect(() => assertSameOrigin(req("GET", { origin: "http://evil.example" }))).not.toThrow();
    expect(() => assertSameOrigin(req("POST", { origin: "http://localhost:3000", host: "localhost:3000" }))).not.toThrow();
    expect(() => assertSameOrigin(req("POST", {}))).not.toThrow();
    expect(() => assertSameOrigin(req("POST", { origin: "http://localhost:4000", host: "localhost:3000" }))).toThrow(ForbiddenError);
    expect(() => assertSameOrigin(req("DELETE", { "sec-fetch-site": "cross-site" }))).toThrow(ForbiddenError);
    expect(() => assertSameOrigin(req("PATCH", { origin: "null", host: "localhost:3000" }))).toThrow(ForbiddenError);
  });
});

describe("serverUrls", () => {
  it("uses the browser's host for the app and the proxy port for the proxy", () => {
    const urls = serverUrls(new Headers({ host: "10.0.0.5:3000" }), { PROXY_PORT: "3100" });
    expect(urls).toEqual({ appUrl: "http://10.0.0.5:3000", proxyOpenAiUrl: "http://10.0.0.5:3100/proxy/openai/v1" });
    const behindProxy = serverUrls(new Headers({ host: "internal:3000", "x-forwarded-host": "spend.example.com", "x-forwarded-proto": "https" }), {});
    expect(behindProxy.appUrl).toBe("https://spend.example.com");
    expect(behindProxy.proxyOpenAiUrl).toBe("http://spend.example.com:3100/proxy/openai/v1");
  });
});
