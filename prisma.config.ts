// Prisma 7 CLI config. Only `prisma generate` is used from Prisma 7: its migrate engine is a Rust
// binary that cannot be downloaded offline. generate merely checks that the engine path exists.
import { defineConfig } from "prisma/config";

process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= "/bin/false";

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
});
