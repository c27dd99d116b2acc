// The published package: the build gives ESM and CJS with types, imports nothing outside itself, type-checks
// in a strict consumer (with the per-call option), and runs where only fetch exists (an edge-like sandbox:
// no process, no node: modules).
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import vm from "node:vm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeIngest, type FakeIngest } from "./support/fake-ingest";

const sdk = path.resolve("sdk");
const dist = path.join(sdk, "dist");
let ingest: FakeIngest;

beforeAll(async () => {
  execFileSync(process.execPath, [path.join(sdk, "scripts/build.mjs")], { stdio: "pipe" });
  ingest = await startFakeIngest();
}, 120_000);
afterAll(async () => {
  await ingest.close();
});

const PUBLIC_NAMES = ["Spendlens", "SpendlensError", "currentTags", "observeOpenAI", "spendlens", "withTags"];

describe("build output", () => {
  it("ESM and CJS entry points load and export the same API; package.json exports point at real files", async () => {
    const esm = await import(pathToFileURL(path.join(dist, "esm/index.js")).href);
    const cjs = createRequire(import.meta.url)(path.join(dist, "cjs/index.js"));
    expect(Object.keys(esm).sort()).toEqual(PUBLIC_NAMES);
    expect(Object.keys(cjs).filter((k) => k !== "__esModule").sort()).toEqual(PUBLIC_NAMES);
    const anthropicCjs = createRequire(import.meta.url)(path.join(dist, "cjs/anthropic.js"));
    expect(typeof anthropicCjs.observeAnthropic).toBe("function");
    const pkg = JSON.parse(readFileSync(path.join(sdk, "package.json"), "utf8"));
    expect(pkg.dependencies ?? {}).toEqual({});
    const targets = JSON.stringify(pkg.exports).match(/\.\/dist\/[^"]+/g)!;
    expect(targets.length).toBeGreaterThanOrEqual(8);
    for (const t of targets) expect(existsSync(path.join(sdk, t)), t).toBe(true);
  });

  it("the compiled code imports only its own files (and node: built-ins, loaded on demand)", () => {
    for (const flavour of ["esm", "cjs"]) {
      for (const file of readdirSync(path.join(dist, flavour)).filter((f) => f.endsWith(".js"))) {
        const code = readFileSync(path.join(dist, flavour, file), "utf8");
        const specs = [...code.matchAll(/(?:from\s+|import\(\s*(?:\/\*[^*]*\*\/\s*)?|require\()\s*["']([^"']+)["']/g)].map((m) => m[1]!);
        for (const spec of specs) expect(spec.startsWith("./") || spec.startsWith("node:"), `${flavour}/${file} imports ${spec}`).toBe(true);
        // node: modules only through dynamic import, never at load time
        expect(code).not.toMatch(/^import .* from ["']node:/m);
      }
    }
  });

  // skipLibCheck as most apps set it (checking all of openai's own .d.ts would take ~4x longer); the
  // expect-error line in the consumer below proves the per-call option's types still come from our declarations.
  it("type-checks in a strict ESM and CJS consumer, including the per-call spendlens option", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "sl-consumer-"));
    try {
      const nm = path.join(dir, "node_modules");
      mkdirSync(path.join(nm, "@spendlens"), { recursive: true });
      mkdirSync(path.join(nm, "@anthropic-ai"), { recursive: true });
      mkdirSync(path.join(nm, "@types"), { recursive: true });
      symlinkSync(sdk, path.join(nm, "@spendlens/sdk"));
      symlinkSync(path.resolve("node_modules/openai"), path.join(nm, "openai"));
      symlinkSync(path.resolve("node_modules/@anthropic-ai/sdk"), path.join(nm, "@anthropic-ai/sdk"));
      symlinkSync(path.resolve("node_modules/@types/node"), path.join(nm, "@types/node"));
      writeFileSync(path.join(dir, "package.json"), '{ "name": "consumer", "type": "module" }');
      writeFileSync(
        path.join(dir, "tsconfig.json"),
        JSON.stringify({ compilerOptions: { strict: true, module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", noEmit: true, skipLibCheck: true, types: ["node"] }, include: ["*.mts", "*.cts"] }),
      );
      const body = (imp: (m: string) => string) => `
${imp("OpenAI|openai")}
${imp("Anthropic|@anthropic-ai/sdk")}
${imp("{ observeOpenAI, withTags, spendlens, Spendlens }|@spendlens/sdk")}
${imp("{ observeAnthropic }|@spendlens/sdk/anthropic")}
const openai: OpenAI = observeOpenAI(new OpenAI({ apiKey: "k" }), { tags: { feature: "f" } });
const anthropic: Anthropic = observeAnthropic(new Anthropic({ apiKey: "k" }));
export async function main(): Promise<number> {
  const r = await openai.chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }], spendlens: { tags: { user: "u" } } });
  const s = await openai.chat.completions.create({ model: "m", stream: true, messages: [], spendlens: { tags: { feature: "x" } } });
  for await (const c of s) void c.choices;
  await openai.responses.create({ model: "m", input: "hi", spendlens: { tags: {} } });
  await openai.embeddings.create({ model: "m", input: "hi", spendlens: {} });
  await anthropic.messages.create({ model: "m", max_tokens: 1, messages: [], spendlens: { tags: { feature: "y" } } });
  await withTags({ feature: "a", user: "b" }, async () => 1);
  await spendlens.flush();
  const stats = new Spendlens({ disabled: true }).stats();
  // @ts-expect-error tags are strings
  await openai.chat.completions.create({ model: "m", messages: [], spendlens: { tags: { user: 42 } } });
  return r.choices.length + stats.dropped;
}
`;
      writeFileSync(path.join(dir, "esm.mts"), body((s) => { const [n, m] = s.split("|"); return `import ${n} from "${m}";`; }));
      // In a .cts file the same import syntax compiles to require(): the "require" types of the exports map are used.
      writeFileSync(path.join(dir, "cjs.cts"), body((s) => { const [n, m] = s.split("|"); return `import ${n} from "${m}";`; }));
      let out = "";
      try {
        execFileSync(path.resolve("node_modules/.bin/tsc"), ["-p", dir], { stdio: "pipe" });
      } catch (err) {
        out = String((err as { stdout?: Buffer }).stdout ?? err);
      }
      expect(out).toBe("");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

/** Load dist/cjs into a vm context that has web APIs only: no process, no require of node: modules. */
function loadInEdgeSandbox(globals: Record<string, unknown>): Record<string, any> {
  const context = vm.createContext({ ...globals });
  const cache = new Map<string, Record<string, unknown>>();
  const load = (file: string): Record<string, unknown> => {
    const hit = cache.get(file);
    if (hit) return hit;
    const module = { exports: {} as Record<string, unknown> };
    cache.set(file, module.exports);
    const fn = vm.runInContext(`(function (exports, require, module) {${readFileSync(file, "utf8")}\n})`, context) as (
      e: unknown,
      r: (s: string) => unknown,
      m: unknown,
    ) => void;
    fn(module.exports, (spec) => {
      if (spec.startsWith("./")) return load(path.join(path.dirname(file), spec.endsWith(".js") ? spec : `${spec}.js`));
      throw new Error(`this runtime has no module "${spec}"`);
    }, module);
    cache.set(file, module.exports);
    return module.exports;
  };
  return load(path.join(dist, "cjs/index.js")) as Record<string, any>;
}

function webGlobals(): Record<string, unknown> {
  return {
    fetch, Headers, Request, Response, Blob, ReadableStream, TextEncoder, TextDecoder, AbortController, AbortSignal, URL,
    CompressionStream, setTimeout, clearTimeout, console, crypto: globalThis.crypto, performance, queueMicrotask, Promise,
  };
}

function sandboxEvent(id: string) {
  return { id, timestamp: new Date().toISOString(), provider: "openai", endpoint: "/v1/chat/completions", request: { model: "gpt-4o-mini" }, response: null, latency_ms: 1 };
}

describe("fetch-only runtimes", () => {
  it("without process or node: modules, events are sent gzip-compressed with CompressionStream, and withTags works with a global AsyncLocalStorage", async () => {
    const { AsyncLocalStorage } = await import("node:async_hooks");
    const mod = loadInEdgeSandbox({ ...webGlobals(), AsyncLocalStorage });
    const sl = new mod.Spendlens({ apiKey: "sl_edge", baseUrl: ingest.url, flushAt: 1000 });
    const fakeClient = { chat: { completions: { create: async (body: Record<string, unknown>) => ({ id: "x", model: body.model, choices: [] }) } } };
    const client = mod.observeOpenAI(fakeClient, { spendlens: sl });
    await mod.withTags({ feature: "edge" }, async () => {
      await new Promise((r) => setTimeout(r, 1));
      await client.chat.completions.create({ model: "gpt-4o-mini", messages: Array.from({ length: 40 }, () => ({ role: "user", content: "padding to pass the 1 KiB compression threshold" })) });
    });
    sl.log(sandboxEvent("edge-1"));
    await sl.flush(5000);
    expect(ingest.deliveries.get("edge-1")).toBe(1);
    const req = ingest.requests.at(-1)!;
    expect(req.headers["content-encoding"]).toBe("gzip");
    const tagged = [...ingest.events.values()].find((e) => e.tags?.feature === "edge");
    expect(tagged?.request.model).toBe("gpt-4o-mini");
    await sl.shutdown(100);
  });

  it("without CompressionStream or zlib, events are sent uncompressed", async () => {
    const { CompressionStream: _, ...rest } = webGlobals();
    const mod = loadInEdgeSandbox(rest);
    const sl = new mod.Spendlens({ apiKey: "sl_edge", baseUrl: ingest.url, flushAt: 1000 });
    for (let i = 0; i < 20; i++) sl.log({ ...sandboxEvent(`plain-${i}`), request: { model: "gpt-4o-mini", prompt: "x".repeat(200) } });
    await sl.flush(5000);
    expect(ingest.deliveries.get("plain-19")).toBe(1);
    expect(ingest.requests.at(-1)!.headers["content-encoding"]).toBeUndefined();
    await sl.shutdown(100);
  });
});
