// State that must be one per process, not one per module copy. `npm start` loads lib/ twice in one
// process: the launcher imports it (the ingest fast path, lib/http/app-listener.ts, and the proxy,
// lib/proxy/server.ts) and the Next.js server bundle carries its own copy (the pages and API routes where
// keys are revoked, price overrides edited and proxy rules switched). A cache or a listener list kept in
// a module variable would then be two, and a change made through the app would not reach the proxy or
// the ingest path until a TTL ran out. Keeping them on globalThis under a fixed name makes them one.

const registry = globalThis as typeof globalThis & { __spendlensShared?: Map<string, unknown> };

/** The process-wide value named `name`, created by `init` the first time any module copy asks. */
export function processShared<T>(name: string, init: () => T): T {
  const all = (registry.__spendlensShared ??= new Map<string, unknown>());
  if (!all.has(name)) all.set(name, init());
  return all.get(name) as T;
}

/** Listeners told of a change, one list per process for `name` (see processShared). */
export class ProcessNotices<Args extends unknown[]> {
  private readonly listeners: Set<(...args: Args) => void>;
  constructor(name: string) {
    this.listeners = processShared(`notices:${name}`, () => new Set<(...args: Args) => void>());
  }
  on(listener: (...args: Args) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  tell(...args: Args): void {
    for (const l of this.listeners) l(...args);
  }
}
