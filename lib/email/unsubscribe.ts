// Signed one-click unsubscribe links (RFC 8058): the token names the membership and the list, and is
// HMAC-signed with the app secret, so it needs no session and cannot be forged for someone else.
import { createHmac, timingSafeEqual } from "node:crypto";
import { db } from "../db/client";

export type UnsubscribeTarget = { membershipId: string; list: "weekly" };

function secret(): string {
  const s = process.env.NEXTAUTH_SECRET;
  if (!s) throw new Error("NEXTAUTH_SECRET is not set (the launcher generates one)");
  return s;
}

function sign(payload: string): string {
  return createHmac("sha256", secret()).update(`unsubscribe:${payload}`).digest("base64url");
}

export function unsubscribeToken(t: UnsubscribeTarget): string {
  const payload = Buffer.from(JSON.stringify([t.membershipId, t.list])).toString("base64url");
  return `${payload}.${sign(payload)}`;
}

export function verifyUnsubscribeToken(token: string): UnsubscribeTarget | null {
  const [payload, mac] = token.split(".");
  if (!payload || !mac) return null;
  const a = Buffer.from(mac);
  const b = Buffer.from(sign(payload));
  if (a.length !== b.length || !timingSafeEqual(a, b)) return null;
  try {
    const [membershipId, list] = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as [string, string];
    return list === "weekly" && typeof membershipId === "string" ? { membershipId, list } : null;
  } catch {
    return null;
  }
}

export function appUrl(): string {
  return (process.env.NEXTAUTH_URL ?? "http://localhost:3000").replace(/\/$/, "");
}

export function unsubscribeUrl(t: UnsubscribeTarget): string {
  return `${appUrl()}/api/email/unsubscribe?token=${encodeURIComponent(unsubscribeToken(t))}`;
}

/** Headers that let mail clients offer one-click unsubscribe. */
export function listUnsubscribeHeaders(t: UnsubscribeTarget): Record<string, string> {
  return { "List-Unsubscribe": `<${unsubscribeUrl(t)}>`, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click" };
}

/** Apply a token: returns false for a bad token. Idempotent. */
export async function unsubscribe(token: string): Promise<boolean> {
  const target = verifyUnsubscribeToken(token);
  if (!target) return false;
  await db.membership.updateMany({ where: { id: target.membershipId }, data: { weeklyReport: false } });
  return true;
}
