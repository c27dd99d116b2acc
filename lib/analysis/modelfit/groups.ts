// Calls grouped the way a team would switch models: one feature, one static prompt, one model.
import { createHash } from "node:crypto";
import { systemText } from "../messages";
import type { AnalysisCall } from "../types";

export type CallGroup = {
  /** Stable key "<feature>|<promptHash>|<model>" (empty parts when absent). */
  key: string;
  feature: string | null;
  /** sha256 prefix of the system/developer text, or null when the calls have none. */
  promptHash: string | null;
  model: string | null;
  /** Most common provider and endpoint of the group (a group normally has one). */
  provider: string;
  endpoint: string;
  calls: AnalysisCall[];
};

export function staticPromptHash(call: Pick<AnalysisCall, "request">): string | null {
  const text = systemText(call);
  return text ? createHash("sha256").update(text).digest("hex").slice(0, 16) : null;
}

function mostCommon(values: string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0] ?? "";
}

/** Successful calls grouped by feature / static prompt / model, largest spend first. Failed calls are left out. */
export function groupCalls(calls: AnalysisCall[]): CallGroup[] {
  const groups = new Map<string, CallGroup>();
  for (const call of calls) {
    if (call.status >= 400) continue;
    const promptHash = staticPromptHash(call);
    const key = `${call.feature ?? ""}|${promptHash ?? ""}|${call.model ?? ""}`;
    let g = groups.get(key);
    if (!g) {
      g = { key, feature: call.feature, promptHash, model: call.model, provider: "", endpoint: "", calls: [] };
      groups.set(key, g);
    }
    g.calls.push(call);
  }
  const out = [...groups.values()];
  for (const g of out) {
    g.provider = mostCommon(g.calls.map((c) => c.provider));
    g.endpoint = mostCommon(g.calls.map((c) => c.endpoint));
    g.calls.sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime() || (a.id < b.id ? -1 : 1));
  }
  const spend = (g: CallGroup) => g.calls.reduce((s, c) => s + (c.costUsd ?? 0), 0);
  return out.sort((a, b) => spend(b) - spend(a) || b.calls.length - a.calls.length || (a.key < b.key ? -1 : 1));
}
