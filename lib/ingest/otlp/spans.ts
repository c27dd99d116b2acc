// OpenTelemetry gen_ai spans -> ingest events. Reads the semantic conventions as instrumentations emit
// them today: gen_ai.provider.name (or the older gen_ai.system), gen_ai.request.model /
// gen_ai.response.model, gen_ai.usage.* tokens, gen_ai.operation.name, and prompt/completion content
// from gen_ai.input.messages / gen_ai.output.messages, OpenLLMetry's gen_ai.prompt.N.* attributes, or
// the older per-message span events. Each span becomes a provider-shaped request/response, so the rest
// of ingest (normalise, price, store) treats it like an SDK event. Spans without gen_ai attributes
// (HTTP, DB, agent/tool spans) are not LLM calls and are skipped.

type Json = Record<string, unknown>;
export type AttrValue = string | number | boolean | null | AttrValue[] | { [k: string]: AttrValue };

function obj(v: unknown): Json | null {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : null;
}

/** An OTLP AnyValue (JSON or decoded protobuf) as a plain value. */
export function anyValue(v: unknown): AttrValue {
  const o = obj(v);
  if (!o) return null;
  if ("stringValue" in o) return String(o.stringValue);
  if ("boolValue" in o) return Boolean(o.boolValue);
  if ("intValue" in o) return Number(o.intValue);
  if ("doubleValue" in o) return Number(o.doubleValue);
  if ("arrayValue" in o) return (Array.isArray(obj(o.arrayValue)?.values) ? (obj(o.arrayValue)!.values as unknown[]) : []).map(anyValue);
  if ("kvlistValue" in o) return attributes(obj(o.kvlistValue)?.values);
  if ("bytesValue" in o) return String(o.bytesValue);
  return null;
}

export function attributes(list: unknown): Record<string, AttrValue> {
  const out: Record<string, AttrValue> = {};
  if (!Array.isArray(list)) return out;
  for (const kv of list) {
    const o = obj(kv);
    if (o && typeof o.key === "string") out[o.key] = anyValue(o.value);
  }
  return out;
}

function s(v: AttrValue | undefined): string | null {
  if (typeof v === "string" && v.length > 0) return v;
  if (Array.isArray(v) && typeof v[0] === "string") return v[0];
  return null;
}
function n(v: AttrValue | undefined): number | null {
  const x = typeof v === "string" ? Number(v) : v;
  return typeof x === "number" && Number.isFinite(x) ? x : null;
}
function first(attrs: Record<string, AttrValue>, ...keys: string[]): AttrValue | undefined {
  for (const k of keys) if (attrs[k] !== undefined && attrs[k] !== null && attrs[k] !== "") return attrs[k];
  return undefined;
}

/** OTLP provider names (gen_ai.provider.name, gen_ai.system) -> ours (lib/ingest/event.ts Provider). */
export function providerFromOtel(name: string | null): string {
  const p = (name ?? "").toLowerCase();
  if (p === "openai") return "openai";
  if (p === "anthropic") return "anthropic";
  if (p.startsWith("az.ai") || p.startsWith("azure")) return "azure";
  if (p === "aws.bedrock" || p === "bedrock") return "bedrock";
  if (p.startsWith("gcp.") || p === "vertex_ai" || p === "gemini" || p === "google" || p === "vertexai") return "google";
  if (p === "mistral_ai" || p === "mistralai") return "mistral";
  if (p === "x_ai") return "xai";
  return p || "unknown";
}

type PlainMessage = { role: string; content: string };

function parseMaybeJson(v: AttrValue | undefined): unknown {
  if (typeof v !== "string") return v;
  const t = v.trim();
  if (!(t.startsWith("[") || t.startsWith("{"))) return v;
  try {
    return JSON.parse(t);
  } catch {
    return v;
  }
}

/** Text of a semconv message part list ([{type:"text", content}]) or an OpenAI-style content. */
function partsText(parts: unknown): string {
  if (typeof parts === "string") return parts;
  if (!Array.isArray(parts)) return "";
  return parts
    .map((p) => {
      const o = obj(p);
      if (!o) return typeof p === "string" ? p : "";
      if (typeof o.content === "string") return o.content;
      if (typeof o.text === "string") return o.text;
      if (o.type === "tool_call") return `${String(o.name ?? "tool")}(${JSON.stringify(o.arguments ?? {})})`;
      return "";
    })
    .filter(Boolean)
    .join("\n");
}

function semconvMessages(v: AttrValue | undefined): Array<PlainMessage & { finish?: string }> {
  const parsed = parseMaybeJson(v);
  if (!Array.isArray(parsed)) return [];
  const out: Array<PlainMessage & { finish?: string }> = [];
  for (const m of parsed) {
    const o = obj(m);
    if (!o) continue;
    const text = "parts" in o ? partsText(o.parts) : partsText(o.content);
    out.push({ role: String(o.role ?? "user"), content: text, finish: typeof o.finish_reason === "string" ? o.finish_reason : undefined });
  }
  return out;
}

/** OpenLLMetry style: gen_ai.prompt.0.role / gen_ai.prompt.0.content (same for gen_ai.completion). */
function indexedMessages(attrs: Record<string, AttrValue>, prefix: string): Array<PlainMessage & { finish?: string }> {
  const out: Array<PlainMessage & { finish?: string }> = [];
  for (let i = 0; i < 1000; i++) {
    const content = attrs[`${prefix}.${i}.content`];
    const role = attrs[`${prefix}.${i}.role`];
    if (content === undefined && role === undefined) break;
    out.push({
      role: s(role) ?? (prefix.endsWith("completion") ? "assistant" : "user"),
      content: typeof content === "string" ? content : content === undefined ? "" : JSON.stringify(content),
      finish: s(attrs[`${prefix}.${i}.finish_reason`]) ?? undefined,
    });
  }
  return out;
}

type SpanEvent = { name: string; attrs: Record<string, AttrValue> };

/** Older semconv: one span event per message (gen_ai.user.message, ...) and gen_ai.choice. */
function eventMessages(events: SpanEvent[]): { input: PlainMessage[]; output: Array<PlainMessage & { finish?: string }> } {
  const input: PlainMessage[] = [];
  const output: Array<PlainMessage & { finish?: string }> = [];
  for (const e of events) {
    const m = /^gen_ai\.(system|user|assistant|tool)\.message$/.exec(e.name);
    if (m) input.push({ role: m[1], content: partsText(parseMaybeJson(e.attrs.content)) || s(e.attrs.content) || "" });
    else if (e.name === "gen_ai.choice") {
      const message = obj(parseMaybeJson(e.attrs.message));
      output.push({
        role: "assistant",
        content: message ? partsText(message.content) : (s(e.attrs.content) ?? ""),
        finish: s(e.attrs.finish_reason) ?? undefined,
      });
    } else if (e.name === "gen_ai.content.prompt") {
      for (const x of semconvMessages(e.attrs["gen_ai.prompt"])) input.push(x);
    } else if (e.name === "gen_ai.content.completion") {
      for (const x of semconvMessages(e.attrs["gen_ai.completion"])) output.push(x);
    }
  }
  return { input, output };
}

const LLM_OPERATIONS = new Set(["chat", "text_completion", "generate_content", "embeddings", "completion"]);

export type SpanConversion = { kind: "event"; event: Json } | { kind: "skip" };

function nanosToMs(v: unknown): number | null {
  if (v === undefined || v === null || v === "") return null;
  try {
    return Number(BigInt(String(v)) / 1_000_000n) + (Number(BigInt(String(v)) % 1_000_000n) / 1e6);
  } catch {
    const x = Number(v);
    return Number.isFinite(x) ? x / 1e6 : null;
  }
}

/** One span (with its resource's attributes) as an ingest event, or skip when it is not an LLM call. */
export function spanToEvent(span: Json, resource: Record<string, AttrValue>): SpanConversion {
  const attrs = attributes(span.attributes);
  const op = s(attrs["gen_ai.operation.name"]);
  const requestModel = s(first(attrs, "gen_ai.request.model"));
  const responseModel = s(first(attrs, "gen_ai.response.model"));
  const providerName = s(first(attrs, "gen_ai.provider.name", "gen_ai.system"));
  if (!requestModel && !responseModel && !providerName) return { kind: "skip" };
  if (op && !LLM_OPERATIONS.has(op)) return { kind: "skip" };
  const provider = providerFromOtel(providerName);
  // No model anywhere: leave it out so validation rejects the span (reported as a partial success).
  const model = responseModel ?? requestModel ?? undefined;
  const askedModel = requestModel ?? model;

  const events: SpanEvent[] = (Array.isArray(span.events) ? span.events : []).map((e) => ({
    name: String(obj(e)?.name ?? ""),
    attrs: attributes(obj(e)?.attributes),
  }));
  let input: PlainMessage[] = semconvMessages(attrs["gen_ai.input.messages"]);
  let output: Array<PlainMessage & { finish?: string }> = semconvMessages(attrs["gen_ai.output.messages"]);
  const systemInstructions = partsText(parseMaybeJson(attrs["gen_ai.system_instructions"]));
  if (input.length === 0) input = indexedMessages(attrs, "gen_ai.prompt");
  if (output.length === 0) output = indexedMessages(attrs, "gen_ai.completion");
  if (input.length === 0 || output.length === 0) {
    const fromEvents = eventMessages(events);
    if (input.length === 0) input = fromEvents.input;
    if (output.length === 0) output = fromEvents.output;
  }
  if (systemInstructions && !input.some((m) => m.role === "system")) input.unshift({ role: "system", content: systemInstructions });

  const inputTokens = n(first(attrs, "gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"));
  const outputTokens = n(first(attrs, "gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens"));
  const cacheRead = n(first(attrs, "gen_ai.usage.cache_read.input_tokens", "gen_ai.usage.cache_read_input_tokens")) ?? 0;
  const cacheWrite = n(first(attrs, "gen_ai.usage.cache_creation.input_tokens", "gen_ai.usage.cache_creation_input_tokens")) ?? 0;
  const reasoning = n(first(attrs, "gen_ai.usage.reasoning_tokens", "gen_ai.usage.reasoning.output_tokens")) ?? 0;
  const hasUsage = inputTokens !== null || outputTokens !== null;
  const outputText = output.map((m) => m.content).filter(Boolean).join("\n") || null;
  const finishAttr = first(attrs, "gen_ai.response.finish_reasons");
  const finish = (Array.isArray(finishAttr) ? s(finishAttr[0] as AttrValue) : s(finishAttr)) ?? output[0]?.finish ?? null;
  const responseId = s(attrs["gen_ai.response.id"]);

  const params: Json = {};
  const temperature = n(attrs["gen_ai.request.temperature"]);
  const maxTokens = n(attrs["gen_ai.request.max_tokens"]);
  const topP = n(attrs["gen_ai.request.top_p"]);
  if (temperature !== null) params.temperature = temperature;
  if (topP !== null) params.top_p = topP;

  let endpoint: string;
  let request: Json;
  let response: Json | null;
  if (op === "embeddings") {
    endpoint = "/v1/embeddings";
    request = { model: askedModel, input: input.map((m) => m.content) };
    response = hasUsage ? { object: "list", model, usage: { prompt_tokens: inputTokens ?? 0, total_tokens: inputTokens ?? 0 } } : { object: "list", model };
  } else if (provider === "anthropic") {
    endpoint = "/v1/messages";
    const system = input.filter((m) => m.role === "system").map((m) => m.content).join("\n\n");
    request = {
      model: askedModel,
      ...(system ? { system } : {}),
      messages: input.filter((m) => m.role !== "system").map((m) => ({ role: m.role === "assistant" ? "assistant" : "user", content: m.content })),
      ...(maxTokens !== null ? { max_tokens: maxTokens } : {}),
      ...params,
    };
    response = {
      ...(responseId ? { id: responseId } : {}),
      type: "message",
      role: "assistant",
      model,
      content: outputText ? [{ type: "text", text: outputText }] : [],
      stop_reason: finish,
      // Semantic conventions count cached tokens inside input_tokens; Anthropic's own field excludes them.
      ...(hasUsage
        ? {
            usage: {
              input_tokens: Math.max(0, (inputTokens ?? 0) - cacheRead - cacheWrite),
              output_tokens: outputTokens ?? 0,
              cache_read_input_tokens: cacheRead,
              cache_creation_input_tokens: cacheWrite,
            },
          }
        : {}),
    };
  } else if (provider === "google") {
    endpoint = askedModel ? `/v1beta/models/${askedModel}:generateContent` : "/v1beta/models:generateContent";
    const system = input.filter((m) => m.role === "system").map((m) => m.content).join("\n\n");
    request = {
      ...(system ? { systemInstruction: { parts: [{ text: system }] } } : {}),
      contents: input.filter((m) => m.role !== "system").map((m) => ({ role: m.role === "assistant" ? "model" : "user", parts: [{ text: m.content }] })),
      generationConfig: { ...(maxTokens !== null ? { maxOutputTokens: maxTokens } : {}), ...(temperature !== null ? { temperature } : {}) },
    };
    response = {
      modelVersion: model,
      candidates: [{ content: { role: "model", parts: outputText ? [{ text: outputText }] : [] }, finishReason: finish }],
      ...(hasUsage
        ? {
            usageMetadata: {
              promptTokenCount: inputTokens ?? 0,
              candidatesTokenCount: Math.max(0, (outputTokens ?? 0) - reasoning),
              thoughtsTokenCount: reasoning,
              cachedContentTokenCount: cacheRead,
            },
          }
        : {}),
    };
  } else {
    const completion = op === "text_completion" || op === "completion";
    endpoint = completion ? "/v1/completions" : "/v1/chat/completions";
    request = completion
      ? { model: askedModel, prompt: input.map((m) => m.content).join("\n"), ...(maxTokens !== null ? { max_tokens: maxTokens } : {}), ...params }
      : { model: askedModel, messages: input, ...(maxTokens !== null ? { max_tokens: maxTokens } : {}), ...params };
    response = {
      ...(responseId ? { id: responseId } : {}),
      object: completion ? "text_completion" : "chat.completion",
      model,
      choices: completion
        ? [{ index: 0, text: outputText ?? "", finish_reason: finish }]
        : [{ index: 0, message: { role: "assistant", content: outputText }, finish_reason: finish }],
      ...(hasUsage
        ? {
            usage: {
              prompt_tokens: inputTokens ?? 0,
              completion_tokens: outputTokens ?? 0,
              total_tokens: (inputTokens ?? 0) + (outputTokens ?? 0),
              prompt_tokens_details: { cached_tokens: cacheRead },
              completion_tokens_details: { reasoning_tokens: reasoning },
            },
          }
        : {}),
    };
  }

  const start = nanosToMs(span.startTimeUnixNano);
  const end = nanosToMs(span.endTimeUnixNano);
  const status = obj(span.status);
  const isError = Number(status?.code ?? 0) === 2;
  const tags: Record<string, string> = {};
  const tag = (name: string, value: AttrValue | undefined) => {
    const v = typeof value === "number" || typeof value === "boolean" ? String(value) : s(value);
    if (v) tags[name] = v.slice(0, 1024);
  };
  tag("feature", first(attrs, "spendlens.feature", "feature", "gen_ai.agent.name", "traceloop.workflow.name") ?? first(resource, "spendlens.feature", "service.name"));
  tag("user", first(attrs, "spendlens.user", "user.id", "enduser.id", "gen_ai.request.user", "traceloop.association.properties.user_id"));
  tag("session", first(attrs, "spendlens.session", "session.id", "gen_ai.conversation.id", "traceloop.association.properties.session_id"));
  tag("environment", first(attrs, "spendlens.environment", "deployment.environment.name") ?? first(resource, "deployment.environment.name", "deployment.environment"));
  for (const [k, v] of Object.entries(attrs)) {
    const m = /^spendlens\.tags?\.(.+)$/.exec(k);
    if (m) tag(m[1], v);
  }

  const event: Json = {
    id: `otel:${String(span.traceId ?? "")}:${String(span.spanId ?? "")}`,
    timestamp: start !== null ? new Date(start).toISOString() : new Date().toISOString(),
    provider,
    endpoint,
    request,
    response: isError && !hasUsage ? null : response,
    latency_ms: start !== null && end !== null && end >= start ? end - start : 0,
    tags,
  };
  const tier = s(first(attrs, "gen_ai.openai.response.service_tier", "gen_ai.openai.request.service_tier"));
  if (tier) event.service_tier = tier;
  if (isError) {
    const statusCode = n(first(attrs, "http.response.status_code", "http.status_code")) ?? n(attrs["error.type"]);
    event.error = {
      status: statusCode !== null && statusCode >= 100 && statusCode <= 999 ? statusCode : 500,
      message: s(status?.message as AttrValue) ?? s(attrs["error.type"]) ?? "error",
    };
  }
  return { kind: "event", event };
}

/** Every span of an ExportTraceServiceRequest (JSON or decoded protobuf) with its resource attributes. */
export function* spansOf(request: unknown): Generator<{ span: Json; resource: Record<string, AttrValue> }> {
  const resourceSpans = obj(request)?.resourceSpans;
  if (!Array.isArray(resourceSpans)) return;
  for (const rs of resourceSpans) {
    const resource = attributes(obj(obj(rs)?.resource)?.attributes);
    const scopes = obj(rs)?.scopeSpans ?? obj(rs)?.instrumentationLibrarySpans;
    if (!Array.isArray(scopes)) continue;
    for (const ss of scopes) {
      const spans = obj(ss)?.spans;
      if (!Array.isArray(spans)) continue;
      for (const span of spans) if (obj(span)) yield { span: span as Json, resource };
    }
  }
}
