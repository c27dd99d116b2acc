// What the cache analysis needs from an embedding method: vectors whose cosine says "same request".
// Remote endpoints give dense vectors; the local TF-IDF method also gives sparse ones, because its
// hashed feature space (2^20 dims) is far too wide to materialise per text.

export interface Embedder {
  /** Stable name of the method and its settings; part of the Embedding cache key and the run's input hash. */
  id: string;
  dims: number;
  /** One L2-normalised vector per text, in order. */
  embed(texts: string[]): Promise<Float32Array[]>;
  /** Money spent by this embedder so far (remote endpoints; 0 for local methods). */
  costUsd(): number;
}

/** Sorted feature indices with their weights; L2-normalised when produced by an embedder. */
export type SparseVector = { indices: Uint32Array; values: Float32Array };

export interface SparseEmbedder extends Embedder {
  embedSparse(texts: string[]): SparseVector[];
  /** Document frequency of a feature in the fitted corpus (orders features rare-first for the index). */
  documentFrequency(feature: number): number;
}

export function isSparseEmbedder(e: Embedder): e is SparseEmbedder {
  return typeof (e as Partial<SparseEmbedder>).embedSparse === "function";
}

/** Cosine of two L2-normalised sparse vectors (merge over sorted indices, float64 sum). */
export function sparseDot(a: SparseVector, b: SparseVector): number {
  let i = 0;
  let j = 0;
  let sum = 0;
  const ai = a.indices;
  const bi = b.indices;
  while (i < ai.length && j < bi.length) {
    const x = ai[i];
    const y = bi[j];
    if (x === y) {
      sum += a.values[i] * b.values[j];
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  return sum;
}

/** Cosine of two L2-normalised dense vectors. */
export function denseDot(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`vectors differ in length: ${a.length} vs ${b.length}`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}

/** Scales a dense vector to unit length in place (zero vectors stay zero). */
export function normaliseDense(v: Float32Array): Float32Array {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += v[i] * v[i];
  if (n > 0) {
    const s = 1 / Math.sqrt(n);
    for (let i = 0; i < v.length; i++) v[i] *= s;
  }
  return v;
}
