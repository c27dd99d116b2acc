// npm run db:migration -- <name>
// Writes prisma/migrations/<timestamp>_<name>/migration.sql with the SQL from the last migrated
// datamodel (prisma/migrations/schema.snapshot.prisma) to prisma/schema.prisma, then updates the snapshot.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { diffSql, readSchema } from "./prisma6";

const name = (process.argv[2] ?? "").replace(/[^a-z0-9_]+/gi, "_").toLowerCase();
if (!name) {
  console.error("usage: npm run db:migration -- <name>");
  process.exit(2);
}
const dir = path.resolve("prisma/migrations");
const snapshotFile = path.join(dir, "schema.snapshot.prisma");
const schema = readSchema();
const previous = existsSync(snapshotFile) ? readSchema(snapshotFile) : null;
const sql = diffSql(previous, schema);
if (!/\b(CREATE|ALTER|DROP)\b/.test(sql)) {
  console.log("schema.prisma matches the migrations: nothing to write");
  process.exit(0);
}
const stamp = new Date().toISOString().replace(/[-:T]/g, "").slice(0, 14);
const target = path.join(dir, `${stamp}_${name}`);
mkdirSync(target, { recursive: true });
writeFileSync(path.join(target, "migration.sql"), sql);
writeFileSync(snapshotFile, schema);
console.log(`wrote ${path.relative(process.cwd(), target)}/migration.sql`);
