// npm run db:check — fails when prisma/schema.prisma and prisma/migrations disagree.
// Applies the migrations to one scratch database and the SQL Prisma derives from the schema to
// another, then compares their catalogs (tables, columns, types, defaults, indexes, constraints, enums).
import pg from "pg";
import { migrate } from "../../lib/db/migrate";
import { adminUrl, createScratchDatabase, dropDatabase } from "../../lib/db/scratch";
import { diffSql, readSchema } from "./prisma6";

const CATALOG = `
SELECT 'column' AS kind, table_name || '.' || column_name || ' ' || data_type || ' ' || udt_name || ' null=' || is_nullable || ' default=' || coalesce(column_default, '') AS item
  FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'
UNION ALL
SELECT 'index', indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename <> '_prisma_migrations'
UNION ALL
SELECT 'constraint', conrelid::regclass || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
  WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text <> '_prisma_migrations'
UNION ALL
SELECT 'enum', t.typname || '.' || e.enumlabel FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
ORDER BY 1, 2`;

async function catalog(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ kind: string; item: string }>(CATALOG);
    return rows.map((r) => `${r.kind}: ${r.item}`);
  } finally {
    await client.end();
  }
}

async function main() {
  const admin = adminUrl();
  const fromMigrations = await createScratchDatabase(admin, "check_migrations");
  const fromSchema = await createScratchDatabase(admin, "check_schema");
  try {
    await migrate(fromMigrations.url);
    const sql = diffSql(null, readSchema());
    const client = new pg.Client({ connectionString: fromSchema.url });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
    const a = new Set(await catalog(fromMigrations.url));
    const b = new Set(await catalog(fromSchema.url));
    const onlyMigrations = [...a].filter((x) => !b.has(x));
    const onlySchema = [...b].filter((x) => !a.has(x));
    if (onlyMigrations.length || onlySchema.length) {
      console.error("DRIFT: prisma/schema.prisma and prisma/migrations disagree. Run `npm run db:migration -- <name>`.");
      for (const x of onlySchema) console.error(`  in schema.prisma only: ${x}`);
      for (const x of onlyMigrations) console.error(`  in migrations only:    ${x}`);
      process.exitCode = 1;
    } else {
      console.log(`db:check ok: migrations match schema.prisma (${a.size} catalog items compared)`);
    }
  } finally {
    await dropDatabase(admin, fromMigrations.name);
    await dropDatabase(admin, fromSchema.name);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
