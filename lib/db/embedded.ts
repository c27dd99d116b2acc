// The embedded default: PGlite (Postgres compiled to WASM) persisted in the data directory and
// served on a loopback port over the Postgres wire protocol, so every part of the app uses the
// same pg + Prisma code path as production.
import { mkdir } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

export function dataDir(): string {
  return path.resolve(process.env.SPENDLENS_DATA_DIR ?? ".spendlens");
}

export type EmbeddedPostgres = { url: string; stop(): Promise<void> };

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export async function startEmbeddedPostgres(opts: { dir?: string; port?: number } = {}): Promise<EmbeddedPostgres> {
  const dir = opts.dir ?? path.join(dataDir(), "pgdata");
  await mkdir(dir, { recursive: true });
  const db = await PGlite.create({ dataDir: dir });
  const port = opts.port ?? Number(process.env.SPENDLENS_EMBEDDED_PG_PORT ?? 0) ?? 0;
  const server = new PGLiteSocketServer({
    db,
    host: "127.0.0.1",
    port: port || (await freePort()),
    maxConnections: 32,
  });
  await server.start();
  const url = `postgresql://postgres@${server.getServerConn()}/postgres?sslmode=disable`;
  return {
    url,
    async stop() {
      await server.stop().catch(() => {});
      await db.close().catch(() => {});
    },
  };
}
