import pg from "pg";
import { describe, expect, it } from "vitest";
import { migrate, readMigrations } from "./migrate";
import { useTestDatabase } from "./testing";
import { db } from "./client";

const database = useTestDatabase();

describe("migration runner", () => {
  it("records every migration in _prisma_migrations with the file's checksum, and is idempotent", async () => {
    const files = await readMigrations();
    const again = await migrate(database.url());
    expect(again.applied).toEqual([]);
    const client = new pg.Client({ connectionString: database.url() });
    await client.connect();
    const { rows } = await client.query(`SELECT migration_name, checksum FROM "_prisma_migrations" ORDER BY migration_name`);
    await client.end();
    expect(rows.map((r) => r.migration_name)).toEqual(files.map((f) => f.name));
    expect(rows.map((r) => r.checksum)).toEqual(files.map((f) => f.checksum));
  });

  it("gives a working Prisma client over the migrated schema", async () => {
    const user = await db.user.create({ data: { email: `m${Date.now()}@example.com` } });
    expect(await db.user.findUnique({ where: { id: user.id } })).toMatchObject({ email: user.email });
  });
});
