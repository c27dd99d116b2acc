// Token counts for calls whose response carries no usage (streams cut short, errors, imports).
// OpenAI models: exact, with the model's own BPE encoding (gpt-tokenizer: o200k_base for gpt-4o / 4.1 / 4.5 /
// 5 / o-series / gpt-oss, cl100k_base for gpt-4 / 3.5 / text-embedding-3 / ada-002).
// Other providers' tokenizers are not public or not shipped: their counts are estimates (exact: false),
// the o200k_base count times a per-family factor (ESTIMATE_FACTORS, docs/pricing.md).
// Encodings are loaded on first use (they are ~1-2.5 MB of ranks each), so importing this module is cheap.
import { createRequire } from "node:module";
import { azureDeployments } from "../pricing/match";

export type TokenCount = { tokens: number; exact: boolean };
export type OpenAIEncoding = "o200k_base" | "cl100k_base";

type Encoder = { countTokens(text: string, options?: { disallowedSpecial?: Set<string> }): number };
type ChatTokenCounter = (
  request: { messages: Array<{ role?: string; name?: string; content: string; function_call?: { name?: string; arguments?: string } }>; functions?: unknown[] },
  countString: (text: string) => number,
) => number;

const requireCjs = createRequire(import.meta.url);
const encoders = new Map<OpenAIEncoding, Encoder>();
let chatCounter: ChatTokenCounter | null = null;

function encoder(name: OpenAIEncoding): Encoder {
  let enc = encoders.get(name);
  if (!enc) {
    const mod = requireCjs(`gpt-tokenizer/cjs/encoding/${name}`) as Encoder & { default?: Encoder };
    enc = mod.default ?? mod;
    encoders.set(name, enc);
  }
  return enc;
}

function chatTokenCounter(): ChatTokenCounter {
  if (!chatCounter) chatCounter = (requireCjs("gpt-tokenizer/cjs/functionCalling") as { computeChatCompletionTokenCount: ChatTokenCounter }).computeChatCompletionTokenCount;
  return chatCounter;
}

// User text is counted as text: "<|endoftext|>" typed by a user is ordinary characters to the API.
const AS_TEXT = { disallowedSpecial: new Set<string>() };

/** Multipliers applied to the o200k_base count to estimate other tokenizers (rough, English-centric). */
export const ESTIMATE_FACTORS: Record<string, number> = {
  anthropic: 1.2,
  google: 1.05,
  mistral: 1.1,
  meta: 1.0,
  cohere: 1.1,
  deepseek: 1.1,
  other: 1.1,
};

/** The model name without route prefixes, Azure deployment aliases or fine-tune wrapping. */
function baseModelName(model: string): string {
  let m = model.trim();
  const deployment = azureDeployments()[m];
  if (deployment) m = deployment;
  m = m.toLowerCase();
  for (;;) {
    const slash = m.indexOf("/");
    if (slash < 0) break;
    m = m.slice(slash + 1);
  }
  if (m.startsWith("ft:")) m = m.slice(3).split(":")[0];
  return m;
}

/** The exact OpenAI encoding for a model name, or null when the model is not an OpenAI one. */
export function openAIEncodingFor(model: string): OpenAIEncoding | null {
  const m = baseModelName(model);
  if (/^(gpt-4o|chatgpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|gpt-oss|gpt-realtime|gpt-audio|codex-mini|computer-use-preview|o[134](-|$))/.test(m)) return "o200k_base";
  if (/^(gpt-4|gpt-35|gpt-3\.5|text-embedding-3|text-embedding-ada-002)/.test(m)) return "cl100k_base";
  return null;
}

/** The estimate family of a non-OpenAI model (key of ESTIMATE_FACTORS). */
export function estimateFamily(model: string): string {
  const m = baseModelName(model);
  if (m.includes("claude")) return "anthropic";
  if (m.includes("gemini") || m.includes("gemma") || m.startsWith("text-embedding-00") || m.includes("palm")) return "google";
  if (/mistral|mixtral|magistral|ministral|codestral|pixtral|devstral/.test(m)) return "mistral";
  if (m.includes("llama")) return "meta";
  if (m.includes("command") || m.includes("cohere") || m.startsWith("embed-")) return "cohere";
  if (m.includes("deepseek")) return "deepseek";
  return "other";
}

/** Tokens in a piece of text for a model: exact for OpenAI encodings, an estimate otherwise. */
export function countTokens(text: string, model: string): TokenCount {
  if (typeof text !== "string") throw new TypeError(`text must be a string, got ${text === null ? "null" : typeof text}`);
  if (text.length === 0) return { tokens: 0, exact: true };
  const enc = openAIEncodingFor(model ?? "");
  if (enc) return { tokens: encoder(enc).countTokens(text, AS_TEXT), exact: true };
  const base = encoder("o200k_base").countTokens(text, AS_TEXT);
  return { tokens: Math.ceil(base * ESTIMATE_FACTORS[estimateFamily(model ?? "")]), exact: false };
}

export type ChatContentPart = { type?: string; text?: string; [k: string]: unknown };
export type ChatMessageInput = {
  role: string;
  content?: string | ChatContentPart[] | null;
  name?: string;
  tool_calls?: Array<{ function?: { name?: string; arguments?: string } }>;
  function_call?: { name?: string; arguments?: string };
};
export type ChatToolInput = { type?: string; function?: { name: string; description?: string; parameters?: unknown } };

/** Tokens OpenAI bills for a low-detail image (and the floor for any image). */
const IMAGE_TOKENS_FLOOR = 85;

/**
 * Prompt tokens of a chat request, following OpenAI's documented format (3 tokens per message +
 * role/content/name, +1 per name, +3 to prime the reply — the same rule as gpt-tokenizer's chat counter).
 * exact is true only for an OpenAI model and plain-text messages: images, tool calls and tool
 * definitions are counted with published approximations and mark the count as an estimate.
 */
export function countChatTokens(messages: ChatMessageInput[], model: string, opts: { tools?: ChatToolInput[] } = {}): TokenCount {
  if (!Array.isArray(messages)) throw new TypeError("messages must be an array of chat messages");
  const enc = openAIEncodingFor(model ?? "");
  const counter = encoder(enc ?? "o200k_base");
  const countString = (s: string) => counter.countTokens(s, AS_TEXT);
  let exact = enc !== null;
  let extra = 0;
  const flat = messages.map((m, i) => {
    if (!m || typeof m !== "object" || typeof m.role !== "string") throw new TypeError(`messages[${i}].role must be a string`);
    let content = "";
    if (typeof m.content === "string") content = m.content;
    else if (Array.isArray(m.content)) {
      for (const part of m.content) {
        if (typeof part?.text === "string") content += part.text;
        else {
          exact = false;
          if (part?.type && /image/.test(part.type)) extra += IMAGE_TOKENS_FLOOR;
        }
      }
    }
    const out: { role?: string; name?: string; content: string; function_call?: { name?: string; arguments?: string } } = { role: m.role, content };
    if (m.name) out.name = m.name;
    if (m.function_call) {
      out.function_call = m.function_call;
      exact = false;
    }
    if (m.tool_calls?.length) {
      exact = false;
      for (const call of m.tool_calls) extra += countString(call.function?.name ?? "") + countString(call.function?.arguments ?? "") + 3;
    }
    if (m.role === "tool" || m.role === "function") exact = false;
    return out;
  });
  const functions = (opts.tools ?? []).filter((t) => t?.function?.name).map((t) => t.function!);
  if (functions.length) exact = false;
  const base = chatTokenCounter()({ messages: flat, functions: functions.length ? functions : undefined }, countString) + extra;
  if (enc) return { tokens: base, exact };
  return { tokens: Math.ceil(base * ESTIMATE_FACTORS[estimateFamily(model ?? "")]), exact: false };
}
