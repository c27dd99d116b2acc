// Throw-away PostgreSQL clusters and Redis servers for the fault tests. The machine's own Postgres and
// Redis are shared by everyone and must never be stopped; these belong to one test file, live in a temp
// directory on a free loopback port, and can be stopped for real (pg_ctl stop -m fast, SIGKILL/SIGTERM
// to redis-server) and started again on the same port with the same data.
import { execFile, execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { chown, mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { createScratchDatabase } from "../../../lib/db/scratch";
import { migrate } from "../../../lib/db/migrate";

const run = promisify(execFile);

export const PG_BIN = process.env.SPENDLENS_PG_BIN ?? "/usr/lib/postgresql/15/bin";
const REDIS_SERVER = process.env.SPENDLENS_REDIS_SERVER ?? "/usr/bin/redis-server";
const RUNUSER = "/usr/sbin/runuser";
const isRoot = process.getuid?.() === 0;

/** Why the fault tests cannot run here, or null when every binary they need is installed. */
export function missingFaultBinaries(): string | null {
  const needed = [path.join(PG_BIN, "initdb"), path.join(PG_BIN, "pg_ctl"), REDIS_SERVER, ...(isRoot ? [RUNUSER] : [])];
  const missing = needed.filter((p) => !existsSync(p));
  return missing.length ? `fault tests need ${missing.join(", ")}` : null;
}

// If the test process dies without its afterAll (a crash, a timeout kill), stop what it started anyway:
// pg_ctl daemonises the server, and a redis-server child would outlive its parent.
const leftovers = new Set<() => void>();
process.once("exit", () => {
  for (const cleanup of leftovers) {
    try {
      cleanup();
    } catch {
      // best effort at exit
    }
  }
});

/** A free TCP port on 127.0.0.1 (bound then released). */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts TCP connections on the port (or throws after timeoutMs). */
export async function waitForPort(port: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const sock = net.connect({ host: "127.0.0.1", port });
      sock.once("connect", () => {
        sock.destroy();
        resolve(true);
      });
      sock.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function postgresIds(): Promise<{ uid: number; gid: number }> {
  const [{ stdout: uid }, { stdout: gid }] = await Promise.all([run("id", ["-u", "postgres"]), run("id", ["-g", "postgres"])]);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

/** Run a Postgres binary as the postgres user when we are root (initdb refuses to run as root). */
async function pgCommand(bin: string, args: string[]): Promise<string> {
  const file = path.join(PG_BIN, bin);
  const { stdout } = isRoot ? await run(RUNUSER, ["-u", "postgres", "--", file, ...args]) : await run(file, args);
  return stdout;
}

export type OwnPostgres = {
  port: number;
  /** Admin URL (database "postgres"). */
  adminUrl: string;
  /** A migrated database on this cluster, created on first call. */
  migratedDatabase(): Promise<string>;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stop and delete the cluster's directory. */
  destroy(): Promise<void>;
};

/** initdb a new cluster in a temp directory and start it on a free port. */
export async function startOwnPostgres(): Promise<OwnPostgres> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "sl-fault-pg-"));
  if (isRoot) {
    const { uid, gid } = await postgresIds();
    await chown(dir, uid, gid);
  }
  const data = path.join(dir, "data");
  await pgCommand("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C"]);
  const port = await freePort();
  const options = [
    `-p ${port}`,
    `-k ${dir}`,
    "-c listen_addresses=127.0.0.1",
    "-c max_connections=60",
    "-c shared_buffers=32MB",
    "-c fsync=off",
    // A backend whose client died while it waited on a lock notices within a second.
    "-c client_connection_check_interval=1000",
  ].join(" ");
  let running = false;
  let url = "";
  const pg: OwnPostgres = {
    port,
    adminUrl: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    async migratedDatabase() {
      if (url) return url;
      const created = await createScratchDatabase(pg.adminUrl, "fault");
      await migrate(created.url);
      url = created.url;
      return url;
    },
    async start() {
      if (running) return;
      await pgCommand("pg_ctl", ["-D", data, "-o", options, "-l", path.join(dir, "postgres.log"), "-w", "-t", "60", "start"]);
      running = true;
    },
    async stop() {
      if (!running) return;
      await pgCommand("pg_ctl", ["-D", data, "-m", "fast", "-w", "-t", "60", "stop"]);
      running = false;
    },
    async destroy() {
      await pg.stop().catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
  const emergencyStop = () => {
    const args = ["-D", data, "-m", "immediate", "stop"];
    if (isRoot) execFileSync(RUNUSER, ["-u", "postgres", "--", path.join(PG_BIN, "pg_ctl"), ...args], { stdio: "ignore" });
    else execFileSync(path.join(PG_BIN, "pg_ctl"), args, { stdio: "ignore" });
  };
  leftovers.add(emergencyStop);
  const destroy = pg.destroy;
  pg.destroy = async () => {
    leftovers.delete(emergencyStop);
    await destroy();
  };
  await pg.start();
  return pg;
}

export type OwnRedis = {
  port: number;
  url: string;
  /** Kill the server (SIGKILL: no goodbye) or stop it (SIGTERM). */
  stop(signal?: "SIGKILL" | "SIGTERM"): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
};

/**
 * A redis-server child on a free loopback port. `persistent` keeps an append-only file in its temp
 * directory (fsync per write), as a production BullMQ Redis must, so queued jobs survive a restart.
 */
export async function startOwnRedis(opts: { persistent?: boolean } = {}): Promise<OwnRedis> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "sl-fault-redis-"));
  const port = await freePort();
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--dir", dir, "--daemonize", "no", "--maxmemory-policy", "noeviction"];
  args.push(...(opts.persistent ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"]));
  let child: ChildProcess | null = null;
  const redis: OwnRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      if (child) return;
      const proc = spawn(REDIS_SERVER, args, { stdio: "ignore" });
      child = proc;
      proc.once("exit", () => {
        if (child === proc) child = null;
      });
      await waitForPort(port);
    },
    async stop(signal = "SIGKILL") {
      const proc = child;
      if (!proc) return;
      const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
      proc.kill(signal);
      await exited;
      child = null;
    },
    async destroy() {
      await redis.stop().catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
  const emergencyStop = () => child?.kill("SIGKILL");
  leftovers.add(emergencyStop);
  const destroy = redis.destroy;
  redis.destroy = async () => {
    leftovers.delete(emergencyStop);
    await destroy();
  };
  await redis.start();
  return redis;
}

export type WorkerProcess = {
  pid: number;
  /** Everything the worker printed so far (stdout and stderr). */
  output(): string;
  /** Resolves when the worker has said it listens on its queues. */
  ready: Promise<void>;
  kill(signal: NodeJS.Signals): Promise<void>;
};

/**
 * workers/index.ts (what `npm run worker` runs) as a child with its own REDIS_URL / DATABASE_URL. Run as
 * `node --import tsx`, not the tsx CLI: the CLI runs the script in a second process, and a SIGKILL
 * must hit the process doing the work.
 */
export function startWorkerProcess(env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, ["--import", "tsx", "workers/index.ts"], {
    cwd: process.cwd(),
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let readyResolve: () => void;
  let readyReject: (err: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    readyResolve = resolve;
    readyReject = reject;
  });
  const onData = (chunk: Buffer) => {
    out += chunk.toString("utf8");
    if (out.includes("[worker] listening on queues")) readyResolve();
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  let exited = false;
  const emergencyStop = () => child.kill("SIGKILL");
  leftovers.add(emergencyStop);
  child.once("exit", (code, signal) => {
    leftovers.delete(emergencyStop);
    exited = true;
    readyReject(new Error(`worker exited (${code ?? signal}) before it was ready:\n${out.slice(-2000)}`));
  });
  return {
    pid: child.pid!,
    output: () => out,
    ready,
    async kill(signal) {
      if (exited) return;
      const done = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill(signal);
      await done;
    },
  };
}
