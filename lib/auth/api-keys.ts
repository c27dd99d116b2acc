// Project API keys: "sl_" + 12-char public prefix + "_" + 32-byte secret (base64url).
// Only the prefix and a sha256 of the whole key are stored; the key is shown once at creation.
// A fast hash is right here (unlike passwords): the secret has 256 bits of entropy, so it cannot be
// guessed offline, and verification sits on the ingest hot path.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { db } from "../db/client";
import { processShared } from "../runtime/process-shared";

const KEY_RE = /^sl_([A-Za-z0-9]{12})_([A-Za-z0-9_-]{43})$/;

export function hashApiKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

export function generateApiKey(): { key: string; prefix: string; secretHash: string } {
  const prefix = randomBytes(9).toString("base64").replace(/[^A-Za-z0-9]/g, "").padEnd(12, "0").slice(0, 12);
  const key = `sl_${prefix}_${randomBytes(32).toString("base64url")}`;
  return { key, prefix: `sl_${prefix}`, secretHash: hashApiKey(key) };
}

export async function createApiKey(input: { projectId: string; name: string; createdById?: string | null }) {
  const { key, prefix, secretHash } = generateApiKey();
  const row = await db.apiKey.create({
    data: { projectId: input.projectId, name: input.name, prefix, secretHash, createdById: input.createdById ?? null },
  });
  return { key, apiKey: row };
}

export type VerifiedKey = { keyId: string; projectId: string; organizationId: string };
export type KeyFailure = { error: "missing" | "malformed" | "invalid" | "revoked" };

type CacheEntry = { at: number; value: VerifiedKey | KeyFailure; secretHash: string };
// One per process (lib/runtime/process-shared.ts): keys are revoked in the Next.js bundle and checked by
// the launcher's ingest path, and a revocation must reach it at once, not after CACHE_MS.
const cache = processShared("api-key-cache", () => new Map<string, CacheEntry>());
const CACHE_MS = 10_000; // a revoked key stops working within this many ms on every process
const LAST_USED_EVERY_MS = 60_000;
const lastUsedWritten = new Map<string, number>();

/** Extract the key from `Authorization: Bearer <key>` (or a raw key). */
export function keyFromAuthorization(header: string | null | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1] : null;
}

/** Check a presented key. Cached briefly so ingest does not hit the database per request. */
export async function verifyApiKey(raw: string | null | undefined): Promise<VerifiedKey | KeyFailure> {
  if (!raw) return { error: "missing" };
  const m = KEY_RE.exec(raw);
  if (!m) return { error: "malformed" };
  const prefix = `sl_${m[1]}`;
  const presentedHash = hashApiKey(raw);
  const now = Date.now();
  const hit = cache.get(prefix);
  let entry = hit && now - hit.at < CACHE_MS ? hit : undefined;
  if (!entry) {
    const row = await db.apiKey.findUnique({
      where: { prefix },
      select: { id: true, projectId: true, secretHash: true, revokedAt: true, project: { select: { organizationId: true } } },
    });
    const value: VerifiedKey | KeyFailure = !row
      ? { error: "invalid" }
      : row.revokedAt
        ? { error: "revoked" }
        : { keyId: row.id, projectId: row.projectId, organizationId: row.project.organizationId };
    entry = { at: now, value, secretHash: row?.secretHash ?? "" };
    cache.set(prefix, entry);
  }
  if ("error" in entry.value) return entry.value;
  const a = Buffer.from(entry.secretHash, "hex");
  const b = Buffer.from(presentedHash, "hex");
  if (a.length !== b.length || !timingSafeEqual(a, b)) return { error: "invalid" };
  const last = lastUsedWritten.get(entry.value.keyId) ?? 0;
  if (now - last > LAST_USED_EVERY_MS) {
    lastUsedWritten.set(entry.value.keyId, now);
    void db.apiKey.update({ where: { id: entry.value.keyId }, data: { lastUsedAt: new Date(now) } }).catch(() => {});
  }
  return entry.value;
}

/** Revoke and drop from this process's cache at once (other processes within CACHE_MS). */
export async function revokeApiKey(keyId: string, projectId: string): Promise<boolean> {
  const res = await db.apiKey.updateMany({ where: { id: keyId, projectId, revokedAt: null }, data: { revokedAt: new Date() } });
  for (const [prefix, entry] of cache) if (!("error" in entry.value) && entry.value.keyId === keyId) cache.delete(prefix);
  return res.count > 0;
}

/** Test hook: forget cached verifications. */
export function clearApiKeyCache(): void {
  cache.clear();
}
