// The one Prisma client and pg pool of a process. Both read DATABASE_URL lazily, so the launcher
// (embedded Postgres) and tests (a database per test file) can set it before first use.
import pg from "pg";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/client";

export type Db = PrismaClient;

type Handles = { url: string; pool: pg.Pool; prisma: PrismaClient };
const globalForDb = globalThis as unknown as { __spendlensDb?: Handles };

export function databaseUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) {
    throw new Error(
      "DATABASE_URL is not set. `npm start` sets it to the embedded database; other entry points need it in the environment.",
    );
  }
  return url;
}

function handles(): Handles {
  const url = databaseUrl();
  const current = globalForDb.__spendlensDb;
  if (current && current.url === url) return current;
  const pool = new pg.Pool({
    connectionString: url,
    max: Number(process.env.DATABASE_POOL_MAX ?? 10),
    // Fail fast when Postgres is down so callers can answer 503 instead of hanging.
    connectionTimeoutMillis: Number(process.env.DATABASE_CONNECT_TIMEOUT_MS ?? 5000),
  });
  // An idle client erroring (e.g. Postgres restarted) must not crash the process.
  pool.on("error", () => {});
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  const next = { url, pool, prisma };
  globalForDb.__spendlensDb = next;
  if (current) void closeHandles(current);
  return next;
}

async function closeHandles(h: Handles): Promise<void> {
  await h.prisma.$disconnect().catch(() => {});
  await h.pool.end().catch(() => {});
}

/** The Prisma client for DATABASE_URL. */
export function getDb(): PrismaClient {
  return handles().prisma;
}

/** The raw pg pool behind the Prisma client, for bulk SQL (ingest) that Prisma cannot express fast. */
export function getPool(): pg.Pool {
  return handles().pool;
}

/** `db.user.findMany(...)`: a lazy view of getDb(), so importing this module never connects. */
export const db: PrismaClient = new Proxy({} as PrismaClient, {
  get(_target, prop) {
    const client = getDb() as unknown as Record<string | symbol, unknown>;
    const value = client[prop];
    return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(client) : value;
  },
});

export async function closeDb(): Promise<void> {
  const current = globalForDb.__spendlensDb;
  globalForDb.__spendlensDb = undefined;
  if (current) await closeHandles(current);
}
