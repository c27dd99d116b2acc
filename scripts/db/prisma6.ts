// Runs the Prisma 6.19 CLI's `migrate diff` (WASM schema engine, no download) on a migration-only
// copy of prisma/schema.prisma: Prisma 7's migrate needs a Rust engine that cannot be fetched offline.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { adminUrl } from "../../lib/db/scratch";

const root = process.cwd();

/** Schema text as Prisma 6 wants it: no Prisma 7 generator, a datasource url. */
export function toPrisma6Schema(schema: string): string {
  return schema
    .replace(/generator client \{[^}]*\}\n/, "")
    .replace(/provider = "postgresql"\n/, 'provider = "postgresql"\n  url      = env("DATABASE_URL")\n');
}

function workdir(schemas: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "spendlens-prisma6-"));
  for (const [name, text] of Object.entries(schemas)) writeFileSync(path.join(dir, name), toPrisma6Schema(text));
  // The engine connects through the adapter even for a datamodel-to-datamodel diff; it changes nothing.
  const u = new URL(adminUrl());
  const conn = { host: u.hostname, port: Number(u.port || 5432), user: decodeURIComponent(u.username || "postgres"), password: decodeURIComponent(u.password) || undefined, database: u.pathname.slice(1) || "postgres" };
  writeFileSync(
    path.join(dir, "prisma.config.mjs"),
    `import { defineConfig } from ${JSON.stringify(path.join(root, "node_modules/prisma6/config.js"))};
export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  async adapter() {
    const { PrismaPg } = await import(${JSON.stringify(path.join(root, "node_modules/adapter-pg6/dist/index.mjs"))});
    return new PrismaPg(${JSON.stringify(conn)});
  },
});
`,
  );
  return dir;
}

/** SQL that takes a database from datamodel `from` (null = empty) to datamodel `to`. */
export function diffSql(from: string | null, to: string): string {
  const dir = workdir(from === null ? { "to.prisma": to } : { "from.prisma": from, "to.prisma": to });
  const args = [
    path.join(root, "node_modules/prisma6/build/index.js"),
    "migrate",
    "diff",
    "--config",
    path.join(dir, "prisma.config.mjs"),
    ...(from === null ? ["--from-empty"] : ["--from-schema-datamodel", path.join(dir, "from.prisma")]),
    "--to-schema-datamodel",
    path.join(dir, "to.prisma"),
    "--script",
  ];
  return execFileSync(process.execPath, args, {
    cwd: dir,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      DATABASE_URL: "postgresql://unused@127.0.0.1:1/unused",
      PRISMA_CLIENT_ENGINE_TYPE: "client",
      PRISMA_QUERY_ENGINE_LIBRARY: "/bin/false",
      PRISMA_HIDE_UPDATE_MESSAGE: "1",
    },
  });
}

export function readSchema(file = path.join(root, "prisma/schema.prisma")): string {
  return readFileSync(file, "utf8");
}
