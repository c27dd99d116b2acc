import { describe, expect, it } from "vitest";
import { isPrivateAddress, parseAllowlist, publicOnlyLookup, resolveUpstream } from "./upstreams";

describe("upstream allow-list", () => {
  const allow = parseAllowlist("http://127.0.0.1:9999, https://*.openai.azure.com, https://llm.example.com/");

  it("uses the provider's public API when the project has no override", () => {
    expect(resolveUpstream("openai", null, allow)).toEqual({ ok: true, upstream: { origin: "https://api.openai.com", basePath: "", publicOnly: false, azure: false } });
    expect(resolveUpstream("anthropic", "  ", allow)).toMatchObject({ ok: true, upstream: { origin: "https://api.anthropic.com" } });
  });

  it("accepts an override listed exactly (loopback included) and keeps its path prefix", () => {
    expect(resolveUpstream("openai", "http://127.0.0.1:9999", allow)).toEqual({ ok: true, upstream: { origin: "http://127.0.0.1:9999", basePath: "", publicOnly: false, azure: false } });
    expect(resolveUpstream("openai", "https://llm.example.com/openai/", allow)).toEqual({ ok: true, upstream: { origin: "https://llm.example.com", basePath: "/openai", publicOnly: false, azure: false } });
  });

  it("accepts a wildcard match only for public addresses, never for IP literals", () => {
    expect(resolveUpstream("openai", "https://acme.openai.azure.com/openai", allow)).toEqual({
      ok: true,
      upstream: { origin: "https://acme.openai.azure.com", basePath: "/openai", publicOnly: true, azure: true },
    });
    expect(resolveUpstream("openai", "http://acme.openai.azure.com", allow).ok).toBe(false); // scheme differs
    expect(resolveUpstream("openai", "https://openai.azure.com.evil.net", allow).ok).toBe(false);
  });

  it("refuses overrides that are not listed, other ports of a listed host, and URLs with credentials", () => {
    for (const url of ["http://127.0.0.1:9998", "http://10.0.0.5", "https://llm.example.com:8443", "https://user:pw@llm.example.com", "file:///etc/passwd", "not a url"]) {
      const d = resolveUpstream("openai", url, allow);
      expect(d.ok, url).toBe(false);
    }
    const d = resolveUpstream("anthropic", "http://169.254.169.254", allow);
    expect(d.ok === false && d.reason).toMatch(/PROXY_UPSTREAM_ALLOWLIST/);
  });

  it("names the setting when an entry is malformed", () => {
    expect(() => parseAllowlist("https://ok.example.com,ftp://x")).toThrow(/PROXY_UPSTREAM_ALLOWLIST: "ftp:\/\/x"/);
    expect(() => parseAllowlist("::::")).toThrow(/PROXY_UPSTREAM_ALLOWLIST/);
  });
});

describe("private addresses", () => {
  it("recognises loopback, private, link-local, CGNAT and mapped forms", () => {
    for (const ip of ["127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "::1", "::", "fd00::1", "fe80::1", "::ffff:127.0.0.1"]) {
      expect(isPrivateAddress(ip), ip).toBe(true);
    }
    for (const ip of ["8.8.8.8", "172.32.0.1", "100.128.0.1", "162.159.140.245", "2606:4700::6810:85e5", "::ffff:8.8.8.8"]) {
      expect(isPrivateAddress(ip), ip).toBe(false);
    }
  });

  it("refuses to connect a wildcard-matched name that resolves to loopback", async () => {
    const err = await new Promise<unknown>((resolve) => publicOnlyLookup("localhost", {}, (e) => resolve(e)));
    expect((err as { code?: string }).code).toBe("EPRIVATEADDR");
  });
});
