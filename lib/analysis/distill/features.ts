// TF-IDF features with an explicit vocabulary (word unigrams + bigrams, character n-grams inside
// words), so a trained model can ship as a self-contained artifact: terms, idf, weights. Tokens are
// the embeddings module's (`tokenize`), so both analyses read text the same way. Sublinear tf,
// smoothed idf, L2-normalised vectors.
import { tokenize } from "../embeddings/tfidf";

export type FeatureConfig = {
  /** Word n-gram sizes. Default [1, 2]. */
  wordNgrams: number[];
  /** Character n-gram sizes inside " word " (padded). Default [3, 4, 5]. */
  charNgrams: number[];
  /** Terms must occur in at least this many training texts. Default 2. */
  minDf: number;
  /** Keep at most this many terms (highest document frequency first). Default 40,000. */
  maxFeatures: number;
};

export const DEFAULT_FEATURES: FeatureConfig = { wordNgrams: [1, 2], charNgrams: [3, 4, 5], minDf: 2, maxFeatures: 40_000 };

export type SparseRow = { indices: Int32Array; values: Float32Array };

export type Vocabulary = {
  config: FeatureConfig;
  terms: string[];
  idf: Float32Array;
  /** Number of training texts the idf was fitted on. */
  documents: number;
  index: Map<string, number>;
};

/** All terms of a text with their counts (word n-grams prefixed "w:", character n-grams "c:"). */
export function termCounts(text: string, config: FeatureConfig): Map<string, number> {
  const counts = new Map<string, number>();
  const tokens = tokenize(text);
  const add = (t: string) => counts.set(t, (counts.get(t) ?? 0) + 1);
  for (const n of config.wordNgrams) for (let i = 0; i + n <= tokens.length; i++) add(`w:${tokens.slice(i, i + n).join(" ")}`);
  for (const token of tokens) {
    const padded = ` ${token} `;
    for (const n of config.charNgrams) for (let i = 0; i + n <= padded.length; i++) add(`c:${padded.slice(i, i + n)}`);
  }
  return counts;
}

export function fitVocabulary(texts: readonly string[], config: Partial<FeatureConfig> = {}): Vocabulary {
  const cfg = { ...DEFAULT_FEATURES, ...config };
  const df = new Map<string, number>();
  for (const text of texts) for (const term of termCounts(text, cfg).keys()) df.set(term, (df.get(term) ?? 0) + 1);
  const kept = [...df.entries()]
    .filter(([, d]) => d >= cfg.minDf)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, cfg.maxFeatures)
    .sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const n = texts.length;
  const terms = kept.map(([t]) => t);
  const idf = Float32Array.from(kept.map(([, d]) => Math.log((1 + n) / (1 + d)) + 1));
  return { config: cfg, terms, idf, documents: n, index: new Map(terms.map((t, i) => [t, i])) };
}

/** Rebuild a vocabulary from its exported parts (artifact). */
export function vocabularyFrom(config: FeatureConfig, terms: string[], idf: ArrayLike<number>, documents: number): Vocabulary {
  return { config, terms, idf: Float32Array.from(idf), documents, index: new Map(terms.map((t, i) => [t, i])) };
}

export type Vectorised = SparseRow & {
  /**
   * Share of the text's word-level TF-IDF mass on words seen in training (unseen words weighted at the
   * highest idf): low for texts unlike anything the model learnt from (the OOD guard reads it).
   */
  knownWordMass: number;
  words: number;
};

export function vectorise(text: string, vocab: Vocabulary): Vectorised {
  const counts = termCounts(text, vocab.config);
  const unseenIdf = Math.log(1 + vocab.documents) + 1;
  const idx: number[] = [];
  const val: number[] = [];
  let known = 0;
  let total = 0;
  let words = 0;
  for (const [term, c] of counts) {
    const i = vocab.index.get(term);
    const tf = 1 + Math.log(c);
    if (term.startsWith("w:") && !term.includes(" ")) {
      words += c;
      const w = tf * (i === undefined ? unseenIdf : vocab.idf[i]);
      total += w * w;
      if (i !== undefined) known += w * w;
    }
    if (i === undefined) continue;
    idx.push(i);
    val.push(tf * vocab.idf[i]);
  }
  const order = idx.map((_, k) => k).sort((a, b) => idx[a] - idx[b]);
  const indices = Int32Array.from(order.map((k) => idx[k]));
  const values = Float32Array.from(order.map((k) => val[k]));
  let norm = 0;
  for (const v of values) norm += v * v;
  if (norm > 0) {
    const s = 1 / Math.sqrt(norm);
    for (let k = 0; k < values.length; k++) values[k] *= s;
  }
  return { indices, values, knownWordMass: total > 0 ? known / total : 0, words };
}
