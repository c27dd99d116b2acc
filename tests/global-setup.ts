// Vitest global setup: finds the Postgres the tests use (this machine's server, or the embedded
// one when none answers), builds a migrated template database once, and checks Redis.
import net from "node:net";
import type { TestProject } from "vitest/node";
import { migrate } from "../lib/db/migrate";
import { adminUrl, createScratchDatabase, dropDatabase, postgresAnswers } from "../lib/db/scratch";


async function redisReachable(url: string): Promise<boolean> {
  const u = new URL(url);
  return await new Promise((resolve) => {
    const sock = net.connect({ host: u.hostname, port: Number(u.port || 6379) });
    sock.setTimeout(1500);
    sock.once("connect", () => {
      sock.end();
      resolve(true);
    });
    sock.once("error", () => resolve(false));
    sock.once("timeout", () => {
      sock.destroy();
      resolve(false);
    });
  });
}

export default async function setup(project: TestProject) {
  // Files the code under test writes to the data directory (e.g. the .eml outbox) go to a temp dir.
  const { mkdtempSync } = await import("node:fs");
  const os = await import("node:os");
  const path = await import("node:path");
  process.env.SPENDLENS_DATA_DIR ??= mkdtempSync(path.join(os.tmpdir(), "spendlens-test-data-"));
  let admin = adminUrl();
  let stopEmbedded: (() => Promise<void>) | undefined;
  if (!(await postgresAnswers(admin))) {
    const { startEmbeddedPostgres } = await import("../lib/db/embedded");
    const embedded = await startEmbeddedPostgres({ dir: `.spendlens/test-pg-${process.pid}` });
    admin = embedded.url;
    stopEmbedded = embedded.stop;
    console.log(`[tests] no Postgres at ${adminUrl()}: using the embedded PGlite database instead`);
  } else {
    console.log(`[tests] Postgres: ${new URL(admin).host}`);
  }
  const template = await createScratchDatabase(admin, "template");
  await migrate(template.url);
  const redisUrl = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
  const redisOk = await redisReachable(redisUrl);
  console.log(redisOk ? `[tests] Redis: ${new URL(redisUrl).host}` : "[tests] no Redis: queue tests use the in-process driver only");
  project.provide("testAdminUrl", admin);
  project.provide("testTemplateDb", template.name);
  project.provide("testRedisUrl", redisOk ? redisUrl : "");
  return async () => {
    await dropDatabase(admin, template.name).catch(() => {});
    if (stopEmbedded) await stopEmbedded();
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    testAdminUrl: string;
    testTemplateDb: string;
    testRedisUrl: string;
  }
}
