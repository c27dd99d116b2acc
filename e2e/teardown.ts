// Playwright global teardown (runs before the web server is stopped): drop the scratch database and
// remove the data directory e2e/serve.ts created, even if the server is then killed without cleanup.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { dropDatabase } from "../lib/db/scratch";
import { serverStateFile, type ServerState } from "./server-state";

export default async function teardown() {
  const file = serverStateFile();
  if (!existsSync(file)) return;
  const state = JSON.parse(readFileSync(file, "utf8")) as ServerState;
  rmSync(file, { force: true });
  if (state.database) await dropDatabase(state.admin, state.database).catch(() => {});
  // PGlite (embedded mode) may still hold files open; the server's own cleanup removes the rest.
  if (!state.database) return;
  rmSync(state.dataDir, { recursive: true, force: true });
}
