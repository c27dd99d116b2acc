// Secrets at rest, checked against the whole database (every row of every table, as text):
//   - project API keys: only a prefix and sha256(key) are stored; the key verifies, a near-miss does not;
//   - provider keys saved for replays: AES-256-GCM with SPENDLENS_ENCRYPTION_KEY, bound to the project,
//     rotatable; never stored in clear;
//   - prompts, responses, errors and tags: key-like strings are scrubbed before storage, through ingest and
//     through the proxy (whose client Authorization header reaches the provider and nowhere else).
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { saveProviderCredential } from "../../lib/analysis/replay/credentials";
import { clearApiKeyCache, verifyApiKey } from "../../lib/auth/api-keys";
import { decryptSecret, encryptSecret, generateEncryptionKey, needsReencryption, SecretKeyError } from "../../lib/crypto/secrets";
import { db } from "../../lib/db/client";
import { useTestDatabase } from "../../lib/db/testing";
import { handleIngestRequest } from "../../lib/ingest/http";
import { resetIngestRateLimits } from "../../lib/ingest/rate-limit";
import { createProjectWithKey, openAIChatEvent, type ProjectFixture } from "../../lib/ingest/test-fixtures";
import { startFakeUpstream, type FakeUpstream } from "../../lib/proxy/fake-upstream";
import { startProxyServer, type RunningProxy } from "../../lib/proxy/server";
import { databaseText, foundIn, makeSecrets, promptWithSecrets } from "./support/secrets";

useTestDatabase();

const secrets = makeSecrets();
/** The secrets that travel inside prompts and headers (the replay key is saved, not sent in prompts). */
const { replayKey: _saved, ...promptSecrets } = secrets;
let project: ProjectFixture;
let other: ProjectFixture;

beforeAll(async () => {
  process.env.SPENDLENS_ENCRYPTION_KEY = generateEncryptionKey();
  process.env.INGEST_RATE_LIMIT_EVENTS_PER_SEC = "1000000";
  resetIngestRateLimits();
  project = await createProjectWithKey("secrets");
  other = await createProjectWithKey("other");
});

describe("project API keys", () => {
  it("are stored as prefix + sha256 only: the key is nowhere in the database, and verifies exactly", async () => {
    const row = await db.apiKey.findUniqueOrThrow({ where: { id: project.keyId } });
    expect(project.key).toMatch(/^sl_[A-Za-z0-9]{12}_[A-Za-z0-9_-]{43}$/); // 32 random bytes after the prefix
    expect(row.prefix).toBe(project.key.split("_").slice(0, 2).join("_"));
    expect(row.secretHash).toBe(createHash("sha256").update(project.key).digest("hex"));
    const secretPart = project.key.split("_").slice(2).join("_");
    expect(foundIn(await databaseText(), { key: project.key, secret: secretPart })).toEqual([]);

    clearApiKeyCache();
    expect(await verifyApiKey(project.key)).toMatchObject({ projectId: project.projectId });
    const last = project.key.at(-1)!;
    const nearMiss = project.key.slice(0, -1) + (last === "A" ? "B" : "A");
    expect(await verifyApiKey(nearMiss)).toEqual({ error: "invalid" });
  });
});

describe("provider keys for replays", () => {
  const savedAllow = process.env.PROXY_UPSTREAM_ALLOWLIST;
  afterAll(() => {
    if (savedAllow === undefined) delete process.env.PROXY_UPSTREAM_ALLOWLIST;
    else process.env.PROXY_UPSTREAM_ALLOWLIST = savedAllow;
  });

  it("are encrypted at rest with SPENDLENS_ENCRYPTION_KEY, bound to their project, and rotatable", async () => {
    process.env.PROXY_UPSTREAM_ALLOWLIST = "http://127.0.0.1:9";
    const view = await saveProviderCredential(project.projectId, { name: "OpenAI", provider: "openai", baseUrl: "http://127.0.0.1:9/v1", apiKey: secrets.replayKey });
    expect(view).not.toHaveProperty("encryptedKey");
    expect(view.keyLast4).toBe(secrets.replayKey.slice(-4));
    const row = await db.providerCredential.findUniqueOrThrow({ where: { id: view.id } });
    expect(row.encryptedKey).toMatch(/^v1\.[0-9a-f]{8}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(foundIn(await databaseText(), { replayKey: secrets.replayKey })).toEqual([]);

    // Opens with the key from the environment and this project's id only.
    expect(decryptSecret(row.encryptedKey, project.projectId)).toBe(secrets.replayKey);
    expect(() => decryptSecret(row.encryptedKey, other.projectId)).toThrow(/failed authentication/);
    const tampered = row.encryptedKey.slice(0, -2) + (row.encryptedKey.endsWith("AA") ? "BB" : "AA");
    expect(() => decryptSecret(tampered, project.projectId)).toThrow(/failed authentication/);
    // A fresh IV per seal: the same key never gives the same blob.
    expect(encryptSecret(secrets.replayKey, project.projectId)).not.toBe(encryptSecret(secrets.replayKey, project.projectId));

    // Rotation: a new key reads old blobs only while the old one is listed as previous.
    const oldKey = process.env.SPENDLENS_ENCRYPTION_KEY!;
    process.env.SPENDLENS_ENCRYPTION_KEY = generateEncryptionKey();
    try {
      expect(() => decryptSecret(row.encryptedKey, project.projectId)).toThrow(SecretKeyError);
      process.env.SPENDLENS_ENCRYPTION_KEY_PREVIOUS = oldKey;
      expect(decryptSecret(row.encryptedKey, project.projectId)).toBe(secrets.replayKey);
      expect(needsReencryption(row.encryptedKey)).toBe(true);
      // The error names the key by its id, never its value.
      delete process.env.SPENDLENS_ENCRYPTION_KEY_PREVIOUS;
      let message = "";
      try {
        decryptSecret(row.encryptedKey, project.projectId);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toContain(row.encryptedKey.split(".")[1]);
      expect(message).not.toContain(oldKey);
    } finally {
      process.env.SPENDLENS_ENCRYPTION_KEY = oldKey;
      delete process.env.SPENDLENS_ENCRYPTION_KEY_PREVIOUS;
    }
    // Without a key from the environment nothing is stored in clear: saving refuses.
    delete process.env.SPENDLENS_ENCRYPTION_KEY;
    try {
      await expect(saveProviderCredential(project.projectId, { name: "x", provider: "openai", baseUrl: "http://127.0.0.1:9/v1", apiKey: "sk-another-key-0000" })).rejects.toThrow(/SPENDLENS_ENCRYPTION_KEY is not set/);
    } finally {
      process.env.SPENDLENS_ENCRYPTION_KEY = oldKey;
    }
    expect(await db.providerCredential.count({ where: { projectId: project.projectId } })).toBe(1);
  });
});

describe("prompts and bodies are scrubbed before storage", () => {
  let upstream: FakeUpstream;
  let proxy: RunningProxy;
  beforeAll(async () => {
    upstream = await startFakeUpstream();
    proxy = await startProxyServer({ port: 0, host: "127.0.0.1", allowlist: upstream.url, logRetryDelaysMs: [20] });
    await db.project.update({ where: { id: project.projectId }, data: { openaiUpstream: upstream.url } });
  });
  afterAll(async () => {
    await proxy?.close(1_000);
    await upstream?.close();
  });

  it("through ingest: system prompt, messages, response, error, tags and credential fields; the row says what was redacted", async () => {
    const text = promptWithSecrets(secrets);
    const base = openAIChatEvent({ id: "secret-1" });
    const events = [
      {
        ...base,
        request: {
          model: "gpt-4o-mini",
          // A system prompt is stored once per project as a PromptBlob: scrubbed too.
          messages: [
            { role: "system", content: `You are a deploy assistant. Internal token: api_key=${secrets.bearer}9` },
            { role: "user", content: text },
          ],
          api_key: secrets.openaiKey,
          headers: { Authorization: `Bearer ${secrets.bearer}`, "x-api-key": secrets.anthropicKey },
        },
        response: { ...base.response!, choices: [{ index: 0, message: { role: "assistant", content: `Use ${secrets.awsKey} and ${secrets.jwt}` }, finish_reason: "stop" }] },
        tags: { feature: "deploy", note: `db_password=${secrets.password}` },
      },
      { ...openAIChatEvent({ id: "secret-2" }), response: null, error: { status: 401, message: `Incorrect API key provided: ${secrets.openaiKey}` } },
    ];
    const res = await handleIngestRequest(
      new Request("http://localhost/api/v1/ingest", { method: "POST", headers: { authorization: `Bearer ${project.key}`, "content-type": "application/json" }, body: JSON.stringify({ events }) }),
    );
    expect(res.status).toBe(200);
    expect(foundIn(await databaseText(), promptSecrets)).toEqual([]);
    const row = await db.call.findUniqueOrThrow({ where: { projectId_eventId: { projectId: project.projectId, eventId: "secret-1" } } });
    const kinds = new Set((row.redactions as Array<{ path: string; kind: string }>).map((r) => r.kind));
    for (const kind of ["openai_key", "anthropic_key", "google_key", "aws_access_key", "jwt", "bearer_token", "private_key", "generic_secret", "credential_field"]) expect(kinds, kind).toContain(kind);
    // What remains readable is the question itself.
    expect(JSON.stringify(row.request)).toContain("Why does my deploy fail?");
    const err = await db.call.findUniqueOrThrow({ where: { projectId_eventId: { projectId: project.projectId, eventId: "secret-2" } } });
    expect(err.errorMessage).toBe("Incorrect API key provided: [REDACTED:openai_key]");
  });

  it("through the proxy: the client's provider key goes upstream only; prompt secrets are scrubbed in the logged call", async () => {
    const body = JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: promptWithSecrets(secrets) }] });
    const r = await fetch(`http://127.0.0.1:${proxy.port}/proxy/openai/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${secrets.openaiKey}`, "x-spendlens-key": project.key, "x-spendlens-session": "secret-proxy" },
      body,
    });
    expect(r.status).toBe(200);
    await r.arrayBuffer();
    expect(upstream.requests.at(-1)!.headers.authorization).toBe(`Bearer ${secrets.openaiKey}`);
    // The Spendlens key is for the proxy only: it is not forwarded to the provider.
    expect(JSON.stringify(upstream.requests.at(-1)!.headers)).not.toContain(project.key);
    await proxy.handler.flushLogs();
    const logged = await db.call.findMany({ where: { projectId: project.projectId, session: "secret-proxy" } });
    expect(logged).toHaveLength(1);
    expect(foundIn(await databaseText(), promptSecrets)).toEqual([]);
    expect(JSON.stringify(logged[0].request)).toContain("Why does my deploy fail?");
  });
});
