// Worker-thread entry for `spendlens analyze --jobs N`: worker threads do not inherit the tsx loader the
// bin registered, so each registers it before loading the TypeScript worker body.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { register } from "tsx/esm/api";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
register({ tsconfig: path.join(root, "tsconfig.json") });
await import("./analysis-worker.ts");
