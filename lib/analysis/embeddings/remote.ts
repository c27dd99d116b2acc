// Embeddings from any OpenAI-compatible endpoint (OpenAI, Azure, Ollama, vLLM, TEI all speak it) through
// the official `openai` client: batched by count and size, retried by the client (exponential backoff,
// honouring Retry-After), held under a requests/tokens-per-window budget, and priced with the price table.
import OpenAI from "openai";
import { priceCall } from "../../pricing/cost";
import { normaliseDense, type Embedder } from "./types";

export const DEFAULT_EMBEDDING_MODEL = "text-embedding-3-small";

export type OpenAIEmbedderOptions = {
  baseURL: string;
  apiKey?: string;
  model?: string;
  /** Output size for models that can shorten their vectors (text-embedding-3-*). */
  dimensions?: number;
  /** Texts per request. Default 128. */
  batchSize?: number;
  /** Estimated tokens per request (chars / 4). Default 100,000 (OpenAI allows 300k). */
  maxBatchTokens?: number;
  /** Longer texts are cut to this many characters (~8k tokens, the usual model limit). Default 24,000. */
  maxInputChars?: number;
  /** Client retries on 408/409/429/5xx and connection errors. Default 4. */
  maxRetries?: number;
  timeoutMs?: number;
  /** Budget per window: requests and estimated tokens. Default 3,000 requests and 1,000,000 tokens per minute. */
  rateLimit?: { requests?: number; tokens?: number; windowMs?: number };
  /** Price per million input tokens when the price table does not know the model (e.g. a local Ollama model: 0). */
  usdPerMillionTokens?: number;
};

const estimateTokens = (text: string) => Math.ceil(text.length / 4);

/** Requests and tokens spent in a sliding window; `reserve` waits until a request fits. */
class WindowBudget {
  private readonly spent: Array<{ at: number; tokens: number }> = [];
  constructor(
    private readonly requests: number,
    private readonly tokens: number,
    private readonly windowMs: number,
  ) {}

  async reserve(tokens: number): Promise<void> {
    for (;;) {
      const now = Date.now();
      while (this.spent.length && now - this.spent[0].at >= this.windowMs) this.spent.shift();
      const used = this.spent.reduce((s, x) => s + x.tokens, 0);
      // A single request larger than the token budget still goes through once the window is empty.
      if (this.spent.length < this.requests && (used + tokens <= this.tokens || this.spent.length === 0)) {
        this.spent.push({ at: now, tokens });
        return;
      }
      const wait = this.windowMs - (now - this.spent[0].at) + 1;
      await new Promise((r) => setTimeout(r, Math.max(1, wait)));
    }
  }
}

export function createOpenAIEmbedder(opts: OpenAIEmbedderOptions): Embedder & { requests(): number; tokens(): number } {
  if (!opts.baseURL) throw new Error("baseURL is required (EMBEDDINGS_BASE_URL)");
  const model = opts.model ?? DEFAULT_EMBEDDING_MODEL;
  const batchSize = opts.batchSize ?? 128;
  const maxBatchTokens = opts.maxBatchTokens ?? 100_000;
  const maxInputChars = opts.maxInputChars ?? 24_000;
  if (!(batchSize >= 1)) throw new Error(`batchSize must be >= 1, got ${batchSize}`);
  const client = new OpenAI({ baseURL: opts.baseURL, apiKey: opts.apiKey || "none", maxRetries: opts.maxRetries ?? 4, timeout: opts.timeoutMs ?? 60_000 });
  const budget = new WindowBudget(opts.rateLimit?.requests ?? 3_000, opts.rateLimit?.tokens ?? 1_000_000, opts.rateLimit?.windowMs ?? 60_000);
  const usdPerToken = (() => {
    const priced = priceCall({ inputTokens: 1_000_000, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 }, { model });
    return (priced?.costUsd ?? opts.usdPerMillionTokens ?? 0) / 1_000_000;
  })();
  let dims = opts.dimensions ?? 0;
  let spentUsd = 0;
  let requestCount = 0;
  let tokenCount = 0;

  const embedBatch = async (texts: string[]): Promise<Float32Array[]> => {
    const estimate = texts.reduce((s, t) => s + estimateTokens(t), 0);
    await budget.reserve(estimate);
    const res = await client.embeddings.create({
      model,
      // Endpoints reject empty strings; a space embeds as "nothing".
      input: texts.map((t) => (t.length > maxInputChars ? t.slice(0, maxInputChars) : t) || " "),
      // Floats, not the SDK's default base64: not every compatible server implements base64.
      encoding_format: "float",
      ...(opts.dimensions ? { dimensions: opts.dimensions } : {}),
    });
    requestCount++;
    const tokens = res.usage?.prompt_tokens ?? estimate;
    tokenCount += tokens;
    spentUsd += tokens * usdPerToken;
    if (!Array.isArray(res.data) || res.data.length !== texts.length) throw new Error(`embeddings endpoint returned ${res.data?.length ?? 0} vectors for ${texts.length} inputs`);
    const out = new Array<Float32Array>(texts.length);
    for (const d of res.data) {
      const v = normaliseDense(Float32Array.from(d.embedding as number[]));
      if (!dims) dims = v.length;
      if (v.length !== dims) throw new Error(`embeddings endpoint returned ${v.length} dimensions, expected ${dims}`);
      out[d.index] = v;
    }
    return out;
  };

  return {
    get id() {
      return `remote:${model}${opts.dimensions ? `@${opts.dimensions}` : ""}`;
    },
    get dims() {
      return dims;
    },
    async embed(texts: string[]): Promise<Float32Array[]> {
      const out: Float32Array[] = [];
      let batch: string[] = [];
      let batchTokens = 0;
      for (const t of texts) {
        const tk = estimateTokens(t);
        if (batch.length && (batch.length >= batchSize || batchTokens + tk > maxBatchTokens)) {
          out.push(...(await embedBatch(batch)));
          batch = [];
          batchTokens = 0;
        }
        batch.push(t);
        batchTokens += tk;
      }
      if (batch.length) out.push(...(await embedBatch(batch)));
      return out;
    },
    costUsd: () => spentUsd,
    requests: () => requestCount,
    tokens: () => tokenCount,
  };
}

/** The remote embedder configured by EMBEDDINGS_BASE_URL / EMBEDDINGS_API_KEY / EMBEDDINGS_MODEL, or null. */
export function embedderFromEnv(env: Record<string, string | undefined> = process.env): ReturnType<typeof createOpenAIEmbedder> | null {
  const baseURL = env.EMBEDDINGS_BASE_URL?.trim();
  if (!baseURL) return null;
  const dimensions = env.EMBEDDINGS_DIMENSIONS ? Number(env.EMBEDDINGS_DIMENSIONS) : undefined;
  if (dimensions !== undefined && !(Number.isInteger(dimensions) && dimensions > 0)) throw new Error(`EMBEDDINGS_DIMENSIONS must be a positive integer, got ${env.EMBEDDINGS_DIMENSIONS}`);
  return createOpenAIEmbedder({ baseURL, apiKey: env.EMBEDDINGS_API_KEY, model: env.EMBEDDINGS_MODEL?.trim() || DEFAULT_EMBEDDING_MODEL, dimensions });
}
