// What became of emails, by their exactly-once keys (EmailMessage.dedupeKey, written by deliver.ts):
// for screens that show, next to the thing an email was about, whether it went out. Always scoped to one
// organization, so a key of another tenant's message reads as "none".
import { db } from "../db/client";

export type EmailDeliveryStatus =
  /** Handed to the SMTP server. */
  | { state: "emailed"; at: Date; messageId: string }
  /** No SMTP configured: written as an .eml file, readable on the outbox page. */
  | { state: "outbox"; at: Date; messageId: string }
  | { state: "failed"; reason: string; messageId: string }
  | { state: "sending"; messageId: string }
  /** No email was attempted under this key. */
  | { state: "none" };

/** Status per dedupe key (every key in the answer; "none" when no message has it in this organization). */
export async function emailDeliveryStatuses(organizationId: string, dedupeKeys: string[]): Promise<Map<string, EmailDeliveryStatus>> {
  const out = new Map<string, EmailDeliveryStatus>(dedupeKeys.map((k) => [k, { state: "none" }]));
  if (dedupeKeys.length === 0) return out;
  const rows = await db.emailMessage.findMany({
    where: { organizationId, dedupeKey: { in: dedupeKeys } },
    select: { id: true, dedupeKey: true, status: true, emlPath: true, error: true, sentAt: true, createdAt: true },
  });
  for (const r of rows) {
    const at = r.sentAt ?? r.createdAt;
    if (r.status === "sent") out.set(r.dedupeKey, r.emlPath ? { state: "outbox", at, messageId: r.id } : { state: "emailed", at, messageId: r.id });
    else if (r.status === "failed") out.set(r.dedupeKey, { state: "failed", reason: r.error ?? "unknown error", messageId: r.id });
    else out.set(r.dedupeKey, { state: "sending", messageId: r.id });
  }
  return out;
}
