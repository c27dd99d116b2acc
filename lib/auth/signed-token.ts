// HMAC-signed tokens for links sent by email (unsubscribe, email verification): the payload is readable,
// the signature binds it to the app secret and to one purpose, so a token made for one use cannot be
// replayed for another and cannot be forged without the secret.
import { createHmac, timingSafeEqual } from "node:crypto";

function secret(): string {
  const s = process.env.NEXTAUTH_SECRET;
  if (!s) throw new Error("NEXTAUTH_SECRET is not set (the launcher generates one)");
  return s;
}

function mac(purpose: string, payload: string): string {
  return createHmac("sha256", secret()).update(`${purpose}:${payload}`).digest("base64url");
}

export function signToken(purpose: string, data: unknown): string {
  const payload = Buffer.from(JSON.stringify(data)).toString("base64url");
  return `${payload}.${mac(purpose, payload)}`;
}

/** The signed data, or null for a malformed or forged token. */
export function verifyToken(purpose: string, token: string): unknown {
  const [payload, sig, extra] = token.split(".");
  if (!payload || !sig || extra !== undefined) return null;
  const a = Buffer.from(sig);
  const b = Buffer.from(mac(purpose, payload));
  if (a.length !== b.length || !timingSafeEqual(a, b)) return null;
  try {
    return JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  } catch {
    return null;
  }
}
