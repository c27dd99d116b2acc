import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { decryptSecret, encryptSecret, generateEncryptionKey, needsReencryption, parseEncryptionKey } from "./secrets";

const saved = { key: process.env.SPENDLENS_ENCRYPTION_KEY, prev: process.env.SPENDLENS_ENCRYPTION_KEY_PREVIOUS };

describe("encryptSecret / decryptSecret", () => {
  beforeEach(() => {
    process.env.SPENDLENS_ENCRYPTION_KEY = generateEncryptionKey();
    delete process.env.SPENDLENS_ENCRYPTION_KEY_PREVIOUS;
  });
  afterEach(() => {
    if (saved.key === undefined) delete process.env.SPENDLENS_ENCRYPTION_KEY;
    else process.env.SPENDLENS_ENCRYPTION_KEY = saved.key;
    if (saved.prev === undefined) delete process.env.SPENDLENS_ENCRYPTION_KEY_PREVIOUS;
    else process.env.SPENDLENS_ENCRYPTION_KEY_PREVIOUS = saved.prev;
  });

  it("round-trips and never contains the plaintext", () => {
    const secret = "sk-test-1234567890abcdef";
    const blob = encryptSecret(secret);
    expect(blob).not.toContain(secret);
    expect(blob).not.toContain(Buffer.from(secret).toString("base64"));
    expect(decryptSecret(blob)).toBe(secret);
    // Random IV: the same secret seals differently each time.
    expect(encryptSecret(secret)).not.toBe(blob);
  });

  it("detects tampering", () => {
    const blob = encryptSecret("sk-abc");
    const parts = blob.split(".");
    const ct = Buffer.from(parts[4], "base64url");
    ct[0] ^= 1;
    parts[4] = ct.toString("base64url");
    expect(() => decryptSecret(parts.join("."))).toThrow(/authentication/);
    expect(() => decryptSecret("garbage")).toThrow(/v1 blob/);
  });

  it("binds the context", () => {
    const blob = encryptSecret("sk-abc", "project-1");
    expect(decryptSecret(blob, "project-1")).toBe("sk-abc");
    expect(() => decryptSecret(blob, "project-2")).toThrow(/authentication/);
  });

  it("rotates keys through SPENDLENS_ENCRYPTION_KEY_PREVIOUS", () => {
    const oldKey = process.env.SPENDLENS_ENCRYPTION_KEY!;
    const blob = encryptSecret("sk-old");
    process.env.SPENDLENS_ENCRYPTION_KEY = Buffer.from(generateEncryptionKey(), "hex").toString("base64");
    expect(() => decryptSecret(blob)).toThrow(/neither SPENDLENS_ENCRYPTION_KEY/);
    process.env.SPENDLENS_ENCRYPTION_KEY_PREVIOUS = oldKey;
    expect(decryptSecret(blob)).toBe("sk-old");
    expect(needsReencryption(blob)).toBe(true);
    expect(needsReencryption(encryptSecret("sk-new"))).toBe(false);
  });

  it("names the variable when the key is missing or malformed", () => {
    delete process.env.SPENDLENS_ENCRYPTION_KEY;
    expect(() => encryptSecret("x")).toThrow(/SPENDLENS_ENCRYPTION_KEY is not set/);
    expect(() => parseEncryptionKey("abcd")).toThrow(/SPENDLENS_ENCRYPTION_KEY must be 32 bytes/);
  });
});
