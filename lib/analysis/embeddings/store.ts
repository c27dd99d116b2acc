// Embeddings stored per project, method and distinct text hash (the Embedding table), so a text is
// embedded once and never again: re-runs of the analysis over the same window cost nothing remote.
// Used for remote embedders; the local TF-IDF is cheaper to recompute than to load, and its vectors
// change with the corpus it is fitted on, so it is not stored.
import { createHash } from "node:crypto";
import { db } from "../../db/client";
import type { Embedder } from "./types";

export function embeddingTextHash(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

export function encodeVector(v: Float32Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(v.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < v.length; i++) view.setFloat32(i * 4, v[i], true);
  return out;
}

export function decodeVector(bytes: Uint8Array): Float32Array {
  if (bytes.byteLength % 4 !== 0) throw new Error(`stored vector has ${bytes.byteLength} bytes, not a multiple of 4`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.byteLength / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

const CHUNK = 500;

/** `inner` behind the project's Embedding rows: stored vectors are read, only new texts are embedded. */
export function withEmbeddingStore(inner: Embedder, scope: { projectId: string }): Embedder & { stored(): number; computed(): number } {
  if (!scope.projectId) throw new Error("projectId is required");
  let stored = 0;
  let computed = 0;
  let loadedDims = 0;
  return {
    get id() {
      return inner.id;
    },
    // Known from the endpoint, or from stored vectors when every text was already stored.
    get dims() {
      return inner.dims || loadedDims;
    },
    costUsd: () => inner.costUsd(),
    stored: () => stored,
    computed: () => computed,
    async embed(texts: string[]): Promise<Float32Array[]> {
      const hashes = texts.map(embeddingTextHash);
      const unique = [...new Set(hashes)];
      const found = new Map<string, Float32Array>();
      for (let i = 0; i < unique.length; i += CHUNK) {
        const rows = await db.embedding.findMany({
          where: { projectId: scope.projectId, model: inner.id, textHash: { in: unique.slice(i, i + CHUNK) } },
          select: { textHash: true, vector: true },
        });
        for (const r of rows) {
          const v = decodeVector(r.vector);
          loadedDims = v.length;
          found.set(r.textHash, v);
        }
      }
      stored += found.size;
      const missing = unique.filter((h) => !found.has(h));
      if (missing.length) {
        const textOf = new Map(hashes.map((h, i) => [h, texts[i]]));
        const vectors = await inner.embed(missing.map((h) => textOf.get(h)!));
        computed += vectors.length;
        missing.forEach((h, i) => found.set(h, vectors[i]));
        for (let i = 0; i < missing.length; i += CHUNK) {
          await db.embedding.createMany({
            data: missing.slice(i, i + CHUNK).map((h, k) => ({ projectId: scope.projectId, model: inner.id, textHash: h, dims: vectors[i + k].length, vector: encodeVector(vectors[i + k]) })),
            skipDuplicates: true,
          });
        }
      }
      return hashes.map((h) => found.get(h)!);
    },
  };
}
