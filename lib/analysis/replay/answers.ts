// What a logged call answered, whatever the provider: its text and any tool calls. The analyses
// compare these between the logged (production) answer and a replay.

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
