// Audit trail of membership, key and settings changes, one row per change, scoped to an organization.
import { db } from "../db/client";
import type { Prisma } from "../db/generated/client";

export type AuditAction =
  | "organization.create"
  | "organization.update"
  | "project.create"
  | "project.update"
  | "api_key.create"
  | "api_key.revoke"
  | "member.join"
  | "member.role_change"
  | "member.remove"
  | "invitation.create"
  | "invitation.revoke"
  | "price_override.save"
  | "price_override.delete";

export type AuditEntry = {
  organizationId: string;
  actorUserId: string | null;
  action: AuditAction;
  /** What was changed, e.g. "project:<id>", "membership:<id>", "api_key:<prefix>". */
  target?: string;
  meta?: Prisma.InputJsonValue;
};

type Writer = Pick<Prisma.TransactionClient, "auditLog">;

export async function writeAuditLog(entry: AuditEntry, client: Writer = db): Promise<void> {
  await client.auditLog.create({
    data: {
      organizationId: entry.organizationId,
      actorUserId: entry.actorUserId,
      action: entry.action,
      target: entry.target ?? null,
      meta: entry.meta,
    },
  });
}

export async function listAuditLog(organizationId: string, limit = 50) {
  return db.auditLog.findMany({ where: { organizationId }, orderBy: { createdAt: "desc" }, take: limit });
}
