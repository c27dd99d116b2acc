// Provider request bodies reduced to plain messages, so analyses read any provider the same way.
import type { AnalysisCall, PlainMessage } from "./types";

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => {
        if (typeof part === "string") return part;
        if (part && typeof part === "object") {
          const p = part as Record<string, unknown>;
          if (typeof p.text === "string") return p.text; // openai text / input_text / anthropic text
          if (p.type === "tool_result") return textOf(p.content);
        }
        return "";
      })
      .filter(Boolean)
      .join("\n");
  }
  return "";
}

const ROLES = new Set(["system", "developer", "user", "assistant", "tool"]);

function role(r: unknown): PlainMessage["role"] {
  return typeof r === "string" && ROLES.has(r) ? (r as PlainMessage["role"]) : "user";
}

/** Messages of a chat-like request: OpenAI chat/responses, Anthropic messages, Google contents. */
export function requestMessages(request: Record<string, unknown>): PlainMessage[] {
  const out: PlainMessage[] = [];
  // Anthropic top-level system; OpenAI responses `instructions`; Google systemInstruction.
  if (request.system !== undefined) out.push({ role: "system", text: textOf(request.system) });
  if (typeof request.instructions === "string") out.push({ role: "system", text: request.instructions });
  const sys = request.systemInstruction as { parts?: Array<{ text?: string }> } | undefined;
  if (sys?.parts) out.push({ role: "system", text: sys.parts.map((p) => p.text ?? "").join("\n") });

  if (Array.isArray(request.messages)) {
    for (const m of request.messages as Array<Record<string, unknown>>) out.push({ role: role(m.role), text: textOf(m.content) });
  }
  if (typeof request.input === "string") out.push({ role: "user", text: request.input });
  else if (Array.isArray(request.input)) {
    for (const m of request.input as Array<Record<string, unknown>>) {
      if (m && typeof m === "object" && ("role" in m || "content" in m)) out.push({ role: role(m.role), text: textOf(m.content) });
    }
  }
  if (typeof request.prompt === "string") out.push({ role: "user", text: request.prompt });
  if (Array.isArray(request.contents)) {
    for (const c of request.contents as Array<{ role?: string; parts?: Array<{ text?: string }> }>) {
      out.push({ role: c.role === "model" ? "assistant" : "user", text: (c.parts ?? []).map((p) => p.text ?? "").join("\n") });
    }
  }
  return out;
}

/** The system/developer text of a call (the static prompt candidates), joined. */
export function systemText(call: Pick<AnalysisCall, "request">): string {
  return requestMessages(call.request)
    .filter((m) => m.role === "system" || m.role === "developer")
    .map((m) => m.text)
    .join("\n\n");
}

/** The last user message's text (what usually varies between calls). */
export function lastUserText(call: Pick<AnalysisCall, "request">): string {
  const msgs = requestMessages(call.request);
  for (let i = msgs.length - 1; i >= 0; i--) if (msgs[i].role === "user") return msgs[i].text;
  return "";
}
