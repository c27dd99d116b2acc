// Answers compared as labels: "Cancel order.", "cancel_order" and `{"intent": "cancel-order"}` are the
// same answer. Used by the model-fit comparison (label match) and by distillation (training labels).

const PREFIX_RE = /^(?:the\s+)?(?:final\s+)?(?:answer|label|intent|category|class|classification|sentiment|topic|result|output)\s*(?:is)?\s*[:=-]?\s+/i;

/** A canonical form of a short answer: lowercase, separators unified, wrapping punctuation and "Label:" prefixes removed. */
export function normaliseLabel(text: string): string {
  let t = text.trim();
  const json = parseJsonOutput(t);
  if (json && typeof json === "object" && !Array.isArray(json)) {
    const values = Object.values(json as Record<string, unknown>);
    if (values.length === 1 && (typeof values[0] === "string" || typeof values[0] === "number" || typeof values[0] === "boolean")) t = String(values[0]);
  } else if (typeof json === "string") t = json;
  t = t.replace(/^```\w*\s*|\s*```$/g, "");
  for (let i = 0; i < 2; i++) t = t.replace(PREFIX_RE, "");
  t = t
    .toLowerCase()
    .replace(/^[\s"'`*([{<]+|[\s"'`*)\]}>.,;:!?]+$/g, "")
    .replace(/[\s_\-/]+/g, "_");
  return t;
}

/** JSON in an output (bare, or in a ```json fence), or undefined when it is not JSON. */
export function parseJsonOutput(text: string): unknown {
  const t = text.trim();
  const fenced = /^```(?:json)?\s*([\s\S]*?)\s*```$/i.exec(t);
  const body = fenced ? fenced[1] : t;
  if (!/^[[{"]/.test(body)) return undefined;
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/** Number of words (whitespace-separated runs) in a text. */
export function wordCount(text: string): number {
  const m = text.trim().match(/\S+/g);
  return m ? m.length : 0;
}
