// Organizations: the tenant boundary. Every query in the app is scoped by organizationId.
import { db } from "../db/client";
import type { Prisma } from "../db/generated/client";
import { ForbiddenError, NotFoundError, ValidationError } from "../http/errors";
import { nameField, timezoneField, validateFields } from "../http/fields";
import type { Role } from "../auth/roles";
import { writeAuditLog } from "./audit";
import { RESERVED_ORG_SLUGS, freeSlug, slugify } from "./slugs";

type Tx = Prisma.TransactionClient;

export function isUniqueViolation(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { code?: unknown }).code === "P2002";
}

/** Create an organization with `ownerUserId` as its OWNER (inside `tx` when given). */
export async function createOrganization(
  input: { name: unknown; ownerUserId: string; timezone?: unknown },
  tx?: Tx,
) {
  const { name, timezone } = validateFields({
    name: () => nameField(input.name, "Organization name"),
    timezone: () => (input.timezone === undefined ? "UTC" : timezoneField(input.timezone)),
  });
  const run = async (client: Tx) => {
    const slug = await freeSlug(slugify(name, "org"), RESERVED_ORG_SLUGS, async (s) =>
      Boolean(await client.organization.findUnique({ where: { slug: s }, select: { id: true } })),
    );
    const organization = await client.organization.create({
      data: { name, slug, timezone, memberships: { create: { userId: input.ownerUserId, role: "OWNER" } } },
    });
    await writeAuditLog(
      { organizationId: organization.id, actorUserId: input.ownerUserId, action: "organization.create", target: `organization:${organization.id}` },
      client,
    );
    return organization;
  };
  return tx ? run(tx) : db.$transaction(run);
}

export type OrganizationWithRole = { id: string; name: string; slug: string; role: Role };

/** The organizations a user belongs to, oldest membership first. */
export async function listOrganizationsForUser(userId: string): Promise<OrganizationWithRole[]> {
  const rows = await db.membership.findMany({
    where: { userId },
    orderBy: { createdAt: "asc" },
    select: { role: true, organization: { select: { id: true, name: true, slug: true } } },
  });
  return rows.map((r) => ({ ...r.organization, role: r.role }));
}

export async function updateOrganization(input: {
  organizationId: string;
  actorUserId: string;
  name?: unknown;
  timezone?: unknown;
}) {
  const data = validateFields({
    name: () => (input.name === undefined ? undefined : nameField(input.name, "Organization name")),
    timezone: () => (input.timezone === undefined ? undefined : timezoneField(input.timezone)),
  });
  if (data.name === undefined && data.timezone === undefined) {
    throw ValidationError.field("name", "Nothing to change: send a name or a timezone.");
  }
  return db.$transaction(async (tx) => {
    const before = await tx.organization.findUnique({ where: { id: input.organizationId } });
    if (!before) throw new NotFoundError("Organization not found.");
    const organization = await tx.organization.update({ where: { id: input.organizationId }, data });
    await writeAuditLog(
      {
        organizationId: input.organizationId,
        actorUserId: input.actorUserId,
        action: "organization.update",
        target: `organization:${input.organizationId}`,
        meta: { from: { name: before.name, timezone: before.timezone }, to: { name: organization.name, timezone: organization.timezone } },
      },
      tx,
    );
    return organization;
  });
}

/** Delete an organization and everything in it. The caller must be its OWNER and confirm the slug. */
export async function deleteOrganization(input: { organizationId: string; actorRole: Role; confirmSlug: unknown }) {
  if (input.actorRole !== "OWNER") throw new ForbiddenError("Only an owner can delete the organization.");
  const org = await db.organization.findUnique({ where: { id: input.organizationId }, select: { slug: true } });
  if (!org) throw new NotFoundError("Organization not found.");
  if (input.confirmSlug !== org.slug) {
    throw ValidationError.field("confirm", `Confirm by typing the organization's slug "${org.slug}".`);
  }
  await db.organization.delete({ where: { id: input.organizationId } });
}
