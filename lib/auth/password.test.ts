import { describe, expect, it } from "vitest";
import { hashPassword, verifyPassword } from "./password";

describe("password hashing (scrypt)", () => {
  it("verifies the right password and rejects a wrong one", async () => {
    const hash = await hashPassword("correct horse battery staple");
    expect(await verifyPassword("correct horse battery staple", hash)).toBe(true);
    expect(await verifyPassword("correct horse battery stapl", hash)).toBe(false);
    expect(await verifyPassword("", hash)).toBe(false);
  });

  it("stores parameters and a per-user salt in the hash string", async () => {
    const a = await hashPassword("same password");
    const b = await hashPassword("same password");
    expect(a).not.toBe(b); // different salts
    const [kdf, N, r, p, salt, key] = a.split("$");
    expect(kdf).toBe("scrypt");
    expect(Number(N)).toBeGreaterThanOrEqual(2 ** 14);
    expect(Number(r)).toBe(8);
    expect(Number(p)).toBe(1);
    expect(Buffer.from(salt, "base64url").length).toBe(16);
    expect(Buffer.from(key, "base64url").length).toBe(64);
    expect(a).not.toContain("same password");
  });

  it("keeps verifying hashes made with other cost parameters", async () => {
    const cheap = await hashPassword("pw-with-old-cost", { N: 2 ** 10, r: 8, p: 1 });
    expect(cheap.startsWith("scrypt$1024$8$1$")).toBe(true);
    expect(await verifyPassword("pw-with-old-cost", cheap)).toBe(true);
    expect(await verifyPassword("other", cheap)).toBe(false);
  });

  it("rejects malformed or tampered hashes instead of throwing", async () => {
    const hash = await hashPassword("pw-123456");
    expect(await verifyPassword("pw-123456", "plaintext")).toBe(false);
    expect(await verifyPassword("pw-123456", hash.replace(/^scrypt/, "bcrypt"))).toBe(false);
    expect(await verifyPassword("pw-123456", "scrypt$99999999$8$1$c2FsdA$a2V5")).toBe(false);
    const parts = hash.split("$");
    parts[5] = Buffer.alloc(64, 1).toString("base64url");
    expect(await verifyPassword("pw-123456", parts.join("$"))).toBe(false);
  });
});
