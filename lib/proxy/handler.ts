// The proxy's request pipeline, one call at a time:
//   route -> Spendlens headers (project key, tags) -> project key check -> upstream (default or
//   allow-listed override) -> request body (include_usage for OpenAI streams) -> forward, streaming
//   the response back as it arrives while a copy is read for logging -> queue the call record.
// Between preparing the request and forwarding it, a distilled model an admin enabled for the call's
// feature may answer it locally instead (issue 9, local-answer.ts): logged like a forwarded call, at $0.
// A call it does not answer then has its static prompt replaced by a verified compressed one when an
// admin applied a prompt-compression recommendation for it (prompt-rewriter.ts); every later step, the
// cache key included, sees the request as it will be sent (and the call log stores it so).
// The call may then be answered from the exact-match response cache (a cache
// recommendation an admin applied, response-cache.ts): a stored answer, no upstream request. A call the
// cache does not answer may then be sent to a cheaper model by a model route (a right-size
// recommendation an admin applied, model-router.ts): only the body's `model` changes. The order is
// cheapest first: a distilled answer needs no cache entry, a cached answer needs no routing. The
// distilled model is asked before the rewrite because it was trained on the prompt the client sends.
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";
import type { Dispatcher } from "undici";
import { verifyApiKey } from "../auth/api-keys";
import type { LocalAnswer } from "../analysis/distill/serve";
import { writeEvents as ingestWriteEvents } from "../ingest/writer";
import { AnthropicMessageStreamAssembler } from "./anthropic-stream";
import { CallLog, CapturedBody, type CallLogStats, type CallRecord, type WriteEvents } from "./call-log";
import { HeaderError, preferIdentityEncoding, responseHeadersForClient, splitRequestHeaders, type CallTags } from "./headers";
import { LocalAnswers, localAnswerApi, type LocalAnswerStats } from "./local-answer";
import { ModelRouter, type ModelRouterStats } from "./model-router";
import { PromptRewriter, type PromptRewriterStats } from "./prompt-rewriter";
import { ResponseCache, withZeroUsage, type CacheApi, type CacheDecision, type ResponseCacheStats } from "./response-cache";
import { ChatCompletionStreamAssembler, ResponsesStreamAssembler } from "./openai-stream";
import { ProjectUpstreamCache } from "./project-upstreams";
import { isLoggedCall, parseProxyRoute, type ProxyRoute } from "./routes";
import { OpaqueStreamAssembler, SseSplitter, type StreamAssembler } from "./sse";
import { parseAllowlist, resolveUpstream, UpstreamPools, DEFAULT_UPSTREAMS, type ProxyProvider, type Upstream } from "./upstreams";

type Json = Record<string, unknown>;

export type ProxyHandlerOptions = {
  /** Origins allowed as per-project upstream overrides. Default: env PROXY_UPSTREAM_ALLOWLIST. */
  allowlist?: string | string[];
  /** Where calls go without a project override. Default: the providers' public APIs. */
  defaultUpstreams?: Partial<Record<ProxyProvider, string>>;
  /** Event storage. Default: the ingest writer (lib/ingest/writer.ts). */
  writeEvents?: WriteEvents;
  /** Add `stream_options.include_usage` to OpenAI streams that lack it. Default: env PROXY_INJECT_STREAM_USAGE, else true. */
  injectStreamUsage?: boolean;
  /** Largest request body accepted. Default: env PROXY_MAX_REQUEST_BYTES, else 64 MiB. */
  maxRequestBytes?: number;
  /** Connections per upstream origin. Default: env PROXY_UPSTREAM_CONNECTIONS, else 256. */
  upstreamConnections?: number;
  /** Wait for the upstream's status line at most this long. Default 10 min (slow non-streaming completions). */
  upstreamHeadersTimeoutMs?: number;
  /** Max silence between two response chunks. Default 5 min. */
  upstreamBodyTimeoutMs?: number;
  /** Call-log queue bounds. Defaults: env PROXY_LOG_QUEUE_MAX (50,000 calls), PROXY_LOG_QUEUE_MAX_BYTES (64 MiB). */
  logQueueMax?: number;
  logQueueMaxBytes?: number;
  logBatchSize?: number;
  /** Events per log write when a backlog builds. Default 500. */
  logMaxBatchSize?: number;
  /** Max wait for more calls before a log write starts. Default 200 ms. */
  logLingerMs?: number;
  logRetryDelaysMs?: number[];
  /** Response bytes kept per call for the log; larger bodies keep their ends only. Default 2 MiB. */
  logBodyMaxBytes?: number;
  /** How long a project's upstream settings are cached. Default 10 s. */
  projectSettingsTtlMs?: number;
  /** How long a project's list of features with an enabled distilled model is cached. Default 5 s. */
  distilledModelsTtlMs?: number;
  /** Share of calls a distilled model would answer that go to the LLM anyway. Default: env PROXY_DISTILLED_AUDIT_SHARE, else 0.02. */
  distilledAuditShare?: number;
  /** Random draws for the audit share. Default Math.random (tests pass a seeded one). */
  distilledRandom?: () => number;
  /** How long a project's enabled model routes are cached. Default 5 s. */
  modelRoutesTtlMs?: number;
  /** Random draws for the model routes' audit shares. Default Math.random. */
  modelRoutesRandom?: () => number;
  /** How long a project's enabled prompt rules are cached. Default 5 s. */
  promptRulesTtlMs?: number;
  /** Random draws for the prompt rules' audit shares. Default Math.random. */
  promptRulesRandom?: () => number;
  /** How long a project's enabled cache rules are cached. Default 5 s. */
  cacheRulesTtlMs?: number;
  /** Answers kept in the response cache at most. Default: env PROXY_CACHE_MAX_ENTRIES, else 10,000. */
  cacheMaxEntries?: number;
  /** Bytes of answers kept in the response cache at most. Default: env PROXY_CACHE_MAX_BYTES, else 64 MiB. */
  cacheMaxBytes?: number;
  /** Random draws for the cache rules' audit shares. Default Math.random. */
  cacheRandom?: () => number;
  /** Clock for cache entry expiry. Default Date.now (tests move it). */
  cacheNow?: () => number;
  /** Told about calls that will not be stored (counts and reasons only). Default: one line on stderr. */
  onLogDrop?: (info: { events: number; reason: string }) => void;
};

export type ProxyStats = {
  requests: number;
  forwarded: number;
  rejected: number;
  upstreamFailures: number;
  clientAborts: number;
  /** Calls a distilled model answered (never forwarded), audits, and failures to use one. */
  distilled: LocalAnswerStats;
  /** Calls sent to another model by a model route, audits kept on the original, failures to read routes. */
  routes: ModelRouterStats;
  /** Calls sent with a compressed static prompt, audits sent as written, failures to read the rules. */
  prompts: PromptRewriterStats;
  /** Calls answered from the response cache, misses, audits, and what it holds. */
  cache: ResponseCacheStats;
  log: CallLogStats;
};

export type ProxyHandler = ((req: IncomingMessage, res: ServerResponse) => void) & {
  /** Resolves when every call finished so far is written to the log (or given up). */
  flushLogs(): Promise<void>;
  stats(): ProxyStats;
  /** Flush the log and close upstream connections. */
  close(): Promise<void>;
};

type Settings = Required<Omit<ProxyHandlerOptions, "allowlist" | "defaultUpstreams" | "onLogDrop" | "distilledRandom" | "modelRoutesRandom" | "promptRulesRandom" | "cacheRandom" | "cacheNow">> & {
  allowlist: ReturnType<typeof parseAllowlist>;
  defaultUpstreams: Record<ProxyProvider, string>;
};

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return n;
}

function envBool(name: string, fallback: boolean): boolean {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new Error(`${name} must be true or false, got "${raw}"`);
}

function envShare(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new Error(`${name} must be a number from 0 to 1, got "${raw}"`);
  return n;
}

function resolveSettings(opts: ProxyHandlerOptions): Settings {
  const allow = opts.allowlist ?? process.env.PROXY_UPSTREAM_ALLOWLIST;
  return {
    allowlist: parseAllowlist(Array.isArray(allow) ? allow.join(",") : allow),
    defaultUpstreams: { ...DEFAULT_UPSTREAMS, ...opts.defaultUpstreams },
    writeEvents: opts.writeEvents ?? ingestWriteEvents,
    injectStreamUsage: opts.injectStreamUsage ?? envBool("PROXY_INJECT_STREAM_USAGE", true),
    maxRequestBytes: opts.maxRequestBytes ?? envInt("PROXY_MAX_REQUEST_BYTES", 64 * 2 ** 20),
    upstreamConnections: opts.upstreamConnections ?? envInt("PROXY_UPSTREAM_CONNECTIONS", 256),
    upstreamHeadersTimeoutMs: opts.upstreamHeadersTimeoutMs ?? 600_000,
    upstreamBodyTimeoutMs: opts.upstreamBodyTimeoutMs ?? 300_000,
    logQueueMax: opts.logQueueMax ?? envInt("PROXY_LOG_QUEUE_MAX", 50_000),
    logQueueMaxBytes: opts.logQueueMaxBytes ?? envInt("PROXY_LOG_QUEUE_MAX_BYTES", 64 * 2 ** 20),
    // Building a batch of events is synchronous work on the proxy's event loop: keep each slice short.
    logBatchSize: opts.logBatchSize ?? 100,
    logMaxBatchSize: opts.logMaxBatchSize ?? 500,
    logLingerMs: opts.logLingerMs ?? 200,
    logRetryDelaysMs: opts.logRetryDelaysMs ?? [250, 1_000, 4_000],
    logBodyMaxBytes: opts.logBodyMaxBytes ?? 2 * 2 ** 20,
    projectSettingsTtlMs: opts.projectSettingsTtlMs ?? 10_000,
    distilledModelsTtlMs: opts.distilledModelsTtlMs ?? 5_000,
    distilledAuditShare: opts.distilledAuditShare ?? envShare("PROXY_DISTILLED_AUDIT_SHARE", 0.02),
    modelRoutesTtlMs: opts.modelRoutesTtlMs ?? 5_000,
    promptRulesTtlMs: opts.promptRulesTtlMs ?? 5_000,
    cacheRulesTtlMs: opts.cacheRulesTtlMs ?? 5_000,
    cacheMaxEntries: opts.cacheMaxEntries ?? envInt("PROXY_CACHE_MAX_ENTRIES", 10_000),
    cacheMaxBytes: opts.cacheMaxBytes ?? envInt("PROXY_CACHE_MAX_BYTES", 64 * 2 ** 20),
  };
}

/** A request body, parsed when the proxy needs to look inside, and what is sent upstream. */
type PreparedRequest = {
  /**
   * The body as the client sent it (with a model route's `model`), parsed when the proxy had to look
   * inside (may be a stream), else null. What the log stores.
   */
  json: Json | null;
  bytes: Buffer;
  contentType: string;
  /** Bytes sent upstream: the client's, or a copy with include_usage added and/or the model changed. */
  forwardBody: Buffer;
  streaming: boolean;
  /** The proxy added stream_options.include_usage: the usage chunk is the proxy's, not the client's. */
  addedUsageChunk: boolean;
};

const STREAM_KEY = Buffer.from('"stream"');

/** Bodies above this are forwarded without being parsed on the request path. */
const PARSE_ON_PATH_MAX_BYTES = 8 * 2 ** 20;

export function createProxyHandler(opts: ProxyHandlerOptions = {}): ProxyHandler {
  const settings = resolveSettings(opts);
  const pools = new UpstreamPools({
    connections: settings.upstreamConnections,
    headersTimeoutMs: settings.upstreamHeadersTimeoutMs,
    bodyTimeoutMs: settings.upstreamBodyTimeoutMs,
  });
  const callLog = new CallLog({
    write: settings.writeEvents,
    maxQueued: settings.logQueueMax,
    maxQueuedBytes: settings.logQueueMaxBytes,
    batchSize: settings.logBatchSize,
    maxBatchSize: settings.logMaxBatchSize,
    lingerMs: settings.logLingerMs,
    retryDelaysMs: settings.logRetryDelaysMs,
    onDrop:
      opts.onLogDrop ??
      ((info) => console.error(`[proxy] call log: ${info.events} call(s) not stored: ${info.reason}`)),
  });
  const projectUpstreams = new ProjectUpstreamCache(settings.projectSettingsTtlMs);
  // Each optional step fails open (the call is forwarded as it came): one line a minute per step is enough
  // to notice a broken model, rule or database without flooding the log.
  const atMostOncePerMinute = () => {
    let last = 0;
    return (message: string) => {
      if (Date.now() - last < 60_000) return;
      last = Date.now();
      console.error(`[proxy] ${message}`);
    };
  };
  const localAnswers = new LocalAnswers({
    ttlMs: settings.distilledModelsTtlMs,
    auditShare: settings.distilledAuditShare,
    random: opts.distilledRandom ?? Math.random,
    onError: atMostOncePerMinute(),
  });
  const modelRouter = new ModelRouter({
    ttlMs: settings.modelRoutesTtlMs,
    random: opts.modelRoutesRandom ?? Math.random,
    onError: atMostOncePerMinute(),
  });
  const promptRewriter = new PromptRewriter({
    ttlMs: settings.promptRulesTtlMs,
    random: opts.promptRulesRandom ?? Math.random,
    onError: atMostOncePerMinute(),
  });
  const responseCache = new ResponseCache({
    ttlMs: settings.cacheRulesTtlMs,
    maxEntries: settings.cacheMaxEntries,
    maxBytes: settings.cacheMaxBytes,
    random: opts.cacheRandom ?? Math.random,
    now: opts.cacheNow ?? Date.now,
    onError: atMostOncePerMinute(),
  });
  // The allow-list is fixed for the handler's life, so a (provider, override) pair always gets the
  // same answer: decide once, not per call (URL parsing is a good part of the per-call cost).
  const decisions = new Map<string, ReturnType<typeof resolveUpstream>>();
  const upstreamFor = (provider: ProxyProvider, override: string | null) => {
    const cacheKey = `${provider} ${override ?? ""}`;
    let decision = decisions.get(cacheKey);
    if (!decision) {
      decision = resolveUpstream(provider, override, settings.allowlist, settings.defaultUpstreams);
      if (decisions.size > 10_000) decisions.clear();
      decisions.set(cacheKey, decision);
    }
    return decision;
  };
  const counters = { requests: 0, forwarded: 0, rejected: 0, upstreamFailures: 0, clientAborts: 0 };

  async function proxyCall(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const startedAt = Date.now();
    const start = performance.now();
    const target = req.url ?? "/";

    const route = parseProxyRoute(target);
    if (!route) {
      if (target === "/healthz" || target === "/proxy/healthz") return sendJson(res, 200, { ok: true, ...handler.stats() });
      return reject(res, null, 404, "spendlens_not_found", `no proxy route ${req.method} ${target.split("?")[0]}: use /proxy/openai/v1/... or /proxy/anthropic/v1/... (docs/proxy.md)`);
    }

    let headers;
    try {
      headers = splitRequestHeaders(req.rawHeaders);
    } catch (err) {
      if (err instanceof HeaderError) return reject(res, route.provider, 400, "spendlens_invalid_header", err.message);
      throw err;
    }

    const key = await verifyApiKey(headers.projectKey ?? route.keyFromPath);
    if ("error" in key) {
      const why = key.error === "missing"
        ? "missing Spendlens project key: send it in the x-spendlens-key header or the base URL (/proxy/k/<key>/...)"
        : `Spendlens project key is ${key.error}`;
      return reject(res, route.provider, 401, `spendlens_key_${key.error}`, why);
    }

    const overrides = await projectUpstreams.get(key.projectId, key.organizationId);
    const decision = upstreamFor(route.provider, overrides[route.provider]);
    if (!decision.ok) return reject(res, route.provider, 403, "spendlens_upstream_not_allowed", decision.reason);

    const length = Number(req.headers["content-length"] ?? 0);
    if (length > settings.maxRequestBytes) {
      return reject(res, route.provider, 413, "spendlens_request_too_large", `request body is ${length} bytes; the proxy accepts at most ${settings.maxRequestBytes} (PROXY_MAX_REQUEST_BYTES)`);
    }
    const body = await readBody(req, settings.maxRequestBytes);
    if (body === null) {
      if (!res.headersSent && !req.destroyed) {
        return reject(res, route.provider, 413, "spendlens_request_too_large", `request body is larger than ${settings.maxRequestBytes} bytes (PROXY_MAX_REQUEST_BYTES)`);
      }
      return;
    }
    // The client may have gone while the key and settings were checked: then nothing is sent.
    if (res.destroyed || req.socket.destroyed) return;
    const method = req.method ?? "GET";
    let request = prepareRequest(route, method, body, String(req.headers["content-type"] ?? ""), settings.injectStreamUsage);
    if (request.streaming) preferIdentityEncoding(headers.forward);
    const log = isLoggedCall(method, route.apiPath)
      ? { projectId: key.projectId, organizationId: key.organizationId, tags: headers.tags, startedAt, start }
      : null;

    let responseHeaders: Record<string, string> | undefined;
    let cacheStore: ForwardInput["cacheStore"];
    if (log) {
      const api = localAnswerApi(method, route);
      const local = await localAnswers.decide(key.projectId, headers.tags.feature, api, request.streaming, () => parsedBody(request));
      if (local?.answered) {
        if (res.destroyed) return;
        return answerFromDistilledModel({ res, route, upstream: decision.upstream, request, log }, local);
      }
      // An audited call: the LLM's answer is logged next to what the model would have said.
      if (local?.tags) log.tags = { ...log.tags, ...local.tags };
      const prompt = await promptRewriter.decide(key.projectId, headers.tags.feature, api, () => parsedBody(request));
      if (prompt) {
        log.tags = { ...log.tags, ...prompt.tags };
        if (prompt.rewritten) {
          request = withBody(request, prompt.body);
          responseHeaders = { "x-spendlens-prompt": "compressed" };
        }
      }
      const caching = await responseCache.decide(key.projectId, headers.tags.feature, api, request.streaming, () => parsedBody(request));
      if (caching?.hit) {
        if (res.destroyed) return;
        return answerFromCache({ res, route, upstream: decision.upstream, request, log }, caching, api!);
      }
      if (caching) {
        log.tags = { ...log.tags, ...caching.tags };
        responseHeaders = { ...responseHeaders, "x-spendlens-cache": caching.audit ? "audit" : "miss" };
        // The stored answer is replayed to any client: keep it uncompressed.
        preferIdentityEncoding(headers.forward);
        cacheStore = { store: caching.store, maxBytes: responseCache.maxEntryBytes() };
      }
      const routing = await modelRouter.decide(key.projectId, headers.tags.feature, api, () => parsedBody(request));
      if (routing) {
        log.tags = { ...log.tags, ...routing.tags };
        if (routing.routed) {
          request = withModel(request, routing.toModel);
          responseHeaders = { ...responseHeaders, "x-spendlens-routed": `${routing.fromModel} -> ${routing.toModel}` };
        }
      }
    }

    forward({ req, res, route, upstream: decision.upstream, headers: headers.forward, request, log, responseHeaders, cacheStore });
  }

  /** Send the distilled model's response and log the call like a forwarded one (usage 0, so $0). */
  function answerFromDistilledModel(call: AnsweredLocally, local: Extract<LocalAnswer, { answered: true }>): void {
    const text = Buffer.from(JSON.stringify(local.response));
    answerWithoutUpstream(call, {
      contentType: "application/json",
      header: { "x-spendlens-distilled": local.tags.distilled },
      sent: text,
      logged: text,
      tags: local.tags,
    });
  }

  /**
   * Send a stored answer (the client gets the body as the upstream sent it) and log the call like a
   * forwarded one with usage 0, so $0, tagged with the rule.
   */
  function answerFromCache(call: AnsweredLocally, hit: Extract<CacheDecision, { hit: true }>, api: CacheApi): void {
    answerWithoutUpstream(call, {
      contentType: hit.contentType,
      header: { "x-spendlens-cache": "hit" },
      sent: hit.body,
      logged: withZeroUsage(hit.body, api),
      tags: hit.tags,
    });
  }

  /**
   * Answer 200 without calling the upstream and log the call like a forwarded one: `logged` is the
   * body the call log sees (its usage 0, so the call costs $0), `tags` are added to the caller's.
   */
  function answerWithoutUpstream(call: AnsweredLocally, answer: { contentType: string; header: Record<string, string>; sent: Buffer; logged: Buffer; tags: CallTags }): void {
    const { res, route, upstream, request, log } = call;
    res.writeHead(200, { "content-type": answer.contentType, "content-length": answer.sent.length, ...answer.header });
    res.end(answer.sent);
    const body = new CapturedBody("application/json", "", settings.logBodyMaxBytes);
    body.add(answer.logged);
    callLog.enqueue({
      projectId: log.projectId,
      organizationId: log.organizationId,
      eventId: randomUUID(),
      startedAt: log.startedAt,
      provider: loggedProvider(route, upstream),
      endpoint: route.apiPath,
      request: { json: request.json, bytes: request.json ? EMPTY : request.bytes, contentType: request.contentType },
      status: 200,
      body,
      latencyMs: performance.now() - log.start,
      tags: { ...log.tags, ...answer.tags },
    });
  }

  function forward(call: ForwardInput): void {
    counters.forwarded++;
    const pool = pools.get(call.upstream);
    const forwarded = new ForwardedCall(call, (record, outcome) => {
      if (outcome === "client_abort") counters.clientAborts++;
      if (outcome === "upstream_failure") counters.upstreamFailures++;
      if (record) callLog.enqueue(record);
    }, settings.logBodyMaxBytes);
    pool.dispatch(
      {
        path: call.upstream.basePath + call.route.apiPath + call.route.query,
        method: (call.req.method ?? "GET") as Dispatcher.HttpMethod,
        headers: call.headers,
        body: call.req.method === "GET" || call.req.method === "HEAD" ? null : call.request.forwardBody,
      },
      forwarded,
    );
  }

  function reject(res: ServerResponse, provider: ProxyProvider | null, status: number, code: string, message: string): void {
    counters.rejected++;
    sendProxyError(res, provider, status, code, message);
  }

  const handler = ((req: IncomingMessage, res: ServerResponse) => {
    counters.requests++;
    proxyCall(req, res).catch((err: unknown) => {
      // Only the proxy's own dependencies (the database for key checks) get here, never upstream errors.
      const message = (err as Error)?.message ?? String(err);
      if (!res.headersSent) reject(res, parseProxyRoute(req.url ?? "/")?.provider ?? null, 503, "spendlens_unavailable", `Spendlens proxy could not check the call: ${message.slice(0, 200)}`);
      else res.destroy();
    });
  }) as ProxyHandler;

  handler.flushLogs = () => callLog.flush();
  handler.stats = () => ({ ...counters, distilled: localAnswers.stats(), routes: modelRouter.stats(), prompts: promptRewriter.stats(), cache: responseCache.stats(), log: callLog.stats() });
  handler.close = async () => {
    localAnswers.close();
    responseCache.close();
    modelRouter.close();
    promptRewriter.close();
    await callLog.close();
    await pools.close();
  };
  return handler;
}

// ---------------------------------------------------------------- request side

function readBody(req: IncomingMessage, max: number): Promise<Buffer | null> {
  return new Promise((resolve, rejectBody) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        req.removeAllListeners("data");
        req.resume();
        resolve(null);
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)));
    req.on("error", rejectBody);
    // A client that disconnects mid-upload: no 'end' will come.
    req.on("close", () => {
      if (!req.complete) resolve(null);
    });
  });
}

/** The request body as an object, parsed now if `prepareRequest` did not need to (kept for the log). */
function parsedBody(request: PreparedRequest): Json | null {
  const { bytes } = request;
  if (request.json || bytes.length === 0 || bytes.length > PARSE_ON_PATH_MAX_BYTES || !(/json/i.test(request.contentType) || bytes[0] === 0x7b)) return request.json;
  try {
    const value: unknown = JSON.parse(bytes.toString("utf8"));
    if (value && typeof value === "object" && !Array.isArray(value)) request.json = value as Json;
  } catch {
    // Not JSON: forwarded untouched, the upstream answers the client's mistake.
  }
  return request.json;
}

function prepareRequest(route: ProxyRoute, method: string, bytes: Buffer, contentType: string, injectStreamUsage: boolean): PreparedRequest {
  let json: Json | null = null;
  // Only a stream changes what the proxy does, so the body is parsed on the path only when it may be
  // one (a top-level "stream": true needs the bytes `"stream"`); otherwise parsing waits for the log.
  if (
    method !== "GET" &&
    bytes.length > 0 &&
    bytes.length <= PARSE_ON_PATH_MAX_BYTES &&
    (/json/i.test(contentType) || bytes[0] === 0x7b) &&
    bytes.includes(STREAM_KEY)
  ) {
    try {
      const value: unknown = JSON.parse(bytes.toString("utf8"));
      if (value && typeof value === "object" && !Array.isArray(value)) json = value as Json;
    } catch {
      // Not JSON after all: forwarded untouched; the upstream answers the client's mistake.
    }
  }
  const streaming = json?.stream === true;
  let forwardBody = bytes;
  let addedUsageChunk = false;
  const options = json?.stream_options;
  const hasUsage = !!options && typeof options === "object" && (options as Json).include_usage === true;
  if (
    streaming &&
    !hasUsage &&
    injectStreamUsage &&
    route.provider === "openai" &&
    (route.apiPath === "/v1/chat/completions" || route.apiPath === "/v1/completions")
  ) {
    forwardBody = Buffer.from(JSON.stringify(withStreamUsage(json!)));
    addedUsageChunk = true;
  }
  return { json, bytes, contentType, forwardBody, streaming, addedUsageChunk };
}

function withStreamUsage(json: Json): Json {
  const options = json.stream_options;
  return { ...json, stream_options: { ...(options && typeof options === "object" ? (options as Json) : {}), include_usage: true } };
}

/** The request with another `model` (a model route): forwarded so, and logged so (it is what was called). */
function withModel(request: PreparedRequest, model: string): PreparedRequest {
  return withBody(request, { ...request.json, model });
}

/** The request with another body (a compressed prompt, a routed model): forwarded so, and logged so. */
function withBody(request: PreparedRequest, json: Json): PreparedRequest {
  const forward = request.addedUsageChunk ? withStreamUsage(json) : json;
  return { ...request, json, forwardBody: Buffer.from(JSON.stringify(forward)) };
}

// ---------------------------------------------------------------- response side

type ForwardInput = {
  req: IncomingMessage;
  res: ServerResponse;
  route: ProxyRoute;
  upstream: Upstream;
  headers: string[];
  request: PreparedRequest;
  /** Null for calls that are forwarded but not logged (GETs, file uploads, ...). */
  log: { projectId: string; organizationId: string; tags: CallTags; startedAt: number; start: number } | null;
  /** Headers the proxy adds to the upstream's response (x-spendlens-routed, x-spendlens-cache). */
  responseHeaders?: Record<string, string>;
  /** A cache miss or audit: a complete 200 JSON answer of at most maxBytes is handed to `store`. */
  cacheStore?: { store: (body: Buffer, contentType: string) => void; maxBytes: number };
};

/** A logged call the proxy answers itself (distilled model, cache hit): nothing is forwarded. */
type AnsweredLocally = Omit<ForwardInput, "req" | "headers"> & { log: NonNullable<ForwardInput["log"]> };

type Outcome = "ok" | "client_abort" | "upstream_failure";

function streamAssemblerFor(route: ProxyRoute, addedUsageChunk: boolean): StreamAssembler {
  if (route.provider === "anthropic" && route.apiPath === "/v1/messages") return new AnthropicMessageStreamAssembler();
  if (route.provider === "openai") {
    if (route.apiPath === "/v1/chat/completions" || route.apiPath === "/v1/completions") return new ChatCompletionStreamAssembler(addedUsageChunk);
    if (route.apiPath === "/v1/responses") return new ResponsesStreamAssembler();
  }
  return new OpaqueStreamAssembler();
}

function firstHeader(value: string | string[] | undefined): string {
  return Array.isArray(value) ? (value[0] ?? "") : (value ?? "");
}

class ClientGoneError extends Error {
  constructor() {
    super("client closed the connection");
  }
}

/**
 * One forwarded call, as an undici dispatch handler: the response is written to the client chunk by
 * chunk as it arrives (with backpressure), while a copy goes to the SSE splitter / body capture.
 */
class ForwardedCall implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | null = null;
  private clientGone = false;
  private done = false;
  private status = 0;
  private splitter: SseSplitter | null = null;
  private assembler: StreamAssembler | null = null;
  /** Event by event forwarding, to leave out the usage chunk the proxy asked for. */
  private hiding = false;
  private body: CapturedBody | undefined;
  /** The whole answer, for the response cache (null when it will not be stored). */
  private cacheChunks: Buffer[] | null = null;
  private cacheBytes = 0;
  private cacheContentType = "";
  private ttftMs: number | undefined;
  private wroteBody = false;
  private readonly onDrain = () => this.controller?.resume();

  constructor(
    private readonly call: ForwardInput,
    private readonly finish: (record: CallRecord | null, outcome: Outcome) => void,
    private readonly logBodyMaxBytes: number,
  ) {
    call.res.on("close", () => {
      if (this.done || call.res.writableFinished) return;
      this.clientGone = true;
      this.controller?.abort(new ClientGoneError());
    });
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.clientGone) controller.abort(new ClientGoneError());
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>, statusMessage?: string): void {
    const { res, route, request, log } = this.call;
    this.status = statusCode;
    const contentType = firstHeader(headers["content-type"]);
    const encoding = firstHeader(headers["content-encoding"]).toLowerCase();
    const sse = contentType.startsWith("text/event-stream") && (encoding === "" || encoding === "identity");
    if (sse && log) {
      this.splitter = new SseSplitter();
      this.assembler = streamAssemblerFor(route, request.addedUsageChunk);
      this.hiding = request.addedUsageChunk && this.assembler instanceof ChatCompletionStreamAssembler;
    } else if (log) {
      this.body = new CapturedBody(contentType, encoding, this.logBodyMaxBytes);
    }
    if (this.call.cacheStore && statusCode === 200 && !sse && /json/i.test(contentType) && (encoding === "" || encoding === "identity")) {
      this.cacheChunks = [];
      this.cacheContentType = contentType;
    }
    try {
      const out = responseHeadersForClient(headers, this.hiding);
      if (this.call.responseHeaders) Object.assign(out, this.call.responseHeaders);
      res.writeHead(statusCode, statusMessage || undefined, out);
    } catch (err) {
      // A header Node refuses to send (invalid characters): answer 502 rather than crash.
      controller.abort(err as Error);
      return;
    }
    // Streams: the client gets the status line before the first token even if that is slow, but
    // when the first event came with the headers they leave together (one write, one packet).
    if (sse) {
      setImmediate(() => {
        if (!this.wroteBody && !res.destroyed && !res.writableEnded) res.flushHeaders();
      });
    }
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.splitter) {
      if (!this.hiding) this.write(chunk);
      this.takeEvents(this.splitter.push(chunk));
    } else {
      this.write(chunk);
      this.body?.add(chunk);
      if (this.cacheChunks) {
        this.cacheBytes += chunk.length;
        if (this.cacheBytes > this.call.cacheStore!.maxBytes) this.cacheChunks = null;
        else this.cacheChunks.push(chunk);
      }
    }
  }

  onResponseEnd(): void {
    if (this.splitter) this.takeEvents(this.splitter.end());
    this.call.res.end();
    if (this.cacheChunks && !this.clientGone) this.call.cacheStore!.store(Buffer.concat(this.cacheChunks, this.cacheBytes), this.cacheContentType);
    this.cacheChunks = null;
    this.complete("ok");
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    const { res, route } = this.call;
    if (this.clientGone) {
      this.complete("client_abort", { status: 499, message: "client closed the connection before the response ended; the upstream request was aborted" });
      return;
    }
    const code = (err as { code?: string }).code ?? "";
    const timeout = code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT";
    const message = `upstream ${this.call.upstream.origin} ${res.headersSent ? "failed mid-response" : "unreachable"}: ${code ? `${code} ` : ""}${err.message}`.slice(0, 500);
    if (!res.headersSent) {
      sendProxyError(res, route.provider, timeout ? 504 : 502, "spendlens_upstream_error", message);
    } else {
      // Headers (and perhaps part of the body) are out: cutting the connection is the only honest signal.
      res.destroy(err);
    }
    this.complete("upstream_failure", { status: timeout ? 504 : 502, message });
  }

  private takeEvents(events: ReturnType<SseSplitter["push"]>): void {
    let out = "";
    for (const event of events) {
      const seen = this.assembler!.accept(event);
      if (seen.output && this.ttftMs === undefined && this.call.log) this.ttftMs = performance.now() - this.call.log.start;
      if (this.hiding && !seen.hide) out += event.raw;
    }
    if (out) this.write(out);
  }

  private write(data: Buffer | string): void {
    const { res } = this.call;
    if (res.destroyed) return;
    this.wroteBody = true;
    if (!res.write(data) && this.controller && !this.controller.paused) {
      this.controller.pause();
      res.once("drain", this.onDrain);
    }
  }

  private complete(outcome: Outcome, failure?: { status: number; message: string }): void {
    if (this.done) return;
    this.done = true;
    const { log, route, request, upstream } = this.call;
    if (!log) return this.finish(null, outcome);
    const record: CallRecord = {
      projectId: log.projectId,
      organizationId: log.organizationId,
      eventId: randomUUID(),
      startedAt: log.startedAt,
      provider: loggedProvider(route, upstream),
      endpoint: route.apiPath,
      // Parsed bodies are kept as objects; the bytes are needed only when the proxy did not parse.
      request: { json: request.json, bytes: request.json ? EMPTY : request.bytes, contentType: request.contentType },
      status: this.status,
      body: this.body,
      stream: this.assembler ?? undefined,
      failure,
      latencyMs: performance.now() - log.start,
      ttftMs: this.ttftMs,
      tags: log.tags,
    };
    this.finish(record, outcome);
  }
}

const EMPTY = Buffer.alloc(0);

function loggedProvider(route: ProxyRoute, upstream: Upstream): string {
  return route.provider === "openai" && upstream.azure ? "azure" : route.provider;
}

// ---------------------------------------------------------------- the proxy's own answers

/** An error from the proxy itself, in the provider's error shape so SDKs surface the message. */
export function sendProxyError(res: ServerResponse, provider: ProxyProvider | null, status: number, code: string, message: string): void {
  const body =
    provider === "anthropic"
      ? { type: "error", error: { type: code, message } }
      : { error: { message, type: "spendlens_proxy_error", param: null, code } };
  sendJson(res, status, body, { "x-spendlens-proxy-error": code });
}

function sendJson(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...extra });
  res.end(text);
}
