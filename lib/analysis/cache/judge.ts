// Was a cached answer right? For each hit we have two logged responses: the one the cache would have
// served (from the entry's call) and the one the model actually gave this call. Labels and JSON must
// match exactly (after normalising); free text must mean the same, measured by TF-IDF cosine of the two
// responses against `freeTextAgreement` (checked on bitext_support, see docs/analysis-cache.md).
import { fitTfidfEmbedder } from "../embeddings/tfidf";
import { sparseDot, type SparseVector } from "../embeddings/types";
import { normaliseForMatch } from "./compared";

export type JudgeOptions = {
  /** Free-text responses agree when their cosine is at least this. Default DEFAULT_FREE_TEXT_AGREEMENT. */
  freeTextAgreement?: number;
  /** Responses with at most this many words are labels: only an exact (normalised) match agrees. Default 8. */
  labelMaxWords?: number;
};

type Kind = "json" | "label" | "free";

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const o = value as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(typeof value === "string" ? normaliseForMatch(value) : value);
}

/** Canonical form of a JSON object/array response (code fences allowed), or null if it is not JSON. */
export function parseJsonResponse(text: string): string | null {
  const t = text
    .trim()
    .replace(/^```(?:json)?\s*/i, "")
    .replace(/\s*```$/, "");
  if (!(t.startsWith("{") || t.startsWith("["))) return null;
  try {
    return canonicalJson(JSON.parse(t));
  } catch {
    return null;
  }
}

export type ResponseJudge = {
  /**
   * Response `a` served in place of response `b`: "same" (equal after normalising, or equal JSON),
   * "different" (labels or JSON that differ), or the cosine of two free-text responses.
   */
  compare(a: number, b: number): "same" | "different" | number;
  /** compare() against the free-text agreement threshold. */
  agree(a: number, b: number, freeTextAgreement?: number): boolean;
  kindCounts: Record<Kind, number>;
};

/** Default agreement for free text: the 5th percentile of response cosine between identical bitext requests. */
export const DEFAULT_FREE_TEXT_AGREEMENT = 0.35;

/** A judge over `responses` (indexed like the calls). Results are memoised per pair of distinct responses. */
export function createResponseJudge(responses: readonly string[], opts: JudgeOptions = {}): ResponseJudge {
  const defaultAgreement = opts.freeTextAgreement ?? DEFAULT_FREE_TEXT_AGREEMENT;
  const labelMaxWords = opts.labelMaxWords ?? 8;
  const idOf = new Map<string, number>();
  const kinds: Kind[] = [];
  const raw: string[] = [];
  const responseId = responses.map((text) => {
    const json = parseJsonResponse(text);
    const key = json !== null ? `j:${json}` : `t:${normaliseForMatch(text)}`;
    let id = idOf.get(key);
    if (id === undefined) {
      id = kinds.length;
      idOf.set(key, id);
      raw.push(text);
      kinds.push(json !== null ? "json" : text.trim().split(/\s+/).filter(Boolean).length <= labelMaxWords ? "label" : "free");
    }
    return id;
  });
  const distinct = kinds.length;
  const freeIds = kinds.map((k, id) => (k === "free" ? id : -1)).filter((id) => id >= 0);
  let vectors: Map<number, SparseVector> | null = null;
  const vectorOf = (id: number): SparseVector => {
    if (!vectors) {
      // Fitted once on the distinct free-text responses, so the judgement does not depend on call order.
      const embedder = fitTfidfEmbedder(freeIds.map((i) => raw[i]));
      const vs = embedder.embedSparse(freeIds.map((i) => raw[i]));
      vectors = new Map(freeIds.map((i, k) => [i, vs[k]]));
    }
    return vectors.get(id)!;
  };
  const memo = new Map<number, number>();
  const kindCounts: Record<Kind, number> = { json: 0, label: 0, free: 0 };
  for (const id of responseId) kindCounts[kinds[id]]++;
  const compare = (a: number, b: number): "same" | "different" | number => {
    const x = responseId[a];
    const y = responseId[b];
    if (x === y) return "same";
    if (kinds[x] !== "free" || kinds[y] !== "free") return "different";
    const key = x < y ? x * distinct + y : y * distinct + x;
    let v = memo.get(key);
    if (v === undefined) {
      v = sparseDot(vectorOf(x), vectorOf(y));
      memo.set(key, v);
    }
    return v;
  };
  return {
    kindCounts,
    compare,
    agree(a: number, b: number, freeTextAgreement = defaultAgreement): boolean {
      const c = compare(a, b);
      return c === "same" || (typeof c === "number" && c >= freeTextAgreement - 1e-9);
    },
  };
}
