// The local default embedder: TF-IDF over words plus in-word character n-grams, hashed into a fixed
// feature space (the hashing trick: no vocabulary to build or store, ~1.7x faster at equal accuracy).
// No network, no weights. Weights depend on the corpus through document frequency, so the caller fixes
// the corpus deterministically (the cache analysis uses the distinct compared texts of its window).
import type { SparseEmbedder, SparseVector } from "./types";

export type TfidfOptions = {
  /** Word n-gram sizes over tokens `[\p{L}\p{N}]+` (lowercased). Default [1]. */
  wordNgrams?: number[];
  /** Character n-gram sizes taken inside each token padded as " token ". Default [3]. */
  charNgrams?: number[];
  /** log2 of the hashed feature space. Default 20 (collisions are then negligible for short texts). */
  hashBits?: number;
  /** Term-frequency transform: 1+ln(tf) ("log", default), tf ("raw"), or BM25 saturation ("bm25"). */
  tf?: "log" | "raw" | "bm25";
  /** BM25 k1 (saturation speed) when tf = "bm25". Default 1.2. */
  bm25K1?: number;
  /**
   * "joint" (default): one L2-normalised vector over all features. "separate": words and characters are
   * normalised on their own and mixed by `wordWeight`, so the cosine is a weighted mean of the two cosines.
   */
  combine?: "joint" | "separate";
  /** Share of the word block in the cosine when combine = "separate" (0..1). Default 0.5. */
  wordWeight?: number;
};

type Resolved = Required<TfidfOptions>;

const DEFAULTS: Resolved = { wordNgrams: [1], charNgrams: [3], hashBits: 20, tf: "log", bm25K1: 1.2, combine: "joint", wordWeight: 0.5 };

function resolve(opts: TfidfOptions): Resolved {
  const r = { ...DEFAULTS, ...opts };
  if (!Number.isInteger(r.hashBits) || r.hashBits < 8 || r.hashBits > 26) throw new Error(`hashBits must be an integer in [8, 26], got ${r.hashBits}`);
  for (const n of r.wordNgrams) if (!Number.isInteger(n) || n < 1 || n > 3) throw new Error(`wordNgrams entries must be 1..3, got ${n}`);
  for (const n of r.charNgrams) if (!Number.isInteger(n) || n < 2 || n > 6) throw new Error(`charNgrams entries must be 2..6, got ${n}`);
  if (r.wordNgrams.length + r.charNgrams.length === 0) throw new Error("wordNgrams and charNgrams must not both be empty");
  if (!(r.wordWeight >= 0 && r.wordWeight <= 1)) throw new Error(`wordWeight must be in [0, 1], got ${r.wordWeight}`);
  if (!(r.bm25K1 > 0)) throw new Error(`bm25K1 must be > 0, got ${r.bm25K1}`);
  return r;
}

export function tfidfId(opts: TfidfOptions = {}): string {
  const r = resolve(opts);
  const parts = [
    `w${r.wordNgrams.join("")}`,
    `c${r.charNgrams.join("")}`,
    `h${r.hashBits}`,
    r.tf === "bm25" ? `bm25k${r.bm25K1}` : r.tf,
    r.combine === "separate" ? `sep${r.wordWeight}` : "joint",
  ];
  return `tfidf:${parts.join(":")}`;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const TOKEN_RE = /[\p{L}\p{N}]+/gu;

/** Lowercased tokens `[\p{L}\p{N}]+` (for ASCII text the same as `[a-z0-9]+`). */
export function tokenize(text: string): string[] {
  return text.toLowerCase().match(TOKEN_RE) ?? [];
}

function mix(h: number): number {
  // murmur3 finaliser: spreads FNV's low-bit bias before masking to hashBits.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function hashToken(seed: number, token: string): number {
  let h = (FNV_OFFSET ^ seed) >>> 0;
  for (let i = 0; i < token.length; i++) {
    h ^= token.charCodeAt(i);
    h = Math.imul(h, FNV_PRIME);
  }
  return h >>> 0;
}

/**
 * Hashed features of texts, written into one reusable buffer (no per-text maps: the analysis embeds
 * ~100k texts and allocation churn would dominate). Word features first, then character features.
 */
class Featuriser {
  buf = new Uint32Array(4096);
  n = 0;
  nWords = 0;
  private readonly mask: number;

  constructor(private readonly r: Resolved) {
    this.mask = (1 << r.hashBits) - 1;
  }

  private push(f: number): void {
    if (this.n === this.buf.length) {
      const next = new Uint32Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.n++] = f;
  }

  run(text: string): void {
    const r = this.r;
    this.n = 0;
    const tokens = tokenize(text);
    if (r.wordNgrams.length) {
      const tokenHashes = tokens.map((t) => hashToken(0x9e37, t));
      for (const n of r.wordNgrams) {
        for (let i = 0; i + n <= tokens.length; i++) {
          let h = Math.imul(n, 0x27d4eb2d);
          for (let k = 0; k < n; k++) h = Math.imul(h ^ tokenHashes[i + k], FNV_PRIME) + k;
          this.push(mix(h) & this.mask);
        }
      }
    }
    this.nWords = this.n;
    for (const token of tokens) {
      const padded = ` ${token} `;
      for (const n of r.charNgrams) {
        const seed = Math.imul(n + 7, 0x165667b1);
        for (let i = 0; i + n <= padded.length; i++) {
          let h = (FNV_OFFSET ^ seed) >>> 0;
          for (let k = 0; k < n; k++) {
            h ^= padded.charCodeAt(i + k);
            h = Math.imul(h, FNV_PRIME);
          }
          this.push(mix(h) & this.mask);
        }
      }
    }
  }
}

/** Sorted distinct features of buf[from, to) with their counts (sorts that range in place). */
function runLengths(buf: Uint32Array, from: number, to: number): { ids: Uint32Array; counts: Uint32Array } {
  const part = buf.subarray(from, to);
  part.sort();
  let distinct = 0;
  for (let i = 0; i < part.length; i++) if (i === 0 || part[i] !== part[i - 1]) distinct++;
  const ids = new Uint32Array(distinct);
  const counts = new Uint32Array(distinct);
  let k = -1;
  for (let i = 0; i < part.length; i++) {
    if (i === 0 || part[i] !== part[i - 1]) ids[++k] = part[i];
    counts[k]++;
  }
  return { ids, counts };
}

/** A text's features as sorted (id, count) blocks: one block ("joint") or words then characters. */
type Counted = Array<{ ids: Uint32Array; counts: Uint32Array }>;

function countText(f: Featuriser, text: string, r: Resolved): Counted {
  f.run(text);
  if (r.combine === "joint") return [runLengths(f.buf, 0, f.n)];
  return [runLengths(f.buf, 0, f.nWords), runLengths(f.buf, f.nWords, f.n)];
}

export type TfidfEmbedder = SparseEmbedder & { options: Resolved; corpusSize: number };

type Built = { embedder: TfidfEmbedder; counted: Counted[]; vectorOf: (c: Counted) => SparseVector };

function build(corpus: readonly string[], opts: TfidfOptions, keepCorpus: boolean): Built {
  const r = resolve(opts);
  const size = 1 << r.hashBits;
  const df = new Uint32Array(size);
  const featuriser = new Featuriser(r);
  const counted: Counted[] = [];
  const seen = new Uint32Array(size);
  let docNo = 0;
  for (const text of corpus) {
    const c = countText(featuriser, text, r);
    docNo++;
    // A feature counts once per document, whichever block it is in.
    for (const block of c) for (const f of block.ids) if (seen[f] !== docNo) ((seen[f] = docNo), df[f]++);
    if (keepCorpus) counted.push(c);
  }
  const n = corpus.length;
  const idfOf = (f: number) => Math.log((1 + n) / (1 + df[f])) + 1;
  const tfOf = (tf: number) => (r.tf === "log" ? 1 + Math.log(tf) : r.tf === "raw" ? tf : (tf * (r.bm25K1 + 1)) / (tf + r.bm25K1));
  const scales = r.combine === "joint" ? [1] : [Math.sqrt(r.wordWeight), Math.sqrt(1 - r.wordWeight)];

  const vectorOf = (c: Counted): SparseVector => {
    // Weigh and normalise each block, then merge the blocks (sorted; a shared id sums).
    const blocks = c.map((b, i) => {
      const w = new Float64Array(b.ids.length);
      let norm = 0;
      for (let k = 0; k < b.ids.length; k++) {
        w[k] = tfOf(b.counts[k]) * idfOf(b.ids[k]);
        norm += w[k] * w[k];
      }
      const s = norm > 0 ? scales[i] / Math.sqrt(norm) : 0;
      for (let k = 0; k < w.length; k++) w[k] *= s;
      return { ids: b.ids, w };
    });
    let indices: Uint32Array;
    let merged: Float64Array;
    if (blocks.length === 1) {
      indices = blocks[0].ids;
      merged = blocks[0].w;
    } else {
      const [a, b] = blocks;
      const ids: number[] = [];
      const ws: number[] = [];
      let i = 0;
      let j = 0;
      while (i < a.ids.length || j < b.ids.length) {
        if (j >= b.ids.length || (i < a.ids.length && a.ids[i] < b.ids[j])) (ids.push(a.ids[i]), ws.push(a.w[i++]));
        else if (i >= a.ids.length || b.ids[j] < a.ids[i]) (ids.push(b.ids[j]), ws.push(b.w[j++]));
        else (ids.push(a.ids[i]), ws.push(a.w[i++] + b.w[j++]));
      }
      indices = Uint32Array.from(ids);
      merged = Float64Array.from(ws);
    }
    // Separate blocks: a text with words but no characters (or the reverse) is renormalised to 1.
    let norm = 0;
    for (let k = 0; k < merged.length; k++) norm += merged[k] * merged[k];
    const s = norm > 0 && Math.abs(norm - 1) > 1e-6 ? 1 / Math.sqrt(norm) : 1;
    const values = new Float32Array(merged.length);
    for (let k = 0; k < merged.length; k++) values[k] = merged[k] * s;
    return { indices, values };
  };

  const embedSparse = (texts: string[]) => texts.map((t) => vectorOf(countText(featuriser, t, r)));
  const embedder: TfidfEmbedder = {
    id: tfidfId(opts),
    dims: size,
    options: r,
    corpusSize: n,
    embedSparse,
    documentFrequency: (f: number) => df[f],
    // Dense output exists for the Embedder contract (a few texts); the analysis uses embedSparse.
    async embed(texts: string[]) {
      if (texts.length > 64) throw new Error(`the TF-IDF embedder is sparse (${size} dims): use embedSparse for ${texts.length} texts`);
      return embedSparse(texts).map((v) => {
        const dense = new Float32Array(size);
        for (let i = 0; i < v.indices.length; i++) dense[v.indices[i]] = v.values[i];
        return dense;
      });
    },
    costUsd: () => 0,
  };
  return { embedder, counted, vectorOf };
}

/**
 * Fits document frequencies on `corpus` and returns the embedder. Weight of a feature:
 * tf' x (ln((1+N)/(1+df)) + 1), tf' per `tf`; vectors are L2-normalised so the dot product is the cosine.
 */
export function fitTfidfEmbedder(corpus: readonly string[], opts: TfidfOptions = {}): TfidfEmbedder {
  return build(corpus, opts, false).embedder;
}

/** fitTfidfEmbedder(corpus) plus the corpus's own vectors, featurising each text once. */
export function fitTfidfAndEmbed(corpus: readonly string[], opts: TfidfOptions = {}): { embedder: TfidfEmbedder; vectors: SparseVector[] } {
  const built = build(corpus, opts, true);
  return { embedder: built.embedder, vectors: built.counted.map(built.vectorOf) };
}
