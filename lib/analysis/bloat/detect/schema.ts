// JSON schemas sent twice: once as response_format / tool parameters (which the provider enforces) and
// again in the prompt as a JSON block or a prose list of the same fields. The prompt copy goes (a prose
// field list only when the schema carries the same descriptions).
import type { AnalysisCall } from "../../types";
import type { DetectContext, DraftFinding } from "./context";
import { isClaimed, spanOf } from "./context";

type Schema = { keys: string[]; described: string[] };

function walk(schema: unknown, keys: Set<string>, described: Set<string>, depth = 0): void {
  if (!schema || typeof schema !== "object" || depth > 8) return;
  const s = schema as Record<string, unknown>;
  const props = s.properties as Record<string, unknown> | undefined;
  if (props && typeof props === "object") {
    for (const [k, v] of Object.entries(props)) {
      keys.add(k);
      if (v && typeof v === "object" && typeof (v as Record<string, unknown>).description === "string") described.add(k);
      walk(v, keys, described, depth + 1);
    }
  }
  if (s.items) walk(s.items, keys, described, depth + 1);
  for (const k of ["anyOf", "oneOf", "allOf"]) if (Array.isArray(s[k])) for (const x of s[k] as unknown[]) walk(x, keys, described, depth + 1);
  if (s.$defs && typeof s.$defs === "object") for (const x of Object.values(s.$defs as object)) walk(x, keys, described, depth + 1);
}

/** Property names of the structured-output schema or tool parameters a request sends (null when none). */
export function requestSchema(request: Record<string, unknown>): Schema | null {
  const keys = new Set<string>();
  const described = new Set<string>();
  const rf = request.response_format as Record<string, unknown> | undefined;
  if (rf?.type === "json_schema") walk((rf.json_schema as Record<string, unknown> | undefined)?.schema, keys, described);
  const text = request.text as { format?: Record<string, unknown> } | undefined;
  if (text?.format?.type === "json_schema") walk(text.format.schema, keys, described);
  const oc = request.output_config as { format?: Record<string, unknown> } | undefined; // Anthropic structured outputs
  if (oc?.format?.schema) walk(oc.format.schema, keys, described);
  if (Array.isArray(request.tools)) {
    for (const t of request.tools as Array<Record<string, unknown>>) {
      const fn = t.function as Record<string, unknown> | undefined;
      walk(fn?.parameters ?? t.parameters ?? t.input_schema, keys, described);
    }
  }
  return keys.size ? { keys: [...keys].sort(), described: [...described].sort() } : null;
}

/** The schema most calls of a group send, or null. */
export function groupSchema(calls: AnalysisCall[]): Schema | null {
  const counts = new Map<string, { n: number; schema: Schema }>();
  for (const c of calls) {
    const s = requestSchema(c.request);
    if (!s) continue;
    const k = s.keys.join(",");
    const e = counts.get(k);
    if (e) e.n++;
    else counts.set(k, { n: 1, schema: s });
  }
  const best = [...counts.values()].sort((a, b) => b.n - a.n)[0];
  return best && best.n * 2 >= calls.length ? best.schema : null;
}

/** Balanced {...} blocks (string-aware) of at least 30 chars. */
function jsonBlocks(text: string): Array<{ start: number; end: number }> {
  const out: Array<{ start: number; end: number }> = [];
  let i = 0;
  while ((i = text.indexOf("{", i)) !== -1) {
    let depth = 0;
    let inString = false;
    let j = i;
    for (; j < text.length; j++) {
      const ch = text[j];
      if (inString) {
        if (ch === "\\") j++;
        else if (ch === '"') inString = false;
      } else if (ch === '"') inString = true;
      else if (ch === "{") depth++;
      else if (ch === "}") {
        depth--;
        if (depth === 0) break;
      }
    }
    if (depth === 0 && j < text.length && j + 1 - i >= 30) {
      out.push({ start: i, end: j + 1 });
      i = j + 1;
    } else i++;
  }
  return out;
}

function blockKeys(block: string): string[] {
  const keys = new Set<string>();
  for (const m of block.matchAll(/"([A-Za-z_][\w-]*)"\s*:/g)) keys.add(m[1]);
  for (const m of block.matchAll(/(?<=[{,\n]\s*)([A-Za-z_]\w*)\s*:/g)) keys.add(m[1]);
  return [...keys];
}

const INTRO = /\b(?:schema|format|json|structure|fields|following|shape|object)\b[^\n]*:\s*$/i;
const FIELD_LINE = /^\s*(?:[-*•]\s+|\d{1,2}[.)]\s+)?[`"'*]*([A-Za-z_][\w-]*)[`"'*]*\s*(?:\([^)\n]*\))?\s*(?::|-|–|—)\s+\S/;

export function detectDuplicateSchema(ctx: DetectContext): DraftFinding[] {
  const schema = ctx.schema;
  if (!schema) return [];
  const keySet = new Set(schema.keys);
  const findings: DraftFinding[] = [];
  ctx.segments.forEach((seg, segment) => {
    const text = seg.text;
    for (const b of jsonBlocks(text)) {
      if (isClaimed(ctx, segment, b.start, b.end)) continue;
      const keys = blockKeys(text.slice(b.start, b.end));
      const shared = keys.filter((k) => keySet.has(k));
      if (shared.length < 2 || shared.length / keys.length < 0.6) continue;
      // Take the introducing line ("Return JSON in this format:") and whole lines of the block.
      const lineStart = text.lastIndexOf("\n", b.start - 1) + 1;
      let start = text.slice(lineStart, b.start).trim() === "" ? lineStart : b.start;
      const prevLineEnd = lineStart - 1;
      if (start === lineStart && prevLineEnd > 0) {
        const prevStart = text.lastIndexOf("\n", prevLineEnd - 1) + 1;
        if (INTRO.test(text.slice(prevStart, prevLineEnd))) start = prevStart;
      }
      const spanStart = start + (text.slice(start).length - text.slice(start).trimStart().length);
      const nl = text.indexOf("\n", b.end);
      const lineEnd = nl === -1 ? text.length : nl;
      const end = text.slice(b.end, lineEnd).trim() === "" ? lineEnd : b.end;
      findings.push({
        kind: "duplicate_schema",
        message: `A JSON schema in the prompt repeats the ${shared.length} fields the request already sends as a schema the provider enforces; removed.`,
        spans: [spanOf(ctx, segment, spanStart, b.end)],
        edits: [{ segment, start, end: end === lineEnd && nl !== -1 ? nl + 1 : end, replacement: "" }],
        evidence: { fields: shared, schemaFields: schema.keys.length },
      });
      ctx.claimed.push({ segment, start, end });
    }
    // Prose field lists: two or more consecutive lines each describing a schema field.
    const lines = text.split("\n");
    let offset = 0;
    let run: Array<{ start: number; end: number; key: string }> = [];
    const flush = () => {
      if (run.length >= 2 && !isClaimed(ctx, segment, run[0].start, run[run.length - 1].end)) {
        const allDescribed = run.every((r) => schema.described.includes(r.key));
        const lastEnd = run[run.length - 1].end;
        findings.push({
          kind: "duplicate_schema",
          message: `The prompt describes ${run.length} fields of the response schema in prose${
            allDescribed ? "; the schema carries the same descriptions, so the list is removed" : "; the schema has no descriptions for them, so it is only flagged"
          }.`,
          spans: [spanOf(ctx, segment, run[0].start, lastEnd)],
          edits: allDescribed ? [{ segment, start: text.lastIndexOf("\n", run[0].start - 1) + 1, end: Math.min(text.length, lastEnd + 1), replacement: "" }] : [],
          evidence: { fields: run.map((r) => r.key), described: allDescribed },
        });
      }
      run = [];
    };
    for (const line of lines) {
      const m = FIELD_LINE.exec(line);
      if (m && keySet.has(m[1])) {
        const lead = line.length - line.trimStart().length;
        run.push({ start: offset + lead, end: offset + line.trimEnd().length, key: m[1] });
      } else flush();
      offset += line.length + 1;
    }
    flush();
  });
  return findings;
}
