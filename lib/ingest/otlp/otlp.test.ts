import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "../../db/client";
import { useTestDatabase } from "../../db/testing";
import { priceCall } from "../../pricing/cost";
import { createProjectWithKey, serveOnLoopback, type ProjectFixture } from "../test-fixtures";
import { handleOtlpRequest, otlpRequestToEvents } from "./http";

useTestDatabase();

let server: { url: string; close: () => Promise<void> };
let p: ProjectFixture;

beforeAll(async () => {
  server = await serveOnLoopback(handleOtlpRequest);
  p = await createProjectWithKey("otel");
});
afterAll(async () => {
  await server.close();
});

const START = new Date(Date.UTC(2026, 11, 2, 9, 30, 0));

function chatSpanAttributes(model: string) {
  return {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": model,
    "gen_ai.response.model": `${model}-2024-07-18`,
    "gen_ai.response.id": "chatcmpl-otel-1",
    "gen_ai.request.temperature": 0.1,
    "gen_ai.usage.input_tokens": 1200,
    "gen_ai.usage.output_tokens": 80,
    "gen_ai.response.finish_reasons": ["stop"],
    "gen_ai.input.messages": JSON.stringify([
      { role: "system", parts: [{ type: "text", content: "You classify banking support requests into one of 77 intents." }] },
      { role: "user", parts: [{ type: "text", content: "I am still waiting on my card?" }] },
    ]),
    "gen_ai.output.messages": JSON.stringify([{ role: "assistant", parts: [{ type: "text", content: "card_arrival" }], finish_reason: "stop" }]),
    "user.id": "user-42",
  };
}

function tracerWith(processor: SimpleSpanProcessor) {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": "banking-intents", "deployment.environment.name": "prod" }),
    spanProcessors: [processor],
  });
  return { provider, tracer: provider.getTracer("spendlens-test") };
}

describe("OTLP/HTTP trace receiver", () => {
  it("stores a gen_ai span sent by the official OTLP/HTTP exporter as a priced call", async () => {
    const exporter = new OTLPTraceExporter({
      url: `${server.url}/api/v1/otel/v1/traces`,
      headers: { Authorization: `Bearer ${p.key}` },
    });
    const { provider, tracer } = tracerWith(new SimpleSpanProcessor(exporter));
    const span = tracer.startSpan("chat gpt-4o-mini", { kind: SpanKind.CLIENT, attributes: chatSpanAttributes("gpt-4o-mini"), startTime: START });
    span.end(new Date(START.getTime() + 1534));
    // A non-LLM span in the same export is ignored, not rejected.
    tracer.startSpan("GET /health", { startTime: START }).end(new Date(START.getTime() + 3));
    await provider.forceFlush();
    await provider.shutdown();

    const calls = await db.call.findMany({ where: { projectId: p.projectId } });
    expect(calls).toHaveLength(1);
    const call = calls[0];
    const ctx = span.spanContext();
    expect(call.eventId).toBe(`otel:${ctx.traceId}:${ctx.spanId}`);
    expect(call).toMatchObject({
      source: "otlp",
      provider: "openai",
      endpoint: "/v1/chat/completions",
      model: "gpt-4o-mini-2024-07-18",
      inputTokens: 1200,
      outputTokens: 80,
      latencyMs: 1534,
      outputText: "card_arrival",
      finishReason: "stop",
      feature: "banking-intents",
      endUser: "user-42",
      environment: "prod",
      tokensEstimated: false,
    });
    expect(call.timestamp.toISOString()).toBe(START.toISOString());
    const expected = priceCall(
      { inputTokens: 1200, outputTokens: 80, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
      { provider: "openai", model: "gpt-4o-mini-2024-07-18" },
    )!;
    expect(call.costUsd).not.toBeNull();
    expect(call.costUsd!).toBeCloseTo(expected.costUsd, 12);
    const messages = (call.request as { messages: Array<{ role: string; content: string }> }).messages;
    expect(messages.map((m) => m.role)).toEqual(["system", "user"]);
    expect(messages[1].content).toBe("I am still waiting on my card?");
    const roll = await db.usageHourly.findMany({ where: { projectId: p.projectId } });
    expect(roll).toHaveLength(1);
    expect(roll[0].requests).toBe(1);
  });

  it("accepts OTLP protobuf (encoded by OpenTelemetry's own serializer) and answers in protobuf", async () => {
    const memory = new InMemorySpanExporter();
    const { provider, tracer } = tracerWith(new SimpleSpanProcessor(memory));
    const attrs = {
      "gen_ai.operation.name": "chat",
      "gen_ai.system": "anthropic",
      "gen_ai.request.model": "claude-3-5-haiku-20241022",
      "gen_ai.usage.input_tokens": 5000,
      "gen_ai.usage.output_tokens": 300,
      "gen_ai.usage.cache_read_input_tokens": 4000,
      "gen_ai.prompt.0.role": "system",
      "gen_ai.prompt.0.content": "Summarise the ticket.",
      "gen_ai.prompt.1.role": "user",
      "gen_ai.prompt.1.content": "Customer cannot log in after changing phone.",
      "gen_ai.completion.0.role": "assistant",
      "gen_ai.completion.0.content": "Login fails after a phone change.",
      "gen_ai.completion.0.finish_reason": "end_turn",
      "spendlens.feature": "ticket-summary",
    };
    tracer.startSpan("anthropic.chat", { kind: SpanKind.CLIENT, attributes: attrs, startTime: START }).end(new Date(START.getTime() + 900));
    const failed = tracer.startSpan("openai.chat", {
      kind: SpanKind.CLIENT,
      attributes: { "gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o", "gen_ai.prompt.0.content": "hello", "http.response.status_code": 429 },
      startTime: START,
    });
    failed.setStatus({ code: SpanStatusCode.ERROR, message: "Rate limit reached" });
    failed.end(new Date(START.getTime() + 50));
    await provider.forceFlush();
    const body = ProtobufTraceSerializer.serializeRequest(memory.getFinishedSpans())!;
    const res = await fetch(`${server.url}/api/v1/otel/v1/traces`, {
      method: "POST",
      headers: { "content-type": "application/x-protobuf", authorization: `Bearer ${p.key}` },
      body: body as BodyInit,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-protobuf");
    const decoded = ProtobufTraceSerializer.deserializeResponse(new Uint8Array(await res.arrayBuffer()));
    expect(decoded.partialSuccess?.rejectedSpans ?? 0).toBe(0);

    const call = await db.call.findFirst({ where: { projectId: p.projectId, provider: "anthropic" } });
    expect(call).toMatchObject({ endpoint: "/v1/messages", model: "claude-3-5-haiku-20241022", inputTokens: 5000, cachedInputTokens: 4000, outputTokens: 300, feature: "ticket-summary", finishReason: "end_turn" });
    const expected = priceCall(
      { inputTokens: 5000, outputTokens: 300, cachedInputTokens: 4000, cacheWriteTokens: 0, reasoningTokens: 0 },
      { provider: "anthropic", model: "claude-3-5-haiku-20241022" },
    )!;
    expect(call!.costUsd!).toBeCloseTo(expected.costUsd, 12);
    const err = await db.call.findFirst({ where: { projectId: p.projectId, model: "gpt-4o" } });
    expect(err).toMatchObject({ status: 429, errorMessage: "Rate limit reached", tokensEstimated: true, costUsd: 0 });
    expect(err!.inputTokens).toBeGreaterThan(0);
  });

  it("reports spans it cannot store as a partial success and refuses a wrong key", async () => {
    const request = {
      resourceSpans: [
        {
          resource: { attributes: [] },
          scopeSpans: [
            {
              spans: [
                {
                  traceId: "0af7651916cd43dd8448eb211c80319c",
                  spanId: "b7ad6b7169203331",
                  name: "chat",
                  startTimeUnixNano: String(BigInt(START.getTime()) * 1_000_000n),
                  endTimeUnixNano: String(BigInt(START.getTime() + 10) * 1_000_000n),
                  attributes: [{ key: "gen_ai.provider.name", value: { stringValue: "openai" } }],
                },
              ],
            },
          ],
        },
      ],
    };
    const converted = otlpRequestToEvents(request);
    expect(converted.events).toHaveLength(0);
    expect(converted.rejected[0]).toMatchObject({ spanId: "b7ad6b7169203331", field: "request.model" });
    const res = await fetch(`${server.url}/api/v1/otel/v1/traces`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${p.key}` },
      body: JSON.stringify(request),
    });
    expect(res.status).toBe(200);
    expect((await res.json()).partialSuccess).toMatchObject({ rejectedSpans: "1", errorMessage: expect.stringContaining("request.model") });
    const denied = await fetch(`${server.url}/api/v1/otel/v1/traces`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(denied.status).toBe(401);
  });
});
