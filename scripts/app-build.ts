// The Next.js production build, made once and again only when what it depends on changed: shared by
// `npm start` and the benchmarks that go through the real app.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";

const root = process.cwd();

/** Hash of everything the Next.js build depends on, to rebuild only when it changed. */
function sourceHash(): string {
  const h = createHash("sha256");
  const walk = (p: string) => {
    if (!existsSync(p)) return;
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const e of readdirSync(p).sort()) if (e !== "node_modules" && e !== "generated" && !e.startsWith(".")) walk(path.join(p, e));
    } else if (/\.(tsx?|jsx?|css|json|prisma|mjs)$/.test(p)) {
      h.update(p).update(readFileSync(p));
    }
  };
  for (const p of ["app", "lib", "components", "next.config.js", "tsconfig.json", "package-lock.json", "prisma/schema.prisma"]) walk(path.join(root, p));
  return h.digest("hex");
}

function run(cmd: string, args: string[]) {
  execFileSync(cmd, args, { stdio: "inherit", cwd: root, env: process.env });
}

/** Generate the Prisma client if missing and (unless dev) build the Next.js app when its sources changed. */
export function ensureAppBuilt(opts: { dev?: boolean; log?: (line: string) => void } = {}): void {
  const log = opts.log ?? ((line: string) => console.log(line));
  const dev = opts.dev ?? false;
  const bin = (name: string) => path.join(root, "node_modules/.bin", name);
  if (!existsSync(path.join(root, "lib/db/generated/client.ts"))) {
    log("generating the Prisma client");
    run(bin("prisma"), ["generate"]);
  }
  if (dev) return;
  const stamp = path.join(root, ".next/spendlens-source-hash");
  const hash = sourceHash();
  if (existsSync(path.join(root, ".next/BUILD_ID")) && existsSync(stamp) && readFileSync(stamp, "utf8") === hash) return;
  log("building the web app (first start or sources changed; takes a minute or two)");
  run(bin("prisma"), ["generate"]);
  run(bin("next"), ["build"]);
  writeFileSync(stamp, hash);
}

