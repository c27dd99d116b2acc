// Encryption at rest for secrets we must be able to use again (provider API keys for replays).
// AES-256-GCM with a random 96-bit IV per secret; the key comes from SPENDLENS_ENCRYPTION_KEY
// (32 bytes as 64 hex chars or base64; the launcher generates and persists one for the embedded
// default). Blobs name the key they were sealed with (8 hex chars of its sha256), so the key can be
// rotated: put the old one in SPENDLENS_ENCRYPTION_KEY_PREVIOUS (comma-separated) until re-encrypted.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

const VERSION = "v1";

type Key = { id: string; bytes: Buffer };

export class SecretKeyError extends Error {}

/** Parse a 32-byte key written as 64 hex characters or base64/base64url. */
export function parseEncryptionKey(text: string, name = "SPENDLENS_ENCRYPTION_KEY"): Buffer {
  const t = text.trim();
  const bytes = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, "hex") : Buffer.from(t.replace(/-/g, "+").replace(/_/g, "/"), "base64");
  if (bytes.length !== 32) {
    throw new SecretKeyError(`${name} must be 32 bytes (64 hex characters or 44 base64 characters), got ${bytes.length} bytes`);
  }
  return bytes;
}

function keyId(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex").slice(0, 8);
}

function currentKey(): Key {
  const raw = process.env.SPENDLENS_ENCRYPTION_KEY;
  if (!raw) throw new SecretKeyError("SPENDLENS_ENCRYPTION_KEY is not set: provider keys cannot be stored or used (generate one with `openssl rand -hex 32`)");
  const bytes = parseEncryptionKey(raw);
  return { id: keyId(bytes), bytes };
}

function allKeys(): Key[] {
  const keys = [currentKey()];
  for (const part of (process.env.SPENDLENS_ENCRYPTION_KEY_PREVIOUS ?? "").split(",")) {
    if (!part.trim()) continue;
    const bytes = parseEncryptionKey(part, "SPENDLENS_ENCRYPTION_KEY_PREVIOUS");
    keys.push({ id: keyId(bytes), bytes });
  }
  return keys;
}

/** A fresh random key in the hex form SPENDLENS_ENCRYPTION_KEY accepts. */
export function generateEncryptionKey(): string {
  return randomBytes(32).toString("hex");
}

/**
 * Seal `plain`. `context` (e.g. the credential's project id) is bound as associated data: the blob
 * only opens with the same context, so a row copied into another project's credential is useless.
 */
export function encryptSecret(plain: string, context = ""): string {
  if (typeof plain !== "string" || plain === "") throw new Error("secret must be a non-empty string");
  const key = currentKey();
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key.bytes, iv);
  cipher.setAAD(Buffer.from(context, "utf8"));
  const ct = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [VERSION, key.id, iv.toString("base64url"), tag.toString("base64url"), ct.toString("base64url")].join(".");
}

/** Open a blob from encryptSecret. Throws on tampering, a wrong context or an unknown key. */
export function decryptSecret(blob: string, context = ""): string {
  const parts = typeof blob === "string" ? blob.split(".") : [];
  if (parts.length !== 5 || parts[0] !== VERSION) throw new Error("encrypted secret is not a v1 blob");
  const [, id, iv, tag, ct] = parts;
  const key = allKeys().find((k) => k.id === id);
  if (!key) throw new SecretKeyError(`encrypted secret was sealed with key ${id}, which is neither SPENDLENS_ENCRYPTION_KEY nor in SPENDLENS_ENCRYPTION_KEY_PREVIOUS`);
  try {
    const decipher = createDecipheriv("aes-256-gcm", key.bytes, Buffer.from(iv, "base64url"));
    decipher.setAAD(Buffer.from(context, "utf8"));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([decipher.update(Buffer.from(ct, "base64url")), decipher.final()]).toString("utf8");
  } catch {
    // Never echo the blob or the key: the message only says that authentication failed.
    throw new Error("encrypted secret failed authentication (tampered, or a different context)");
  }
}

/** True when the blob was sealed with an older key and should be re-encrypted. */
export function needsReencryption(blob: string): boolean {
  return blob.split(".")[1] !== currentKey().id;
}
