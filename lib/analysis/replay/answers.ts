// What a call answered, whatever the provider (its text and any tool calls), and the canonical forms
// answers are compared in: "Cancel order.", "cancel_order" and `{"intent": "cancel-order"}` are the
// same label. Used by replay comparison, model-fit profiling and distillation (training labels).

export type ToolCall = { name: string; arguments: unknown };
export type CallOutput = { text: string; toolCalls: ToolCall[] };

function obj(v: unknown): Record<string, unknown> | null {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

function parseArgs(v: unknown): unknown {
  if (typeof v !== "string") return v ?? {};
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

/** Text and tool calls of a provider response (OpenAI chat / responses, Anthropic messages, Google). */
export function responseOutput(response: Record<string, unknown> | null | undefined): CallOutput {
  const out: CallOutput = { text: "", toolCalls: [] };
  if (!response) return out;
  const texts: string[] = [];
  // OpenAI chat completions
  if (Array.isArray(response.choices)) {
    const choice = obj(response.choices[0]);
    const message = obj(choice?.message);
    if (message) {
      if (typeof message.content === "string") texts.push(message.content);
      else if (Array.isArray(message.content)) for (const p of message.content) if (typeof obj(p)?.text === "string") texts.push(obj(p)!.text as string);
      for (const tc of Array.isArray(message.tool_calls) ? message.tool_calls : []) {
        const fn = obj(obj(tc)?.function);
        if (fn) out.toolCalls.push({ name: String(fn.name ?? ""), arguments: parseArgs(fn.arguments) });
      }
    } else if (typeof choice?.text === "string") texts.push(choice.text);
  }
  // OpenAI responses API
  if (Array.isArray(response.output)) {
    for (const item of response.output) {
      const it = obj(item);
      if (!it) continue;
      if (it.type === "function_call") out.toolCalls.push({ name: String(it.name ?? ""), arguments: parseArgs(it.arguments) });
      if (it.type === "message" && Array.isArray(it.content)) {
        for (const p of it.content) if (typeof obj(p)?.text === "string") texts.push(obj(p)!.text as string);
      }
    }
    if (texts.length === 0 && typeof response.output_text === "string") texts.push(response.output_text);
  }
  // Anthropic messages
  if (response.type === "message" && Array.isArray(response.content)) {
    for (const block of response.content) {
      const b = obj(block);
      if (b?.type === "text" && typeof b.text === "string") texts.push(b.text);
      if (b?.type === "tool_use") out.toolCalls.push({ name: String(b.name ?? ""), arguments: b.input ?? {} });
    }
  }
  // Google generateContent
  if (Array.isArray(response.candidates)) {
    const parts = obj(obj(response.candidates[0])?.content)?.parts;
    for (const p of Array.isArray(parts) ? parts : []) {
      const part = obj(p);
      if (typeof part?.text === "string") texts.push(part.text);
      const fc = obj(part?.functionCall);
      if (fc) out.toolCalls.push({ name: String(fc.name ?? ""), arguments: fc.args ?? {} });
    }
  }
  out.text = texts.join("");
  return out;
}

/** A logged call's output: the stored outputText when present (it survives response truncation), plus tool calls. */
export function callOutput(call: { outputText: string | null; response: Record<string, unknown> | null }): CallOutput {
  const fromResponse = responseOutput(call.response);
  return { text: call.outputText ?? fromResponse.text, toolCalls: fromResponse.toolCalls };
}

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

/** The answer as a label: its normalised text, a forced tool's single argument, or the names of the tools called. */
export function answerLabel(out: CallOutput): string {
  if (out.toolCalls.length === 0) return normaliseLabel(out.text);
  const args = out.toolCalls.length === 1 ? out.toolCalls[0].arguments : null;
  if (args && typeof args === "object" && !Array.isArray(args) && Object.keys(args).length === 1) return normaliseLabel(JSON.stringify(args));
  return `tool:${out.toolCalls.map((t) => t.name).join(",")}`;
}
