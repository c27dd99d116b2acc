// Plain, stable JSON for the report: analysis results carry Dates, typed arrays, NaN intervals and
// long call-id lists; the report gets ISO strings, plain arrays, null for non-finite numbers and a count
// in place of each id list. Serialised with sorted keys so the same input gives byte-identical output.
import type { Json } from "./types";

/** Keys whose value (a list of call ids) becomes `<key minus "Ids">Count`: thousands of ids help no reader. */
const ID_LIST_KEYS = new Set(["callIds"]);

export type ToJsonOptions = {
  /** Keys dropped wherever they appear (e.g. model weights). */
  dropKeys?: ReadonlySet<string>;
};

/** A JSON-safe deep copy (see the file comment). */
export function toJson(value: unknown, opts: ToJsonOptions = {}): Json {
  return convert(value, opts, new Set());
}

function convert(value: unknown, opts: ToJsonOptions, stack: Set<object>): Json {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case "number":
      return Number.isFinite(value) ? (Object.is(value, -0) ? 0 : value) : null;
    case "string":
    case "boolean":
      return value;
    case "bigint":
      return Number(value);
    case "function":
    case "symbol":
      return null;
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>, (x) => convert(x, opts, stack));
  const obj = value as object;
  if (stack.has(obj)) throw new Error("report value contains a cycle");
  stack.add(obj);
  try {
    if (Array.isArray(obj)) return obj.map((x) => convert(x, opts, stack));
    if (obj instanceof Map) return convert(Object.fromEntries(obj), opts, stack);
    if (obj instanceof Set) return convert([...obj], opts, stack);
    const out: { [key: string]: Json } = {};
    for (const [k, v] of Object.entries(obj)) {
      if (v === undefined || typeof v === "function" || opts.dropKeys?.has(k)) continue;
      if (ID_LIST_KEYS.has(k) && Array.isArray(v)) {
        out[`${k.slice(0, -3)}Count`] = v.length;
        continue;
      }
      out[k] = convert(v, opts, stack);
    }
    return out;
  } finally {
    stack.delete(obj);
  }
}

/** JSON text with object keys sorted (code-unit order) at every level; arrays keep their order. */
export function stableStringify(value: Json, indent = 2): string {
  return JSON.stringify(sortKeys(value), null, indent);
}

function sortKeys(value: Json): Json {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  const out: { [key: string]: Json } = {};
  for (const k of Object.keys(value).sort()) out[k] = sortKeys(value[k]);
  return out;
}
