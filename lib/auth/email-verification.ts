// Email verification: after sign-up a signed, expiring link is mailed through the same delivery path as
// reports and invitations (SMTP, or the .eml outbox). Opening it marks the address verified — only if
// the account still has that address, so a link for an old address verifies nothing.
import { createHash } from "node:crypto";
import { db } from "../db/client";
import { escapeHtml } from "../html/escape";
import { deliverEmail, type DeliveryResult } from "../email/deliver";
import { appUrl } from "../email/unsubscribe";
import { signToken, verifyToken } from "./signed-token";

const PURPOSE = "verify-email";
export const VERIFY_LINK_TTL_MS = 7 * 86_400_000;

export function emailVerificationToken(user: { id: string; email: string }, now = Date.now()): string {
  return signToken(PURPOSE, { u: user.id, e: user.email, x: now + VERIFY_LINK_TTL_MS });
}

export function verificationUrl(user: { id: string; email: string }): string {
  return `${appUrl()}/api/email/verify?token=${encodeURIComponent(emailVerificationToken(user))}`;
}

export async function sendVerificationEmail(user: { id: string; email: string; name?: string | null }): Promise<DeliveryResult> {
  const link = verificationUrl(user);
  const emailHash = createHash("sha256").update(user.email).digest("hex").slice(0, 16);
  return deliverEmail({
    dedupeKey: `verify:${user.id}:${emailHash}`,
    kind: "verify-email",
    to: user.email,
    subject: "Confirm your email address for Spendlens",
    text: `Hello${user.name ? ` ${user.name}` : ""},\n\nConfirm that ${user.email} is your address by opening this link (valid for 7 days):\n${link}\n\nIf you did not sign up for Spendlens, ignore this message.`,
    html: `<p>Hello${user.name ? ` ${escapeHtml(user.name)}` : ""},</p><p>Confirm that ${escapeHtml(user.email)} is your address (the link is valid for 7 days):</p><p><a href="${link}">Confirm my email address</a></p><p>If you did not sign up for Spendlens, ignore this message.</p>`,
  });
}

export type VerifyOutcome = "verified" | "invalid" | "expired" | "stale";

/** Apply a verification token. Idempotent. */
export async function verifyEmail(token: string, now = Date.now()): Promise<VerifyOutcome> {
  const data = verifyToken(PURPOSE, token) as { u?: unknown; e?: unknown; x?: unknown } | null;
  if (!data || typeof data.u !== "string" || typeof data.e !== "string" || typeof data.x !== "number") return "invalid";
  if (data.x < now) return "expired";
  const res = await db.user.updateMany({ where: { id: data.u, email: data.e }, data: { emailVerifiedAt: new Date(now) } });
  return res.count > 0 ? "verified" : "stale";
}

