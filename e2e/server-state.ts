// Where e2e/serve.ts records the scratch database and data directory it made, for e2e/teardown.ts.
import os from "node:os";
import path from "node:path";

export type ServerState = { dataDir: string; admin: string; database: string | null };

export function serverStateFile(): string {
  return path.join(os.tmpdir(), `spendlens-e2e-${process.env.E2E_PORT ?? process.env.PORT ?? 3210}.json`);
}
