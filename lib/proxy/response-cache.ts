// The proxy's "answer from the cache" step: a cache recommendation an admin applied (cache-rules.ts).
// An eligible call of a feature with an enabled rule for its model is looked up by its exact request
// (normalised text, lib/analysis/cache/compared.ts normaliseForMatch, the analysis's exact mode); a hit
// is answered with the stored body and no upstream request, a miss is forwarded and its 200 answer
// stored. A random audit share of hits is forwarded anyway (and its answer stored fresh). Off by default.
//
// Storage: a bounded in-memory LRU per proxy process (entries and bytes), each entry expiring after its
// rule's TTL. Nothing is shared between processes or survives a restart.
// Speed: a project's enabled rules are cached for a few seconds (changes made in this process apply at
// once), so a call of a project (or feature) without a rule costs a Map look-up; the body is parsed,
// canonicalised and hashed only for a feature that has one.
import { createHash } from "node:crypto";
import { normaliseForMatch } from "../analysis/cache/compared";
import { enabledCacheRules, onCacheRuleChange } from "./cache-rules";
import { matchRequestModel } from "./model-router";
import { modelApi, modelIdentity } from "./model-routes";

type Json = Record<string, unknown>;

/** What happens to one eligible call. */
export type CacheDecision =
  | { hit: true; ruleId: string; body: Buffer; contentType: string; tags: { cache_hit: string } }
  | {
      hit: false;
      ruleId: string;
      /** A hit forwarded anyway (the audit share). */
      audit: boolean;
      /** Tags for the forwarded call (the audit's). */
      tags: { cache_audit?: string };
      /** Store the upstream's answer (called by the forwarder for a complete 200 JSON body). */
      store: (body: Buffer, contentType: string) => void;
    };

export type ResponseCacheStats = {
  hits: number;
  misses: number;
  /** Hits forwarded anyway. */
  audited: number;
  /** Answers stored. */
  stored: number;
  /** Entries dropped for room (not for expiry). */
  evicted: number;
  entries: number;
  bytes: number;
  /** Calls forwarded without the cache because the rules could not be read (the step fails open). */
  errors: number;
};

export type ResponseCacheOptions = {
  /** How long a project's enabled rules are cached. */
  ttlMs: number;
  /** Entries kept at most (least recently used dropped first). */
  maxEntries: number;
  /** Bytes of stored answers (plus per-entry overhead) kept at most. */
  maxBytes: number;
  /** Draws for the audit share. */
  random: () => number;
  /** Clock for entry expiry (tests move it). */
  now: () => number;
  /** Told when the step failed and the call was forwarded without the cache. */
  onError: (message: string) => void;
};

type CompiledRule = { id: string; model: string; ttlMs: number; auditShare: number; stamp: string; identity: string; api: string | null };

type Entry = { ruleId: string; body: Buffer; contentType: string; expiresAt: number; size: number };

/** Bookkeeping per entry on top of its body (key, object, map slots), so tiny answers still count. */
const ENTRY_OVERHEAD_BYTES = 256;

/** The endpoints whose answers are cached, by the family name the other steps use. */
export type CacheApi = "openai.chat" | "anthropic.messages";

/**
 * Whether a request may be served from a cache at all: not a stream, one choice, no tools (their answers
 * drive actions whose results the next request carries, and an exact repeat is rarely a repeat).
 */
export function cacheableRequest(body: Json): boolean {
  if (body.stream === true) return false;
  if (body.n !== undefined && body.n !== null && body.n !== 1) return false;
  for (const f of ["tools", "functions"]) {
    const v = body[f];
    if (v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0)) return false;
  }
  return true;
}

/** Message text normalised as the cache analysis's exact mode does; everything else as sent. */
function normaliseContent(content: unknown): unknown {
  if (typeof content === "string") return normaliseForMatch(content);
  if (Array.isArray(content)) {
    return content.map((part) => {
      if (part && typeof part === "object" && typeof (part as Json).text === "string") return { ...(part as Json), text: normaliseForMatch((part as Json).text as string) };
      return part;
    });
  }
  return content;
}

/** JSON with object keys sorted at every level. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const obj = value as Json;
    const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * The cache key of a request: sha256 over the project, feature, endpoint, the model as requested and
 * the body canonicalised (sorted keys; system prompt and message text normalised: case, spacing,
 * trailing punctuation, Unicode compatibility forms).
 */
export function cacheKey(parts: { projectId: string; feature: string; api: string; model: string; stamp?: string }, body: Json): string {
  const messages = Array.isArray(body.messages)
    ? body.messages.map((m) => (m && typeof m === "object" ? { ...(m as Json), content: normaliseContent((m as Json).content) } : m))
    : body.messages;
  const canonical = canonicalJson({ ...body, messages, ...(body.system !== undefined ? { system: normaliseContent(body.system) } : {}) });
  return createHash("sha256")
    .update(JSON.stringify([parts.projectId, parts.feature, parts.api, parts.model, parts.stamp ?? ""]))
    .update("\n")
    .update(canonical)
    .digest("hex");
}

/** A stored answer as logged for a hit: the same body with usage 0, so the call prices at $0. */
export function withZeroUsage(body: Buffer, api: CacheApi): Buffer {
  try {
    const json = JSON.parse(body.toString("utf8")) as Json;
    json.usage = api === "anthropic.messages" ? { input_tokens: 0, output_tokens: 0 } : { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
    return Buffer.from(JSON.stringify(json));
  } catch {
    return body;
  }
}

export class ResponseCache {
  /** projectId -> feature -> rules of that feature. */
  private readonly rules = new Map<string, { at: number; value: Promise<ReadonlyMap<string, CompiledRule[]>> }>();
  /** key -> entry, least recently used first. */
  private readonly entries = new Map<string, Entry>();
  /** ruleId -> keys of its entries (dropping a rule's entries without a scan). */
  private readonly keysOfRule = new Map<string, Set<string>>();
  /** ruleId -> times its entries were dropped: an answer in flight across a drop is not stored. */
  private readonly drops = new Map<string, number>();
  private bytes = 0;
  private readonly stopListening: () => void;
  private readonly counters = { hits: 0, misses: 0, audited: 0, stored: 0, evicted: 0, errors: 0 };

  constructor(private readonly options: ResponseCacheOptions) {
    this.stopListening = onCacheRuleChange((projectId, ruleId) => {
      this.rules.delete(projectId);
      this.dropRule(ruleId);
    });
  }

  /**
   * The cache decision for one call, or null when the step does not apply (no enabled rule of the
   * call's feature for its model, an endpoint or request that is never cached, or a failure).
   * `body` parses the request body (only called when the feature has a rule).
   */
  async decide(projectId: string, feature: string | undefined, api: CacheApi | null, streaming: boolean, body: () => Json | null): Promise<CacheDecision | null> {
    if (!api || !feature || streaming) return null;
    let candidates: CompiledRule[] | undefined;
    try {
      candidates = (await this.projectRules(projectId)).get(feature);
    } catch (err) {
      this.counters.errors++;
      this.options.onError(`cache rules of feature "${feature}" not read, call forwarded without the cache: ${String((err as Error)?.message ?? err).slice(0, 200)}`);
      return null;
    }
    if (!candidates) return null;
    const request = body();
    const model = request?.model;
    if (!request || typeof model !== "string" || model === "" || !cacheableRequest(request)) return null;
    const rule = matchRequestModel(candidates, api, model, (r) => r.model);
    if (!rule) return null;

    // The rule's stamp (its last change) is in the key: after a change in another process, answers
    // stored under the old settings are never served.
    const key = cacheKey({ projectId, feature, api, model, stamp: `${rule.id}@${rule.stamp}` }, request);
    const entry = this.lookup(key);
    if (entry) {
      if (this.options.random() >= rule.auditShare) {
        this.counters.hits++;
        return { hit: true, ruleId: rule.id, body: entry.body, contentType: entry.contentType, tags: { cache_hit: rule.id } };
      }
      this.counters.audited++;
    } else {
      this.counters.misses++;
    }
    const audit = !!entry;
    const dropsAtStart = this.drops.get(rule.id) ?? 0;
    return {
      hit: false,
      ruleId: rule.id,
      audit,
      tags: audit ? { cache_audit: rule.id } : {},
      store: (answer, contentType) => {
        if ((this.drops.get(rule.id) ?? 0) !== dropsAtStart) return;
        this.put(key, { ruleId: rule.id, body: answer, contentType, expiresAt: this.options.now() + rule.ttlMs, size: answer.length + key.length + ENTRY_OVERHEAD_BYTES });
      },
    };
  }

  /** Largest answer worth storing (callers stop copying a response beyond it). */
  maxEntryBytes(): number {
    return Math.max(this.options.maxBytes - ENTRY_OVERHEAD_BYTES - 64, 0);
  }

  stats(): ResponseCacheStats {
    return { ...this.counters, entries: this.entries.size, bytes: this.bytes };
  }

  close(): void {
    this.stopListening();
    this.rules.clear();
    this.entries.clear();
    this.keysOfRule.clear();
    this.bytes = 0;
  }

  private lookup(key: string): Entry | null {
    const entry = this.entries.get(key);
    if (!entry) return null;
    if (entry.expiresAt <= this.options.now()) {
      this.remove(key, entry);
      return null;
    }
    // Most recently used goes last.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry;
  }

  private put(key: string, entry: Entry): void {
    if (entry.size > this.options.maxBytes) return;
    const old = this.entries.get(key);
    if (old) this.remove(key, old);
    this.entries.set(key, entry);
    this.bytes += entry.size;
    let keys = this.keysOfRule.get(entry.ruleId);
    if (!keys) this.keysOfRule.set(entry.ruleId, (keys = new Set()));
    keys.add(key);
    this.counters.stored++;
    while (this.entries.size > this.options.maxEntries || this.bytes > this.options.maxBytes) {
      const [oldestKey, oldest] = this.entries.entries().next().value as [string, Entry];
      this.remove(oldestKey, oldest);
      this.counters.evicted++;
    }
  }

  private remove(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.bytes -= entry.size;
    const keys = this.keysOfRule.get(entry.ruleId);
    keys?.delete(key);
    if (keys && keys.size === 0) this.keysOfRule.delete(entry.ruleId);
  }

  private dropRule(ruleId: string): void {
    this.drops.set(ruleId, (this.drops.get(ruleId) ?? 0) + 1);
    for (const key of this.keysOfRule.get(ruleId) ?? []) {
      const entry = this.entries.get(key);
      if (entry) {
        this.entries.delete(key);
        this.bytes -= entry.size;
      }
    }
    this.keysOfRule.delete(ruleId);
  }

  private projectRules(projectId: string): Promise<ReadonlyMap<string, CompiledRule[]>> {
    const now = Date.now();
    const hit = this.rules.get(projectId);
    if (hit && now - hit.at < this.options.ttlMs) return hit.value;
    const value = enabledCacheRules(projectId).then((rows) => {
      const byFeature = new Map<string, CompiledRule[]>();
      for (const r of rows) {
        const list = byFeature.get(r.feature) ?? [];
        list.push({
          id: r.id,
          model: r.model,
          ttlMs: r.ttlSeconds * 1000,
          auditShare: r.auditShare,
          stamp: r.updatedAt.toISOString(),
          identity: modelIdentity(r.model),
          api: modelApi(r.model),
        });
        byFeature.set(r.feature, list);
      }
      return byFeature;
    });
    // Concurrent calls share one query; a failed query is not cached.
    this.rules.set(projectId, { at: now, value });
    value.catch(() => this.rules.delete(projectId));
    return value;
  }
}
