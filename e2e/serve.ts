// The Playwright web server: the real launcher (scripts/start.ts) on a fresh scratch database and a
// fresh data directory, both removed when Playwright stops it. Without a Postgres server it falls
// back to the launcher's embedded default in the temp data directory.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { adminUrl, createScratchDatabase, dropDatabase, postgresAnswers } from "../lib/db/scratch";
import { serverStateFile, type ServerState } from "./server-state";


async function main() {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "spendlens-e2e-"));
  const admin = adminUrl();
  let scratch: { name: string; url: string } | undefined;
  if (await postgresAnswers(admin)) {
    scratch = await createScratchDatabase(admin, "e2e");
    console.log(`[e2e] scratch database ${scratch.name}`);
  } else {
    console.log("[e2e] no Postgres server: using the embedded default");
  }
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SPENDLENS_DATA_DIR: dataDir,
    PROXY_PORT: process.env.PROXY_PORT ?? "0",
    NEXTAUTH_URL: `http://localhost:${process.env.PORT}`,
  };
  // e2e/teardown.ts removes these too, in case this process is killed before it can.
  const state: ServerState = { dataDir, admin, database: scratch?.name ?? null };
  writeFileSync(serverStateFile(), JSON.stringify(state));
  if (scratch) env.DATABASE_URL = scratch.url;
  else delete env.DATABASE_URL;
  // Secrets come from the launcher (generated into the temp data dir), like a first start.
  delete env.NEXTAUTH_SECRET;

  // `node --import tsx` (not the tsx CLI, which adds a relaying parent process) so signals reach the launcher directly.
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/start.ts"], { env, stdio: "inherit" });
  let cleaning = false;
  const cleanup = async (code: number) => {
    if (cleaning) return;
    cleaning = true;
    if (child.exitCode === null) {
      child.kill("SIGTERM");
      await new Promise((r) => setTimeout(r, 300));
      await Promise.race([new Promise((r) => child.once("exit", r)), new Promise((r) => setTimeout(r, 8000))]);
    }
    if (scratch) await dropDatabase(admin, scratch.name).catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(code);
  };
  child.once("exit", (code) => void cleanup(code ?? 1));
  process.once("SIGTERM", () => void cleanup(0));
  process.once("SIGINT", () => void cleanup(0));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
