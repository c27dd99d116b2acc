// Projects: a separate stream of calls (an app, an environment) inside an organization.
import { db } from "../db/client";
import type { Prisma } from "../db/generated/client";
import { NotFoundError } from "../http/errors";
import { nameField, validateFields } from "../http/fields";
import { writeAuditLog } from "./audit";
import { RESERVED_PROJECT_SLUGS, freeSlug, slugify } from "./slugs";

type Tx = Prisma.TransactionClient;

export async function createProject(input: { organizationId: string; name: unknown; actorUserId: string | null }, tx?: Tx) {
  const { name } = validateFields({ name: () => nameField(input.name, "Project name") });
  const run = async (client: Tx) => {
    const slug = await freeSlug(slugify(name, "project"), RESERVED_PROJECT_SLUGS, async (s) =>
      Boolean(
        await client.project.findUnique({
          where: { organizationId_slug: { organizationId: input.organizationId, slug: s } },
          select: { id: true },
        }),
      ),
    );
    const project = await client.project.create({ data: { organizationId: input.organizationId, name, slug } });
    await writeAuditLog(
      { organizationId: input.organizationId, actorUserId: input.actorUserId, action: "project.create", target: `project:${project.id}`, meta: { name } },
      client,
    );
    return project;
  };
  return tx ? run(tx) : db.$transaction(run);
}

export async function listProjects(organizationId: string) {
  return db.project.findMany({
    where: { organizationId },
    orderBy: { createdAt: "asc" },
    select: { id: true, name: true, slug: true, createdAt: true },
  });
}

/** Rename a project. The slug (and so its URLs) stays the same. */
export async function updateProject(input: { organizationId: string; projectId: string; actorUserId: string; name: unknown }) {
  const { name } = validateFields({ name: () => nameField(input.name, "Project name") });
  return db.$transaction(async (tx) => {
    const before = await tx.project.findFirst({ where: { id: input.projectId, organizationId: input.organizationId } });
    if (!before) throw new NotFoundError("Project not found.");
    const project = await tx.project.update({ where: { id: before.id }, data: { name } });
    await writeAuditLog(
      {
        organizationId: input.organizationId,
        actorUserId: input.actorUserId,
        action: "project.update",
        target: `project:${project.id}`,
        meta: { from: { name: before.name }, to: { name } },
      },
      tx,
    );
    return project;
  });
}
