// Provider endpoints a project configures for replays. The API key is encrypted at rest (lib/crypto,
// bound to the project id) and never returned: listings show the name, endpoint and last 4 characters.
// `provider` is the model provider family the endpoint serves (openai, anthropic, mistral, together,
// ...): "anthropic" is spoken to with the Anthropic SDK, every other family as OpenAI-compatible.
import { decryptSecret, encryptSecret } from "../../crypto/secrets";
import { db } from "../../db/client";
import { createReplayClient, type ReplayClient } from "./client";
import { checkReplayEndpoint, DEFAULT_BASE_URLS } from "./endpoints";

export type CredentialInput = { name: unknown; provider: unknown; baseUrl: unknown; apiKey: unknown };

export type CredentialView = { id: string; name: string; provider: string; baseUrl: string; keyLast4: string; createdAt: Date };

export class CredentialFieldError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

function validate(input: CredentialInput): { name: string; provider: string; baseUrl: string; apiKey: string } {
  const name = typeof input.name === "string" ? input.name.trim() : "";
  if (!name || name.length > 100) throw new CredentialFieldError("name", "name is required (at most 100 characters)");
  const provider = typeof input.provider === "string" ? input.provider.trim().toLowerCase() : "";
  if (!/^[a-z0-9_-]{2,40}$/.test(provider)) throw new CredentialFieldError("provider", "provider must be a provider name such as openai, anthropic or mistral");
  const rawUrl = typeof input.baseUrl === "string" && input.baseUrl.trim() ? input.baseUrl.trim() : DEFAULT_BASE_URLS[provider];
  if (!rawUrl) throw new CredentialFieldError("baseUrl", `baseUrl is required for provider ${provider}`);
  const endpoint = checkReplayEndpoint(rawUrl);
  if (!endpoint.ok) throw new CredentialFieldError("baseUrl", endpoint.reason);
  const apiKey = typeof input.apiKey === "string" ? input.apiKey.trim() : "";
  if (apiKey.length < 8 || apiKey.length > 500 || /\s/.test(apiKey)) throw new CredentialFieldError("apiKey", "apiKey must be 8-500 characters without spaces");
  return { name, provider, baseUrl: rawUrl.replace(/\/+$/, ""), apiKey };
}

const VIEW = { id: true, name: true, provider: true, baseUrl: true, keyLast4: true, createdAt: true } as const;

/** Store a credential; the key is encrypted and only its last 4 characters are kept in clear. */
export async function saveProviderCredential(projectId: string, input: CredentialInput): Promise<CredentialView> {
  const v = validate(input);
  return db.providerCredential.create({
    data: { projectId, name: v.name, provider: v.provider, baseUrl: v.baseUrl, encryptedKey: encryptSecret(v.apiKey, projectId), keyLast4: v.apiKey.slice(-4) },
    select: VIEW,
  });
}

export async function listProviderCredentials(projectId: string): Promise<CredentialView[]> {
  return db.providerCredential.findMany({ where: { projectId }, select: VIEW, orderBy: { createdAt: "asc" } });
}

export async function deleteProviderCredential(projectId: string, id: string): Promise<boolean> {
  const res = await db.providerCredential.deleteMany({ where: { id, projectId } });
  return res.count > 0;
}

/**
 * Replay clients of a project by provider family (the newest credential of a family wins). A credential
 * whose endpoint the server's allow-list no longer permits is skipped and named in `refused`.
 */
export async function replayClientsForProject(projectId: string, opts: { timeoutMs?: number } = {}): Promise<{ clients: Map<string, ReplayClient>; refused: { name: string; reason: string }[] }> {
  const rows = await db.providerCredential.findMany({ where: { projectId }, orderBy: { createdAt: "asc" } });
  const clients = new Map<string, ReplayClient>();
  const refused: { name: string; reason: string }[] = [];
  for (const row of rows) {
    const endpoint = checkReplayEndpoint(row.baseUrl);
    if (!endpoint.ok) {
      refused.push({ name: row.name, reason: endpoint.reason });
      continue;
    }
    const apiKey = decryptSecret(row.encryptedKey, projectId);
    clients.set(
      row.provider,
      createReplayClient({ provider: row.provider === "anthropic" ? "anthropic" : "openai", baseUrl: row.baseUrl, apiKey, timeoutMs: opts.timeoutMs, publicOnly: endpoint.publicOnly }),
    );
  }
  return { clients, refused };
}
