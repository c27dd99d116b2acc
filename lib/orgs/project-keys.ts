// API key management for a project's settings page: list, create (the key is returned once) and
// revoke, each audited. Key format, hashing and verification live in lib/auth/api-keys.ts.
import { createApiKey, revokeApiKey } from "../auth/api-keys";
import { db } from "../db/client";
import { NotFoundError } from "../http/errors";
import { nameField, validateFields } from "../http/fields";
import { writeAuditLog } from "./audit";

export type ProjectRef = { id: string; organizationId: string };

export async function listProjectKeys(projectId: string) {
  return db.apiKey.findMany({
    where: { projectId },
    orderBy: [{ revokedAt: { sort: "desc", nulls: "first" } }, { createdAt: "desc" }],
    select: {
      id: true, name: true, prefix: true, createdAt: true, lastUsedAt: true, revokedAt: true,
      createdBy: { select: { email: true } },
    },
  });
}

/** Create a key; `key` is the full secret and must be shown to the user now: it is not stored. */
export async function createProjectKey(input: { project: ProjectRef; name: unknown; actorUserId: string }) {
  const { name } = validateFields({ name: () => nameField(input.name, "Key name") });
  const { key, apiKey } = await createApiKey({ projectId: input.project.id, name, createdById: input.actorUserId });
  await writeAuditLog({
    organizationId: input.project.organizationId,
    actorUserId: input.actorUserId,
    action: "api_key.create",
    target: `api_key:${apiKey.prefix}`,
    meta: { projectId: input.project.id, name },
  });
  return { key, apiKey: { id: apiKey.id, name: apiKey.name, prefix: apiKey.prefix, createdAt: apiKey.createdAt } };
}

export async function revokeProjectKey(input: { project: ProjectRef; keyId: string; actorUserId: string }) {
  const key = await db.apiKey.findFirst({ where: { id: input.keyId, projectId: input.project.id }, select: { prefix: true } });
  if (!key) throw new NotFoundError("API key not found.");
  const revoked = await revokeApiKey(input.keyId, input.project.id);
  if (revoked) {
    await writeAuditLog({
      organizationId: input.project.organizationId,
      actorUserId: input.actorUserId,
      action: "api_key.revoke",
      target: `api_key:${key.prefix}`,
      meta: { projectId: input.project.id },
    });
  }
  return { revoked };
}
