// Who belongs to an organization, with which role. Rules beyond the route's minimum role:
// only an OWNER may make someone OWNER or change/remove an OWNER, and an organization always keeps
// at least one OWNER (checked under a row lock so two concurrent demotions cannot both pass).
import { db } from "../db/client";
import type { Prisma } from "../db/generated/client";
import { ForbiddenError, NotFoundError, ValidationError } from "../http/errors";
import { roleField, validateFields } from "../http/fields";
import { roleAtLeast, type Role } from "../auth/roles";
import { writeAuditLog } from "./audit";

type Tx = Prisma.TransactionClient;
export type Actor = { userId: string; role: Role };

export async function listMembers(organizationId: string) {
  const rows = await db.membership.findMany({
    where: { organizationId },
    orderBy: { createdAt: "asc" },
    select: { id: true, role: true, createdAt: true, user: { select: { id: true, email: true, name: true } } },
  });
  return rows.map((r) => ({ id: r.id, role: r.role, joinedAt: r.createdAt, userId: r.user.id, email: r.user.email, name: r.user.name }));
}

async function lockOwners(tx: Tx, organizationId: string): Promise<number> {
  const rows = await tx.$queryRaw<{ id: string }[]>`
    SELECT id FROM "Membership" WHERE "organizationId" = ${organizationId} AND role = 'OWNER' FOR UPDATE`;
  return rows.length;
}

async function targetMembership(tx: Tx, organizationId: string, membershipId: string) {
  const m = await tx.membership.findFirst({
    where: { id: membershipId, organizationId },
    select: { id: true, role: true, userId: true, user: { select: { email: true } } },
  });
  if (!m) throw new NotFoundError("Member not found.");
  return m;
}

export async function changeMemberRole(input: { organizationId: string; membershipId: string; role: unknown; actor: Actor }) {
  const { role } = validateFields({ role: () => roleField(input.role) });
  if (!roleAtLeast(input.actor.role, "ADMIN")) throw new ForbiddenError("Only admins and owners can change roles.");
  return db.$transaction(async (tx) => {
    const owners = await lockOwners(tx, input.organizationId);
    const target = await targetMembership(tx, input.organizationId, input.membershipId);
    if ((role === "OWNER" || target.role === "OWNER") && input.actor.role !== "OWNER") {
      throw new ForbiddenError("Only an owner can grant or change the OWNER role.");
    }
    if (target.role === "OWNER" && role !== "OWNER" && owners <= 1) {
      throw ValidationError.field("role", "The organization must keep at least one owner: make someone else OWNER first.");
    }
    if (target.role === role) return { id: target.id, role };
    await tx.membership.update({ where: { id: target.id }, data: { role } });
    await writeAuditLog(
      {
        organizationId: input.organizationId,
        actorUserId: input.actor.userId,
        action: "member.role_change",
        target: `membership:${target.id}`,
        meta: { email: target.user.email, from: target.role, to: role },
      },
      tx,
    );
    return { id: target.id, role };
  });
}

export async function removeMember(input: { organizationId: string; membershipId: string; actor: Actor }) {
  if (!roleAtLeast(input.actor.role, "ADMIN")) throw new ForbiddenError("Only admins and owners can remove members.");
  await db.$transaction(async (tx) => {
    const owners = await lockOwners(tx, input.organizationId);
    const target = await targetMembership(tx, input.organizationId, input.membershipId);
    if (target.role === "OWNER" && input.actor.role !== "OWNER") throw new ForbiddenError("Only an owner can remove an owner.");
    if (target.role === "OWNER" && owners <= 1) {
      throw ValidationError.field("member", "The last owner cannot be removed: make someone else OWNER first.");
    }
    await tx.membership.delete({ where: { id: target.id } });
    await writeAuditLog(
      {
        organizationId: input.organizationId,
        actorUserId: input.actor.userId,
        action: "member.remove",
        target: `membership:${target.id}`,
        meta: { email: target.user.email, role: target.role },
      },
      tx,
    );
  });
}
