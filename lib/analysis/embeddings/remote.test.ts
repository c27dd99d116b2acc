// The remote embedder against an OpenAI-compatible server on loopback (the test controls it), and the
// Embedding-table store against a real test database.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "../../db/client";
import { useTestDatabase } from "../../db/testing";
import { banking77Calls } from "../modelfit/datasets";
import { analyseCache } from "../cache/analyse";
import { createOpenAIEmbedder, embedderFromEnv } from "./remote";
import { decodeVector, encodeVector, withEmbeddingStore } from "./store";
import { tokenize } from "./tfidf";

useTestDatabase();

/** Bag-of-words vectors hashed into 64 dims: similar wordings get similar vectors, like a real model. */
function fakeVector(text: string): number[] {
  const v = new Array(64).fill(0);
  for (const t of tokenize(text)) {
    let h = 2166136261;
    for (let i = 0; i < t.length; i++) h = Math.imul(h ^ t.charCodeAt(i), 16777619);
    v[(h >>> 0) % 64] += 1;
  }
  return v;
}

type Seen = { inputs: string[][]; failuresLeft: number; auth: string[] };

async function fakeEmbeddingsServer(seen: Seen): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      seen.auth.push(String(req.headers.authorization));
      if (req.url !== "/v1/embeddings" || req.method !== "POST") return void res.writeHead(404).end();
      if (seen.failuresLeft > 0) {
        seen.failuresLeft--;
        res.writeHead(429, { "content-type": "application/json", "retry-after-ms": "5" }).end(JSON.stringify({ error: { message: "slow down" } }));
        return;
      }
      const { input, model, encoding_format } = JSON.parse(body) as { input: string[]; model: string; encoding_format?: string };
      if (encoding_format !== "float") return void res.writeHead(400).end(JSON.stringify({ error: { message: "float only" } }));
      seen.inputs.push(input);
      const tokens = input.reduce((s, t) => s + tokenize(t).length, 0);
      res.writeHead(200, { "content-type": "application/json" }).end(
        JSON.stringify({ object: "list", model, data: input.map((t, index) => ({ object: "embedding", index, embedding: fakeVector(t) })), usage: { prompt_tokens: tokens, total_tokens: tokens } }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, close: () => new Promise((r) => server.close(() => r())) };
}

describe("OpenAI-compatible embedder", () => {
  const seen: Seen = { inputs: [], failuresLeft: 0, auth: [] };
  let server: Awaited<ReturnType<typeof fakeEmbeddingsServer>>;
  beforeAll(async () => (server = await fakeEmbeddingsServer(seen)));
  afterAll(async () => server.close());

  it("batches, retries a 429, returns unit vectors in order and counts the cost with the price table", async () => {
    seen.inputs.length = 0;
    seen.failuresLeft = 1;
    const e = createOpenAIEmbedder({ baseURL: server.url, apiKey: "sk-test", batchSize: 3 });
    const texts = ["card arrived", "card has not arrived", "top up failed", "", "exchange rate", "card arrived", "refund please"];
    const vectors = await e.embed(texts);
    expect(seen.inputs.map((b) => b.length)).toEqual([3, 3, 1]);
    expect(seen.inputs[1][0]).toBe(" "); // empty text sent as a space
    expect(e.requests()).toBe(3);
    expect(vectors).toHaveLength(7);
    expect(e.dims).toBe(64);
    expect(Array.from(vectors[5])).toEqual(Array.from(vectors[0]));
    const norm = Math.sqrt(vectors[1].reduce((s, x) => s + x * x, 0));
    expect(norm).toBeCloseTo(1, 6);
    // text-embedding-3-small is $0.02 per million tokens in the price table.
    expect(e.tokens()).toBe(15);
    expect(e.costUsd()).toBeCloseTo((15 * 0.02) / 1e6, 15);
    expect(seen.auth).toContain("Bearer sk-test");
    expect(e.id).toBe("remote:text-embedding-3-small");
  });

  it("keeps to the request budget of its window", async () => {
    const e = createOpenAIEmbedder({ baseURL: server.url, batchSize: 1, rateLimit: { requests: 2, windowMs: 300 } });
    const started = Date.now();
    await e.embed(["a b", "c d", "e f"]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it("is configured from the environment, or absent", () => {
    expect(embedderFromEnv({})).toBeNull();
    expect(embedderFromEnv({ EMBEDDINGS_BASE_URL: server.url, EMBEDDINGS_MODEL: "nomic-embed-text" })!.id).toBe("remote:nomic-embed-text");
    expect(() => embedderFromEnv({ EMBEDDINGS_BASE_URL: server.url, EMBEDDINGS_DIMENSIONS: "abc" })).toThrow(/EMBEDDINGS_DIMENSIONS/);
  });

  it("stores each distinct text's vector per project and never embeds it again", async () => {
    const org = await db.organization.create({ data: { name: "Acme", slug: `acme-${Date.now()}` } });
    const p1 = await db.project.create({ data: { organizationId: org.id, name: "One", slug: "one" } });
    const p2 = await db.project.create({ data: { organizationId: org.id, name: "Two", slug: "two" } });
    seen.inputs.length = 0;
    const remote = createOpenAIEmbedder({ baseURL: server.url, batchSize: 50 });
    const store = withEmbeddingStore(remote, { projectId: p1.id });
    const first = await store.embed(["where is my card", "top up failed", "where is my card"]);
    expect(seen.inputs.flat()).toEqual(["where is my card", "top up failed"]);
    expect(await db.embedding.count({ where: { projectId: p1.id } })).toBe(2);
    const second = await store.embed(["top up failed", "where is my card", "new text"]);
    expect(seen.inputs.flat()).toEqual(["where is my card", "top up failed", "new text"]);
    expect(Array.from(second[1])).toEqual(Array.from(first[0]));
    expect(store.stored()).toBe(2);
    // Another project does not read project one's vectors.
    await withEmbeddingStore(remote, { projectId: p2.id }).embed(["where is my card"]);
    expect(seen.inputs.flat()).toHaveLength(4);
    expect(Array.from(decodeVector(encodeVector(Float32Array.from([1.5, -2, 0.25]))))).toEqual([1.5, -2, 0.25]);
  });

  it("drives the cache analysis with dense vectors (LSH index) and reports the embedding spend", async () => {
    const { train } = banking77Calls({ limitTrain: 600, limitTest: 0 });
    const e = createOpenAIEmbedder({ baseURL: server.url });
    const report = await analyseCache(train, { embedder: e, ttlMs: null, thresholds: [0.9, 0.95, 1] });
    expect(report.embedder.id).toBe("remote:text-embedding-3-small");
    expect(report.embedder.costUsd).toBeGreaterThan(0);
    expect(report.groups[0].index.exact).toBe(false);
    expect(report.groups[0].curve.map((p) => p.threshold)).toEqual([0.9, 0.95, 1]);
    expect(report.groups[0].curve[0].hits).toBeGreaterThanOrEqual(report.groups[0].curve[2].hits);
    expect(report.groups[0].curve[2].hits).toBeGreaterThanOrEqual(report.groups[0].exactDuplicates.hits);
  });
});
