// Stored Call rows back to full provider requests: the static prompt (PromptBlob) is put back where the
// writer left its placeholder. Every read is scoped by project.
import { getPool } from "../db/client";
import { restoreStaticPrompt } from "./prompts";

/** Prompt texts by hash, for one project. */
export async function loadPromptTexts(projectId: string, hashes: Iterable<string>): Promise<Map<string, string>> {
  const wanted = [...new Set(hashes)];
  const out = new Map<string, string>();
  if (wanted.length === 0) return out;
  const { rows } = await getPool().query<{ hash: string; text: string }>(
    `SELECT "hash", "text" FROM "PromptBlob" WHERE "projectId" = $1 AND "hash" = ANY($2::text[])`,
    [projectId, wanted],
  );
  for (const r of rows) out.set(r.hash, r.text);
  return out;
}

/** The request as the provider saw it (minus redactions and truncation). */
export function restoreRequest(request: unknown, promptHash: string | null, prompts: Map<string, string>): Record<string, unknown> {
  const body = request && typeof request === "object" && !Array.isArray(request) ? (request as Record<string, unknown>) : {};
  if (!promptHash) return body;
  const text = prompts.get(promptHash);
  return text === undefined ? body : restoreStaticPrompt(body, promptHash, text);
}

/** One stored call's full request and response, or null when the project has no such call. */
export async function loadStoredBodies(
  projectId: string,
  eventId: string,
): Promise<{ request: Record<string, unknown>; response: Record<string, unknown> | null } | null> {
  const { rows } = await getPool().query<{ request: unknown; response: Record<string, unknown> | null; promptHash: string | null }>(
    `SELECT "request", "response", "promptHash" FROM "Call" WHERE "projectId" = $1 AND "eventId" = $2`,
    [projectId, eventId],
  );
  if (rows.length === 0) return null;
  const row = rows[0];
  const prompts = row.promptHash ? await loadPromptTexts(projectId, [row.promptHash]) : new Map<string, string>();
  return { request: restoreRequest(row.request, row.promptHash, prompts), response: row.response };
}
