// Tags per context: `withTags({ feature, user }, fn)` tags every call made inside fn, across awaits, via
// AsyncLocalStorage. Found without a static import of node:async_hooks so the SDK still loads where only
// fetch exists: edge runtimes expose AsyncLocalStorage as a global, Node has process.getBuiltinModule
// (20.16+) or a dynamic import (older Node, resolved before the first tick ends).
import type { Tags } from "./event.js";

type Store = { run<R>(store: Tags, fn: () => R): R; getStore(): Tags | undefined };
type StorageClass = new () => Store;

let storage: Store | null = null;
// Fallback while no AsyncLocalStorage is available: tags hold for the synchronous part of fn only.
let syncTags: Tags | undefined;

function fromGlobal(): StorageClass | undefined {
  return (globalThis as { AsyncLocalStorage?: StorageClass }).AsyncLocalStorage;
}

function fromBuiltin(): StorageClass | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const mod = proc?.getBuiltinModule?.("node:async_hooks") as { AsyncLocalStorage?: StorageClass } | undefined;
  return mod?.AsyncLocalStorage;
}

function init(): void {
  const Found = fromGlobal() ?? fromBuiltin();
  if (Found) {
    storage = new Found();
    return;
  }
  const isNode = typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === "string";
  if (!isNode) return;
  import(/* webpackIgnore: true */ "node:async_hooks")
    .then((mod: { AsyncLocalStorage?: StorageClass }) => {
      if (!storage && mod.AsyncLocalStorage) storage = new mod.AsyncLocalStorage();
    })
    .catch(() => {});
}

init();

/** Merge `b` over `a`, skipping undefined values; returns `a` itself when `b` adds nothing. */
export function mergeTags(a: Tags | undefined, b: Tags | undefined): Tags | undefined {
  if (!b) return a;
  if (!a) return b;
  return { ...a, ...b };
}

/**
 * Run `fn` with `tags` applied to every LLM call made inside it (including after awaits). Nested calls
 * merge: inner tags win. Returns whatever `fn` returns.
 *
 * ```ts
 * await withTags({ feature: "support-bot", user: req.user.id }, () => handle(req));
 * ```
 */
export function withTags<R>(tags: Tags, fn: () => R): R {
  const merged = mergeTags(currentTags(), cleanTags(tags)) ?? {};
  if (storage) return storage.run(merged, fn);
  const previous = syncTags;
  syncTags = merged;
  try {
    return fn();
  } finally {
    syncTags = previous;
  }
}

/** The tags of the current context, if any. */
export function currentTags(): Tags | undefined {
  return storage ? storage.getStore() : syncTags;
}

/** Keep only string values (numbers become strings); drop the rest, so a bad tag never breaks an event. */
export function cleanTags(tags: unknown): Tags | undefined {
  if (!tags || typeof tags !== "object") return undefined;
  const out: Tags = {};
  let any = false;
  for (const [k, v] of Object.entries(tags as Record<string, unknown>)) {
    if (typeof v === "string") out[k] = v;
    else if (typeof v === "number" || typeof v === "boolean") out[k] = String(v);
    else continue;
    any = true;
  }
  return any ? out : undefined;
}
