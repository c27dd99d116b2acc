// Static prompts (system prompt / instructions) are the large part repeated on every call of a feature.
// They are stored once per project in PromptBlob (keyed by sha256) and the stored request keeps a
// placeholder string in their place; lib/ingest/stored.ts puts the text back.
import { createHash } from "node:crypto";
import type { ApiKind } from "./api-kind";

/** Prompts shorter than this stay inline: a blob row would cost more than it saves. */
export const MIN_STATIC_PROMPT_CHARS = 64;

const PLACEHOLDER_PREFIX = "\u27EAspendlens:prompt:";
const PLACEHOLDER_SUFFIX = "\u27EB";

export function promptPlaceholder(hash: string): string {
  return `${PLACEHOLDER_PREFIX}${hash}${PLACEHOLDER_SUFFIX}`;
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

// The same few static prompts arrive on every call: remember their hashes (bounded).
const promptHashes = new Map<string, string>();
function promptHash(text: string): string {
  if (text.length > 20_000) return sha256Hex(text); // keep the cache small
  let hash = promptHashes.get(text);
  if (hash === undefined) {
    hash = sha256Hex(text);
    if (promptHashes.size >= 2_000) promptHashes.clear();
    promptHashes.set(text, hash);
  }
  return hash;
}

type Json = Record<string, unknown>;
type PathStep = string | number;

function obj(v: unknown): Json | null {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : null;
}

/** Path to the longest `text` string among content parts (Anthropic system blocks, Gemini parts...). */
function longestTextPart(parts: unknown, base: PathStep[]): PathStep[] | null {
  if (!Array.isArray(parts)) return null;
  let best: PathStep[] | null = null;
  let bestLen = -1;
  parts.forEach((p, i) => {
    const part = obj(p);
    if (part && typeof part.text === "string" && part.text.length > bestLen) {
      best = [...base, i, "text"];
      bestLen = part.text.length;
    }
  });
  return best;
}

function contentSlot(content: unknown, base: PathStep[]): PathStep[] | null {
  if (typeof content === "string") return base;
  return longestTextPart(content, base);
}

/** Where the static prompt of a request lives, per API; null when it has none. */
function staticPromptPath(kind: ApiKind, request: Json): PathStep[] | null {
  switch (kind) {
    case "openai.chat": {
      const messages = Array.isArray(request.messages) ? request.messages : [];
      const i = messages.findIndex((m) => {
        const r = obj(m)?.role;
        return r === "system" || r === "developer";
      });
      return i < 0 ? null : contentSlot(obj(messages[i])!.content, ["messages", i, "content"]);
    }
    case "openai.responses": {
      if (typeof request.instructions === "string") return ["instructions"];
      const input = Array.isArray(request.input) ? request.input : [];
      const i = input.findIndex((m) => {
        const r = obj(m)?.role;
        return r === "system" || r === "developer";
      });
      return i < 0 ? null : contentSlot(obj(input[i])!.content, ["input", i, "content"]);
    }
    case "anthropic.messages":
      return contentSlot(request.system, ["system"]);
    case "google.generateContent": {
      const key = request.systemInstruction !== undefined ? "systemInstruction" : "system_instruction";
      const si = obj(request[key]);
      return si ? longestTextPart(si.parts, [key, "parts"]) : null;
    }
    case "bedrock.converse":
      return longestTextPart(request.system, ["system"]);
    default:
      return null;
  }
}

function getAt(root: unknown, path: PathStep[]): unknown {
  let cur: unknown = root;
  for (const step of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string | number, unknown>)[step];
  }
  return cur;
}

/** Copy of root with the value at path replaced; only the containers on the path are copied. */
function setAt(root: unknown, path: PathStep[], value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  const copy: Record<string | number, unknown> = Array.isArray(root) ? [...root] as unknown as Record<number, unknown> : { ...(root as Json) };
  copy[head] = setAt((root as Record<string | number, unknown>)[head], rest, value);
  return copy;
}

export type ExtractedPrompt = { request: Json; text: string; hash: string };

/** Take the static prompt out of a request (placeholder left in its place), or null when there is none. */
export function extractStaticPrompt(kind: ApiKind, request: Json): ExtractedPrompt | null {
  const path = staticPromptPath(kind, request);
  if (!path) return null;
  const text = getAt(request, path);
  if (typeof text !== "string" || text.length < MIN_STATIC_PROMPT_CHARS) return null;
  const hash = promptHash(text);
  return { request: setAt(request, path, promptPlaceholder(hash)) as Json, text, hash };
}

/** Put a static prompt back where its placeholder is (anywhere in the body). */
export function restoreStaticPrompt<T>(value: T, hash: string, text: string): T {
  const placeholder = promptPlaceholder(hash);
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return v === placeholder ? text : v;
    if (Array.isArray(v)) {
      let copy: unknown[] | null = null;
      v.forEach((x, i) => {
        const n = walk(x);
        if (n !== x) (copy ??= [...v])[i] = n;
      });
      return copy ?? v;
    }
    if (v && typeof v === "object") {
      let copy: Json | null = null;
      for (const [k, x] of Object.entries(v)) {
        const n = walk(x);
        if (n !== x) (copy ??= { ...(v as Json) })[k] = n;
      }
      return copy ?? v;
    }
    return v;
  };
  return walk(value) as T;
}
