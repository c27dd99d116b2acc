// `npm start`: the whole product in one process, on an embedded default when nothing is configured.
//  1. secrets: NEXTAUTH_SECRET and SPENDLENS_ENCRYPTION_KEY generated once and kept in the data dir;
//  2. database: DATABASE_URL, or embedded Postgres (PGlite) persisted in the data dir (.spendlens/);
//  3. migrations applied; Prisma client generated and the Next.js app built when missing or stale;
//  4. Next.js on PORT (3000), the logging proxy on PROXY_PORT (3100), and, without REDIS_URL,
//     the in-process job runner (with REDIS_URL, jobs run in `npm run worker`).
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { dataDir, startEmbeddedPostgres, type EmbeddedPostgres } from "../lib/db/embedded";
import { migrate } from "../lib/db/migrate";
import { ensureAppBuilt } from "./app-build";

const root = process.cwd();
const dev = process.argv.includes("--dev");
const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? "0.0.0.0";
const log = (line: string) => console.log(`[spendlens] ${line}`);

function loadOrCreateSecrets(dir: string): void {
  const file = path.join(dir, "secrets.json");
  const saved: Record<string, string> = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : {};
  let changed = false;
  for (const name of ["NEXTAUTH_SECRET", "SPENDLENS_ENCRYPTION_KEY"]) {
    if (process.env[name]) continue;
    if (!saved[name]) {
      saved[name] = randomBytes(32).toString("base64");
      changed = true;
    }
    process.env[name] = saved[name];
  }
  if (changed) writeFileSync(file, JSON.stringify(saved, null, 2), { mode: 0o600 });
}

async function main() {
  const dir = dataDir();
  mkdirSync(dir, { recursive: true });
  loadOrCreateSecrets(dir);
  process.env.NEXTAUTH_URL ??= `http://localhost:${port}`;
  ensureAppBuilt({ dev, log });

  let embedded: EmbeddedPostgres | undefined;
  if (!process.env.DATABASE_URL) {
    embedded = await startEmbeddedPostgres();
    process.env.DATABASE_URL = embedded.url;
    log(`no DATABASE_URL: embedded Postgres (PGlite) with data in ${path.join(dir, "pgdata")}`);
  }
  const migrated = await migrate(process.env.DATABASE_URL!, { log });
  log(`database ready (${migrated.applied.length} migration(s) applied now, ${migrated.alreadyApplied} before)`);

  const { default: next } = await import("next");
  const app = next({ dev, dir: root, hostname: "localhost", port });
  await app.prepare();
  const handle = app.getRequestHandler();
  // Ingest endpoints answered on node:http directly, the rest by Next.js; every request gets its socket
  // address in a header the launcher writes itself (Next.js gives route handlers none; the per-address
  // sign-in/sign-up limits key on it, lib/auth/sign-in-rate-limit.ts).
  const { appListener } = await import("../lib/http/app-listener");
  process.env.SPENDLENS_PEER_HEADER = "1";
  const server = http.createServer({ keepAliveTimeout: 65_000 }, appListener(handle));
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  log(`app on http://localhost:${port}`);

  const stops: Array<() => Promise<void>> = [];
  const proxyPort = Number(process.env.PROXY_PORT ?? 3100);
  if (proxyPort > 0) {
    try {
      const { startProxyServer } = await import("../lib/proxy/server");
      const proxy = await startProxyServer({ port: proxyPort, host });
      log(`proxy on http://localhost:${proxy.port}/proxy/openai/v1 (see docs/proxy.md)`);
      stops.push(() => proxy.close());
    } catch (err) {
      log(`proxy not started: ${(err as Error).message}`);
    }
  }

  if (process.env.REDIS_URL) {
    log("REDIS_URL set: background jobs run in `npm run worker`");
  } else {
    const { startInProcessRunner } = await import("../lib/queue/inprocess");
    const { handlers } = await import("../workers/registry");
    const runner = startInProcessRunner({ handlers, log });
    stops.push(() => runner.stop());
    const { enqueueInProcess } = await import("../lib/queue/inprocess");
    const { SCHEDULES } = await import("../lib/queue/schedules");
    for (const s of SCHEDULES) {
      const fire = () =>
        void enqueueInProcess(s.queue, s.name, s.data, { dedupeKey: `schedule:${s.id}` }).catch((err) => log(`schedule ${s.id}: ${(err as Error).message}`));
      const timer = setInterval(fire, s.everyMs);
      timer.unref();
      setTimeout(fire, 30_000).unref();
      stops.push(async () => clearInterval(timer));
    }
    log("no REDIS_URL: background jobs run in this process");
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: shutting down`);
    server.close();
    for (const stop of stops) await stop().catch(() => {});
    const { closeDb } = await import("../lib/db/client");
    await closeDb();
    // PGlite must close cleanly so its files are consistent at the next start.
    if (embedded) await embedded.stop();
    process.exit(0);
  };
  process.once("SIGINT", () => void shutdown("SIGINT"));
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
