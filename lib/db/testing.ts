// Test helper: `useTestDatabase()` at the top of a test file gives that file its own migrated
// database (a copy of the template built in tests/global-setup.ts) and points DATABASE_URL at it.
import { afterAll, beforeAll, inject } from "vitest";
import { closeDb } from "./client";
import { createScratchDatabase, dropDatabase } from "./scratch";

export function useTestDatabase(): { url: () => string } {
  let name = "";
  let url = "";
  beforeAll(async () => {
    const admin = inject("testAdminUrl");
    const created = await createScratchDatabase(admin, "t", inject("testTemplateDb"));
    name = created.name;
    url = created.url;
    process.env.DATABASE_URL = url;
  });
  afterAll(async () => {
    await closeDb();
    if (name) await dropDatabase(inject("testAdminUrl"), name).catch(() => {});
  });
  return { url: () => url };
}

/** Redis URL for tests, or "" when no Redis answers (tests that need it should skip). */
export function testRedisUrl(): string {
  return inject("testRedisUrl");
}
