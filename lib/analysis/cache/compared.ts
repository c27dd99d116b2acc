// What the cache compares for each call: the part of the request that varies (template and shared
// system prompt stripped), and the scope that must match exactly for two calls to share an entry
// (feature, model, fixed system prompt, user-turn template).
import { createHash } from "node:crypto";
import { lastUserText, systemText } from "../messages";
import type { AnalysisCall } from "../types";
import { exclusionReason, type ExclusionOptions, type ExclusionReason } from "./exclusions";
import { extractTemplates, type Template, type TemplateOptions } from "./template";

export type ComparedCall = {
  call: AnalysisCall;
  /** feature + model: the unit of reporting. */
  groupKey: string;
  excluded: ExclusionReason | null;
  /** group + fixed system prompt + template: calls share cache entries only within a scope. */
  scopeKey: string;
  /** The varying text compared by meaning. */
  compared: string;
  /** `compared` normalised for exact matching (case, spacing, trailing punctuation). */
  normalised: string;
};

export type GroupTemplates = { feature: string | null; model: string | null; system: Template[]; user: Template[] };

export type Preparation = { calls: ComparedCall[]; groups: Map<string, GroupTemplates> };

export type PrepareOptions = ExclusionOptions & { template?: TemplateOptions };

export function groupKeyOf(feature: string | null, model: string | null): string {
  return JSON.stringify([feature, model]);
}

/** Case-, space- and trailing-punctuation-insensitive form used for exact duplicates. */
export function normaliseForMatch(text: string): string {
  return text
    .normalize("NFKC")
    .toLowerCase()
    .replace(/\s+/g, " ")
    .trim()
    .replace(/[\s.!?。！？]+$/u, "");
}

function shortHash(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}

/** Calls in replay order (time, then id) with exclusion, scope and compared text. Deterministic. */
export function prepareComparedCalls(calls: readonly AnalysisCall[], opts: PrepareOptions = {}): Preparation {
  const ordered = [...calls].sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const rows = ordered.map((call) => {
    const user = lastUserText(call);
    return { call, user, system: systemText(call), excluded: exclusionReason(call, user, opts), groupKey: groupKeyOf(call.feature, call.model) };
  });
  const byGroup = new Map<string, typeof rows>();
  for (const r of rows) {
    if (r.excluded) continue;
    const list = byGroup.get(r.groupKey) ?? [];
    list.push(r);
    byGroup.set(r.groupKey, list);
  }
  const groups = new Map<string, GroupTemplates>();
  const scoped = new Map<(typeof rows)[number], { scopeKey: string; compared: string }>();
  for (const [groupKey, list] of [...byGroup.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const system = extractTemplates(list.map((r) => r.system).filter(Boolean), opts.template);
    const user = extractTemplates(list.map((r) => r.user), opts.template);
    groups.set(groupKey, { feature: list[0].call.feature, model: list[0].call.model, system: system.templates, user: user.templates });
    for (const r of list) {
      const sys = r.system ? system.split(r.system) : { templateId: null, varying: "" };
      // A system prompt outside any template is fixed context: it scopes the cache instead of being compared.
      const sysScope = sys.templateId ? `t:${sys.templateId}` : r.system ? `h:${shortHash(r.system)}` : "-";
      const sysVarying = sys.templateId ? sys.varying : "";
      const u = user.split(r.user);
      const compared = [sysVarying, u.varying].filter((t) => t !== "").join("\n\n");
      scoped.set(r, { scopeKey: `${groupKey}|${sysScope}|${u.templateId ?? "-"}`, compared });
    }
  }
  return {
    groups,
    calls: rows.map((r) => {
      const s = scoped.get(r);
      const compared = s?.compared ?? r.user;
      return { call: r.call, groupKey: r.groupKey, excluded: r.excluded, scopeKey: s?.scopeKey ?? "", compared, normalised: normaliseForMatch(compared) };
    }),
  };
}
