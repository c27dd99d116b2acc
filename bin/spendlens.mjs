#!/usr/bin/env node
// `npx spendlens ...`: the CLI is TypeScript (lib/cli), run through the tsx loader installed with the
// project, so there is no build step. The loader is registered for this process only.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { register } from "tsx/esm/api";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
register({ tsconfig: path.join(root, "tsconfig.json") });
const { main } = await import("../lib/cli/main.ts");
const status = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() });
// Let stdout drain (a large --json report through a pipe) before exiting with the status.
process.exitCode = status;
