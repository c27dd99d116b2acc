// Email delivery, exactly once per dedupe key: nodemailer over SMTP when SMTP_URL is set; otherwise the
// message is written as an .eml file under <data dir>/outbox and listed in the app, so nothing is dropped.
// Every message is first claimed in the EmailMessage table (unique dedupeKey), so a retried job or a
// second worker never sends the same message twice.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import nodemailer from "nodemailer";
import { dataDir } from "../db/embedded";
import { db, getPool } from "../db/client";

export type OutgoingEmail = {
  /** Exactly-once key, e.g. weekly:<org>:<week>:<user>. */
  dedupeKey: string;
  kind: string;
  organizationId?: string | null;
  to: string;
  subject: string;
  html: string;
  text: string;
  headers?: Record<string, string>;
};

export type DeliveryResult = { status: "sent" | "skipped"; messageId?: string; emlPath?: string; reason?: string };

export function emailFrom(): string {
  return process.env.EMAIL_FROM ?? "Spendlens <spendlens@localhost>";
}

export function outboxDir(): string {
  return path.join(dataDir(), "outbox");
}

type Transport = { send(raw: { from: string } & OutgoingEmail): Promise<{ messageId: string; emlPath?: string }> };

function smtpTransport(url: string): Transport {
  const transporter = nodemailer.createTransport(url);
  return {
    async send(m) {
      const info = await transporter.sendMail({ from: m.from, to: m.to, subject: m.subject, html: m.html, text: m.text, headers: m.headers });
      return { messageId: info.messageId };
    },
  };
}

function fileTransport(dir: string): Transport {
  const builder = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: "unix" });
  return {
    async send(m) {
      const info = await builder.sendMail({ from: m.from, to: m.to, subject: m.subject, html: m.html, text: m.text, headers: m.headers });
      await mkdir(dir, { recursive: true });
      const safe = m.dedupeKey.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 150);
      const file = path.join(dir, `${new Date().toISOString().replace(/[:.]/g, "-")}_${safe}.eml`);
      await writeFile(file, info.message as Buffer);
      return { messageId: info.messageId, emlPath: file };
    },
  };
}

let transportOverride: Transport | null = null;
/** Tests: route mail through a given SMTP URL or back to the environment's choice (null). */
export function useSmtpForTests(url: string | null): void {
  transportOverride = url ? smtpTransport(url) : null;
}

function transport(): Transport {
  if (transportOverride) return transportOverride;
  return process.env.SMTP_URL ? smtpTransport(process.env.SMTP_URL) : fileTransport(outboxDir());
}

/** A pending claim older than this is taken to be from a crashed sender and may be retried. */
const STALE_CLAIM_MS = 10 * 60_000;

async function claim(m: OutgoingEmail): Promise<string | null> {
  const pool = getPool();
  const inserted = await pool.query<{ id: string }>(
    `INSERT INTO "EmailMessage" (id, "organizationId", kind, "dedupeKey", "to", subject, status, "createdAt")
     VALUES (gen_random_uuid()::text, $1, $2, $3, $4, $5, 'sending', now())
     ON CONFLICT ("dedupeKey") DO NOTHING RETURNING id`,
    [m.organizationId ?? null, m.kind, m.dedupeKey, m.to, m.subject],
  );
  if (inserted.rows[0]) return inserted.rows[0].id;
  // Exists: take it over only if an earlier attempt failed or died mid-send.
  const retaken = await pool.query<{ id: string }>(
    `UPDATE "EmailMessage" SET status = 'sending', "createdAt" = now(), error = NULL
      WHERE "dedupeKey" = $1 AND (status = 'failed' OR (status = 'sending' AND "createdAt" < now() - ($2::int * interval '1 millisecond')))
      RETURNING id`,
    [m.dedupeKey, STALE_CLAIM_MS],
  );
  return retaken.rows[0]?.id ?? null;
}

export async function deliverEmail(m: OutgoingEmail): Promise<DeliveryResult> {
  const id = await claim(m);
  if (!id) return { status: "skipped", reason: "already sent or being sent" };
  try {
    const sent = await transport().send({ ...m, from: emailFrom() });
    await db.emailMessage.update({
      where: { id },
      data: { status: "sent", sentAt: new Date(), providerMessageId: sent.messageId, emlPath: sent.emlPath ?? null },
    });
    return { status: "sent", messageId: sent.messageId, emlPath: sent.emlPath };
  } catch (err) {
    await db.emailMessage.update({ where: { id }, data: { status: "failed", error: (err as Error).message.slice(0, 1000) } }).catch(() => {});
    throw err;
  }
}
