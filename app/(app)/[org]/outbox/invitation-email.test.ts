// Invitations created in the app go through the one email delivery path: over SMTP (a real server on
// loopback) when configured, else as an .eml file in the outbox; once per invitation, recorded in
// EmailMessage for the outbox page. A failing SMTP server does not undo the invitation.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
process.env.NEXTAUTH_SECRET ??= "test-secret-for-invitation-email-0123456789";
const dataDir = mkdtempSync(path.join(os.tmpdir(), "sl-invite-mail-"));
process.env.SPENDLENS_DATA_DIR = dataDir;
delete process.env.SMTP_URL;

import { signUp } from "@/lib/auth/sign-up";
import { db } from "@/lib/db/client";
import { useTestDatabase } from "@/lib/db/testing";
import { outboxDir, useSmtpForTests } from "@/lib/email/deliver";
import { emailDeliveryStatuses } from "@/lib/email/delivery-status";
import { readOutboxEml } from "@/lib/email/outbox-eml";
import { parseEml } from "@/lib/email/parse-eml";
import { appUrl } from "@/lib/email/unsubscribe";
import { createInvitation, findInvitationByToken, sendInvitationEmail } from "@/lib/orgs/invitations";
import { startTestSmtp } from "@/tests/smtp";

useTestDatabase();

let owner: Awaited<ReturnType<typeof signUp>>;

beforeAll(async () => {
  owner = await signUp({ name: "Ines Inviter", email: "ines@example.com", password: "ines-password" });
});
afterAll(() => {
  useSmtpForTests(null);
  rmSync(dataDir, { recursive: true, force: true });
});

describe("invitation emails", () => {
  it("without SMTP, writes the invitation as an .eml in the outbox, once", async () => {
    const actor = { userId: owner.user.id, role: "OWNER" as const };
    const { token, invitation, emailDelivery } = await createInvitation({ organizationId: owner.organization.id, email: "Nora@Example.com", role: "VIEWER", actor });
    expect(emailDelivery.status).toBe("sent");
    const row = await db.emailMessage.findUniqueOrThrow({ where: { dedupeKey: `invite:${invitation.id}` } });
    expect(row).toMatchObject({ organizationId: owner.organization.id, kind: "invitation", to: "nora@example.com", status: "sent" });
    expect(path.dirname(row.emlPath!)).toBe(path.resolve(outboxDir()));
    expect(row.emlPath!.startsWith(dataDir)).toBe(true);
    // Undo quoted-printable soft breaks and header folding before reading it.
    const eml = readFileSync(row.emlPath!, "utf8").replace(/=\r?\n/g, "").replace(/\r?\n[ \t]+/g, " ");
    expect(eml).toMatch(/^Subject: Ines Inviter invited you to Ines Inviter's organization on Spendlens$/m);
    expect(eml).toMatch(/^To: nora@example\.com$/m);
    expect(eml).toContain(`/invite/${token}`);
    // The emailed link is the one that works.
    expect((await findInvitationByToken(token))?.state).toBe("pending");

    // What the outbox page shows: the parts decoded back exactly as sendInvitationEmail wrote them.
    const shown = await readOutboxEml(row.emlPath);
    if (!shown.ok) throw new Error(shown.why);
    const link = `${appUrl()}/invite/${token}`;
    const expires = invitation.expiresAt.toISOString().slice(0, 10);
    expect(shown.parsed.text).toBe(
      `Ines Inviter invited you to join Ines Inviter's organization on Spendlens as VIEWER.\n\nAccept the invitation: ${link}\n\n` +
        `The link works until ${expires} and only for nora@example.com. If you did not expect this, ignore this email.\n`,
    );
    expect(shown.parsed.html).toMatch(/^<!DOCTYPE html><html><body style="font-family:Arial,Helvetica,sans-serif;[^"]*">.*<\/body><\/html>$/s);
    expect(shown.parsed.html).toContain(`<a href="${link}" style="display:inline-block;background:#0f766e;`);
    expect(shown.parsed.html).toContain("Ines Inviter&#39;s organization");
    expect(shown.parsed).toMatchObject({ to: "nora@example.com", subject: row.subject, attachments: [] });
    expect(shown.fileName).toBe(path.basename(row.emlPath!));
    expect(shown.raw).toBe(readFileSync(row.emlPath!, "utf8"));

    const again = await sendInvitationEmail({ invitation, token, inviterUserId: owner.user.id });
    expect(again.status).toBe("skipped");
    expect(await db.emailMessage.count({ where: { dedupeKey: `invite:${invitation.id}` } })).toBe(1);
  });

  it("with SMTP, delivers to the invitee with HTML and text parts", async () => {
    const smtp = await startTestSmtp();
    try {
      useSmtpForTests(smtp.url);
      const { token, invitation } = await createInvitation({
        organizationId: owner.organization.id,
        email: "omar@example.com",
        role: "MEMBER",
        actor: { userId: owner.user.id, role: "OWNER" },
      });
      expect(smtp.messages).toHaveLength(1);
      const [mail] = smtp.messages;
      expect(mail.to).toEqual(["omar@example.com"]);
      expect(mail.raw).toContain("text/html");
      expect(mail.raw).toContain("text/plain");
      expect(mail.raw.replace(/=\r?\n/g, "")).toContain(`/invite/${token}`);
      // The same parser reads the message as it went over the wire.
      const wire = parseEml(mail.raw);
      expect(wire.to).toBe("omar@example.com");
      expect(wire.text).toContain(`Accept the invitation: ${appUrl()}/invite/${token}\n`);
      expect(wire.html).toContain(`<a href="${appUrl()}/invite/${token}"`);
      const row = await db.emailMessage.findUniqueOrThrow({ where: { dedupeKey: `invite:${invitation.id}` } });
      expect(row.status).toBe("sent");
      expect(row.emlPath).toBeNull();
      expect(row.providerMessageId).toBeTruthy();
    } finally {
      await smtp.close();
    }
  });

  it("the outbox page reads only files inside the outbox directory", async () => {
    const outside = path.join(dataDir, "elsewhere.eml");
    writeFileSync(outside, "Subject: not ours\r\n\r\nbody");
    expect(await readOutboxEml(outside)).toMatchObject({ ok: false, why: expect.stringContaining("outside") });
    expect(await readOutboxEml(path.join(outboxDir(), "..", "elsewhere.eml"))).toMatchObject({ ok: false, why: expect.stringContaining("outside") });
    expect(await readOutboxEml(path.join(outboxDir(), "gone.eml"))).toMatchObject({ ok: false, why: expect.stringContaining("no longer") });
    expect(await readOutboxEml(null)).toMatchObject({ ok: false, why: expect.stringContaining("SMTP") });
  });

  it("a dead SMTP server fails the email, not the invitation", async () => {
    useSmtpForTests("smtp://127.0.0.1:9?ignoreTLS=true&connectionTimeout=2000");
    const { token, invitation, emailDelivery } = await createInvitation({
      organizationId: owner.organization.id,
      email: "pat@example.com",
      role: "MEMBER",
      actor: { userId: owner.user.id, role: "OWNER" },
    });
    expect(emailDelivery.status).toBe("failed");
    expect((await findInvitationByToken(token))?.state).toBe("pending");
    expect((await db.emailMessage.findUniqueOrThrow({ where: { dedupeKey: `invite:${invitation.id}` } })).status).toBe("failed");
  });
  it("tells, per invitation, whether its email went out (SMTP), sits in the outbox or failed; only within the organization", async () => {
    const invitations = await db.invitation.findMany({ where: { organizationId: owner.organization.id }, select: { id: true, email: true } });
    const key = (email: string) => `invite:${invitations.find((i) => i.email === email)!.id}`;
    const keys = ["nora@example.com", "omar@example.com", "pat@example.com"].map(key);
    const statuses = await emailDeliveryStatuses(owner.organization.id, [...keys, "invite:no-such-invitation"]);
    const nora = await db.emailMessage.findUniqueOrThrow({ where: { dedupeKey: keys[0] } });
    expect(statuses.get(keys[0])).toEqual({ state: "outbox", at: nora.sentAt, messageId: nora.id });
    expect(statuses.get(keys[1])).toMatchObject({ state: "emailed", at: expect.any(Date) });
    expect(statuses.get(keys[2])).toMatchObject({ state: "failed", reason: expect.stringMatching(/ECONNREFUSED|connect|timeout/i) });
    expect(statuses.get("invite:no-such-invitation")).toEqual({ state: "none" });
    // Another organization asking with these keys learns nothing.
    const other = await signUp({ name: "Olga Other", email: "olga@example.com", password: "olga-password" });
    const foreign = await emailDeliveryStatuses(other.organization.id, keys);
    expect([...foreign.values()]).toEqual(keys.map(() => ({ state: "none" })));
  });
});
