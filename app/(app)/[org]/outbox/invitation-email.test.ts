// Invitations created in the app go through the one email delivery path: over SMTP (a real server on
// loopback) when configured, else as an .eml file in the outbox; once per invitation, recorded in
// EmailMessage for the outbox page. A failing SMTP server does not undo the invitation.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
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
      const row = await db.emailMessage.findUniqueOrThrow({ where: { dedupeKey: `invite:${invitation.id}` } });
      expect(row.status).toBe("sent");
      expect(row.emlPath).toBeNull();
      expect(row.providerMessageId).toBeTruthy();
    } finally {
      await smtp.close();
    }
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
});
