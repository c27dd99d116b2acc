// The "format" of an output, as a short key: two outputs with the same key are the same kind of answer.
// Used to group a prompt's examples (one per format is enough) and to see which formats the logged
// outputs actually use.

function stripFence(text: string): string {
  const m = /^```[a-zA-Z]*\s*\n([\s\S]*?)\n?```\s*$/.exec(text.trim());
  return m ? m[1] : text;
}

/** Parses JSON (also inside a ``` fence); undefined when it is not JSON. */
export function parseJsonOutput(text: string): unknown {
  const t = stripFence(text).trim();
  if (!(t.startsWith("{") || t.startsWith("["))) return undefined;
  try {
    return JSON.parse(t);
  } catch {
    return undefined;
  }
}

/**
 * json:<sorted top-level keys> | json:array | xml | table | list | marker:<WORD> | label | prose | empty.
 * A "label" is a short answer (at most 4 words, no sentence punctuation) like `card_arrival`.
 */
export function outputShape(text: string | null | undefined): string {
  const t = (text ?? "").trim();
  if (!t) return "empty";
  const json = parseJsonOutput(t);
  if (json !== undefined) {
    if (Array.isArray(json)) return "json:array";
    if (json && typeof json === "object") return `json:${Object.keys(json as object).sort().join(",")}`;
  }
  if (/^<([A-Za-z][\w-]*)[^>]*>[\s\S]*<\/\1>$/.test(t)) return "xml";
  const lines = t.split("\n");
  if (lines.some((l) => /^\s*\|.*\|\s*$/.test(l)) && lines.some((l) => /^\s*\|?\s*:?-{3,}/.test(l))) return "table";
  const marker = /^([A-Z][A-Z_]{2,})\s*:/.exec(t);
  if (marker) return `marker:${marker[1]}`;
  if (lines.filter((l) => /^\s*(?:[-*•]|\d{1,2}[.)])\s+\S/.test(l)).length >= 2) return "list";
  const words = t.split(/\s+/);
  if (words.length <= 4 && t.length <= 60 && !/[.!?,;]\s/.test(t) && !/[.!?]$/.test(t)) return "label";
  return "prose";
}
