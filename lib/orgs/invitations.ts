// Invitations by link: a random token in the URL, only its sha256 stored. The invitee signs in (or
// signs up) with the invited email address and joins with the invited role.
import { createHash, randomBytes } from "node:crypto";
import { db } from "../db/client";
import { ForbiddenError, NotFoundError, ValidationError } from "../http/errors";
import { emailField, roleField, validateFields } from "../http/fields";
import { roleAtLeast, roleRank, type Role } from "../auth/roles";
import { deliverEmail, type DeliveryResult } from "../email/deliver";
import { appUrl } from "../email/unsubscribe";
import { writeAuditLog } from "./audit";
import type { Actor } from "./memberships";

export const INVITATION_TTL_MS = 7 * 24 * 3600 * 1000;

export function hashInvitationToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export async function createInvitation(input: { organizationId: string; email: unknown; role: unknown; actor: Actor }) {
  const { email, role } = validateFields({ email: () => emailField(input.email), role: () => roleField(input.role) });
  if (!roleAtLeast(input.actor.role, "ADMIN")) throw new ForbiddenError("Only admins and owners can invite.");
  if (role === "OWNER" && input.actor.role !== "OWNER") throw new ForbiddenError("Only an owner can invite an owner.");
  const existing = await db.membership.findFirst({ where: { organizationId: input.organizationId, user: { email } }, select: { id: true } });
  if (existing) throw ValidationError.field("email", "Email belongs to someone who is already a member.", 409);
  const token = randomBytes(32).toString("base64url");
  const invitation = await db.$transaction(async (tx) => {
    // A new invitation replaces any pending one for the same address.
    await tx.invitation.updateMany({
      where: { organizationId: input.organizationId, email, acceptedAt: null, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    const row = await tx.invitation.create({
      data: {
        organizationId: input.organizationId,
        email,
        role,
        tokenHash: hashInvitationToken(token),
        invitedById: input.actor.userId,
        expiresAt: new Date(Date.now() + INVITATION_TTL_MS),
      },
    });
    await writeAuditLog(
      { organizationId: input.organizationId, actorUserId: input.actor.userId, action: "invitation.create", target: `invitation:${row.id}`, meta: { email, role } },
      tx,
    );
    return row;
  });
  const emailDelivery = await sendInvitationEmail({ invitation, token, inviterUserId: input.actor.userId });
  return { token, invitation, emailDelivery };
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/**
 * The invitation email, through the one delivery path (SMTP, or an .eml file in the outbox), once per
 * invitation. A failed send does not undo the invitation: the link is also shown to the inviter.
 */
export async function sendInvitationEmail(input: {
  invitation: { id: string; organizationId: string; email: string; role: Role; expiresAt: Date };
  token: string;
  inviterUserId: string;
}): Promise<DeliveryResult | { status: "failed"; reason: string }> {
  const [org, inviter] = await Promise.all([
    db.organization.findUnique({ where: { id: input.invitation.organizationId }, select: { name: true } }),
    db.user.findUnique({ where: { id: input.inviterUserId }, select: { name: true, email: true } }),
  ]);
  const orgName = org?.name ?? "an organization";
  const who = inviter?.name ?? inviter?.email ?? "A teammate";
  const link = `${appUrl()}/invite/${input.token}`;
  const expires = input.invitation.expiresAt.toISOString().slice(0, 10);
  const text = `${who} invited you to join ${orgName} on Spendlens as ${input.invitation.role}.\n\nAccept the invitation: ${link}\n\nThe link works until ${expires} and only for ${input.invitation.email}. If you did not expect this, ignore this email.\n`;
  const html =
    `<!DOCTYPE html><html><body style="font-family:Arial,Helvetica,sans-serif;color:#1b1f24;max-width:560px;margin:0 auto;padding:24px">` +
    `<p style="font-size:16px">${escapeHtml(who)} invited you to join <strong>${escapeHtml(orgName)}</strong> on Spendlens as ${input.invitation.role}.</p>` +
    `<p><a href="${escapeHtml(link)}" style="display:inline-block;background:#0f766e;color:#ffffff;padding:10px 16px;border-radius:6px;text-decoration:none;font-weight:bold">Accept the invitation</a></p>` +
    `<p style="font-size:13px;color:#5c6470">Or open this link: ${escapeHtml(link)}<br>It works until ${expires} and only for ${escapeHtml(input.invitation.email)}. If you did not expect this, ignore this email.</p>` +
    `</body></html>`;
  try {
    return await deliverEmail({
      dedupeKey: `invite:${input.invitation.id}`,
      kind: "invitation",
      organizationId: input.invitation.organizationId,
      to: input.invitation.email,
      subject: `${who} invited you to ${orgName} on Spendlens`,
      html,
      text,
    });
  } catch (err) {
    return { status: "failed", reason: (err as Error).message };
  }
}

export async function listPendingInvitations(organizationId: string) {
  return db.invitation.findMany({
    where: { organizationId, acceptedAt: null, revokedAt: null, expiresAt: { gt: new Date() } },
    orderBy: { createdAt: "desc" },
    select: { id: true, email: true, role: true, createdAt: true, expiresAt: true },
  });
}

export async function revokeInvitation(input: { organizationId: string; invitationId: string; actor: Actor }) {
  if (!roleAtLeast(input.actor.role, "ADMIN")) throw new ForbiddenError("Only admins and owners can revoke invitations.");
  const res = await db.invitation.updateMany({
    where: { id: input.invitationId, organizationId: input.organizationId, acceptedAt: null, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  if (res.count === 0) throw new NotFoundError("Invitation not found.");
  await writeAuditLog({
    organizationId: input.organizationId,
    actorUserId: input.actor.userId,
    action: "invitation.revoke",
    target: `invitation:${input.invitationId}`,
  });
}

export type InvitationState = "pending" | "expired" | "accepted" | "revoked";

/** What the invite page shows for a token; null when no invitation has this token. */
export async function findInvitationByToken(token: string) {
  if (!token || token.length > 200) return null;
  const row = await db.invitation.findUnique({
    where: { tokenHash: hashInvitationToken(token) },
    select: {
      id: true, email: true, role: true, expiresAt: true, acceptedAt: true, revokedAt: true,
      organization: { select: { id: true, name: true, slug: true } },
    },
  });
  if (!row) return null;
  const state: InvitationState = row.revokedAt
    ? "revoked"
    : row.acceptedAt
      ? "accepted"
      : row.expiresAt.getTime() <= Date.now()
        ? "expired"
        : "pending";
  return { ...row, state };
}

/**
 * Join the invitation's organization. The signed-in user's email must be the invited one. A user
 * who is already a member keeps the higher of the two roles.
 */
export async function acceptInvitation(input: { token: string; userId: string }) {
  const invitation = await findInvitationByToken(input.token);
  if (!invitation) throw new NotFoundError("This invitation link is not valid.");
  if (invitation.state !== "pending") {
    const why = invitation.state === "expired" ? "has expired" : `has already been ${invitation.state}`;
    throw ValidationError.field("token", `This invitation ${why}. Ask for a new one.`, 410);
  }
  const user = await db.user.findUnique({ where: { id: input.userId }, select: { id: true, email: true } });
  if (!user) throw new NotFoundError("User not found.");
  if (user.email !== invitation.email) {
    throw new ForbiddenError(`This invitation is for ${invitation.email}; you are signed in as ${user.email}.`);
  }
  const organizationId = invitation.organization.id;
  return db.$transaction(async (tx) => {
    const claimed = await tx.invitation.updateMany({
      where: { id: invitation.id, acceptedAt: null, revokedAt: null },
      data: { acceptedAt: new Date() },
    });
    if (claimed.count === 0) throw ValidationError.field("token", "This invitation has already been used.", 410);
    const existing = await tx.membership.findUnique({ where: { organizationId_userId: { organizationId, userId: user.id } } });
    let role: Role = invitation.role;
    if (existing) {
      role = roleRank(existing.role) >= roleRank(invitation.role) ? existing.role : invitation.role;
      if (role !== existing.role) await tx.membership.update({ where: { id: existing.id }, data: { role } });
    } else {
      await tx.membership.create({ data: { organizationId, userId: user.id, role } });
    }
    await writeAuditLog(
      { organizationId, actorUserId: user.id, action: "member.join", target: `invitation:${invitation.id}`, meta: { email: user.email, role } },
      tx,
    );
    return { organization: invitation.organization, role };
  });
}
