// Where the static text of a group sits in its requests: how many static tokens lead the request (what a
// provider can cache today) and why the rest does not (variable text first, tools that change, history
// or the user's input in between). Providers cache tools -> system -> messages, in that order.
import { countTokens } from "../../tokens/count";
import type { StaticPromptGroup } from "../bloat/static-prompt";
import { requestMessages } from "../messages";
import type { AnalysisCall } from "../types";

export type StaticLayout = {
  model: string;
  /** Tokens of every static segment (exact for OpenAI models). */
  staticTokens: number;
  segmentTokens: number[];
  exact: boolean;
  /** Static tokens at the very start of the request, before any variable text. */
  prefixTokens: number;
  /** True when (nearly) all static text is already at the front. */
  isPrefix: boolean;
  reasons: string[];
};

function toolsKey(call: AnalysisCall): string {
  return JSON.stringify(call.request.tools ?? null);
}

export function staticLayout(group: StaticPromptGroup, model: string, tokenCounter: (text: string, model: string) => { tokens: number; exact: boolean } = countTokens): StaticLayout {
  const counts = group.segments.map((s) => tokenCounter(s.text, model));
  const segmentTokens = counts.map((c) => c.tokens);
  const staticTokens = segmentTokens.reduce((a, b) => a + b, 0);
  const reasons: string[] = [];
  const tools = new Set(group.calls.map(toolsKey));
  let prefixTokens = 0;
  if (tools.size > 1) {
    reasons.push(`tool definitions differ between calls (${tools.size} variants) and come before the system prompt, so no prefix is shared`);
  } else {
    const first = requestMessages(group.calls[0].request);
    walk: for (let i = 0; i < first.length; i++) {
      const segs = group.segments.map((s, k) => ({ s, k })).filter(({ s }) => s.messageIndex === i);
      const whole = segs.find(({ s }) => s.part === "whole");
      const prefix = segs.find(({ s }) => s.part === "prefix");
      if (whole) {
        prefixTokens += segmentTokens[whole.k];
        continue;
      }
      if (prefix) prefixTokens += segmentTokens[prefix.k];
      const suffix = segs.find(({ s }) => s.part === "suffix");
      if (!prefix && suffix) reasons.push(`message ${i} (${first[i].role}) starts with variable text before its fixed part`);
      else if (!prefix && !suffix && group.segments.some((s) => s.messageIndex > i)) reasons.push(`message ${i} (${first[i].role}) varies and comes before fixed text`);
      else if (prefix && group.segments.some((s) => s.messageIndex > i || (s.messageIndex === i && s.part === "suffix")))
        reasons.push(`fixed text after the variable part of message ${i} (${first[i].role})`);
      break walk;
    }
  }
  const isPrefix = staticTokens === 0 ? false : prefixTokens >= 0.95 * staticTokens;
  return { model, staticTokens, segmentTokens, exact: counts.every((c) => c.exact), prefixTokens, isPrefix, reasons: isPrefix ? [] : reasons };
}
