// Signed one-click unsubscribe links (RFC 8058): the token names the membership and the list, and is
// HMAC-signed with the app secret, so it needs no session and cannot be forged for someone else.
import { signToken, verifyToken } from "../auth/signed-token";
import { db } from "../db/client";

export type UnsubscribeTarget = { membershipId: string; list: "weekly" };

const PURPOSE = "unsubscribe";

export function unsubscribeToken(t: UnsubscribeTarget): string {
  return signToken(PURPOSE, [t.membershipId, t.list]);
}

export function verifyUnsubscribeToken(token: string): UnsubscribeTarget | null {
  const data = verifyToken(PURPOSE, token);
  if (!Array.isArray(data)) return null;
  const [membershipId, list] = data as [unknown, unknown];
  return list === "weekly" && typeof membershipId === "string" ? { membershipId, list } : null;
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
