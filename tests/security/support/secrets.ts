// Secrets for the secret-handling tests: realistic, random per run (so a hit cannot be a coincidence), in
// every format the redaction knows, and a way to search the whole database and captured logs for them.
import { randomBytes } from "node:crypto";
import { getPool } from "../../../lib/db/client";

const alnum = (n: number) => randomBytes(n * 2).toString("base64").replace(/[^A-Za-z0-9]/g, "").slice(0, n);
const upper = (n: number) => randomBytes(n * 2).toString("hex").toUpperCase().replace(/[^A-Z0-9]/g, "").slice(0, n);

/** Key-like strings as they appear in prompts, headers and provider errors. */
export function makeSecrets() {
  return {
    openaiKey: `sk-proj-${alnum(48)}`,
    anthropicKey: `sk-ant-api03-${alnum(40)}`,
    googleKey: `AIza${alnum(35)}`,
    awsKey: `AKIA${upper(16)}`,
    jwt: `eyJ${alnum(20)}.eyJ${alnum(30)}.${alnum(32)}`,
    bearer: `tok_${alnum(32)}`,
    password: `Pw-${alnum(20)}`,
    privateKeyBody: alnum(64),
    /**
     * The provider key a project saves for replays (encrypted at rest, sent to the provider only). No
     * known prefix (many OpenAI-compatible hosts issue bare tokens): pattern-based redaction cannot spot
     * it, so only handling it as a known secret keeps it out of logs and storage.
     */
    replayKey: `${alnum(8)}${randomBytes(20).toString("hex")}`,
  };
}
export type Secrets = ReturnType<typeof makeSecrets>;

/** A prompt that carries every secret the way people paste them into prompts. */
export function promptWithSecrets(s: Secrets): string {
  return [
    `Here is my config: OPENAI_API_KEY=${s.openaiKey}`,
    `anthropic key ${s.anthropicKey} and google ${s.googleKey}`,
    `aws_access_key_id = ${s.awsKey}`,
    `curl -H "Authorization: Bearer ${s.bearer}" https://api.example.com`,
    `the session cookie is ${s.jwt}`,
    `db password: ${s.password}`,
    `-----BEGIN RSA PRIVATE KEY-----\n${s.privateKeyBody}\n-----END RSA PRIVATE KEY-----`,
    "Why does my deploy fail?",
  ].join("\n");
}

/**
 * Distinctive pieces of each secret: the whole value and its middle (a secret masked as "sk-pr…Xy9"
 * keeps its ends; a middle found means the secret itself leaked, whole or in part).
 */
export function needles(values: Record<string, string>): Array<{ name: string; needle: string }> {
  const out: Array<{ name: string; needle: string }> = [];
  for (const [name, value] of Object.entries(values)) {
    out.push({ name, needle: value });
    if (value.length >= 24) {
      const mid = Math.floor(value.length / 2);
      out.push({ name: `${name} (middle)`, needle: value.slice(mid - 6, mid + 6) });
    }
  }
  return out;
}

/** Which needles occur in `text` (names only: never print the secret itself). */
export function foundIn(text: string, values: Record<string, string>): string[] {
  return needles(values)
    .filter((n) => text.includes(n.needle))
    .map((n) => n.name);
}

/** Every row of every table of the current database, as JSON text. */
export async function databaseText(): Promise<string> {
  const pool = getPool();
  const { rows: tables } = await pool.query<{ name: string }>(`SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`);
  const parts: string[] = [];
  for (const { name } of tables) {
    const { rows } = await pool.query<{ t: string | null }>(`SELECT string_agg(row_to_json(x)::text, E'\\n') AS t FROM "${name.replace(/"/g, '""')}" x`);
    parts.push(`== ${name}\n${rows[0].t ?? ""}`);
  }
  return parts.join("\n");
}
