// Builds the SDK to dist/esm (ES modules) and dist/cjs (CommonJS), both with .d.ts, using the
// TypeScript compiler of the surrounding repo (or of this package once it has its own).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const tsc = [path.join(root, "node_modules/.bin/tsc"), path.join(root, "../node_modules/.bin/tsc")].find(existsSync);
if (!tsc) throw new Error("TypeScript not found: install it (npm i -D typescript) before building");

rmSync(path.join(root, "dist"), { recursive: true, force: true });
execFileSync(tsc, ["-p", "tsconfig.json"], { cwd: root, stdio: "inherit" });
execFileSync(tsc, ["-p", "tsconfig.cjs.json"], { cwd: root, stdio: "inherit" });
// The package is "type": "module"; this marker makes Node read dist/cjs/*.js as CommonJS.
mkdirSync(path.join(root, "dist/cjs"), { recursive: true });
writeFileSync(path.join(root, "dist/cjs/package.json"), '{ "type": "commonjs" }\n');
console.log("built dist/esm and dist/cjs");
