// A small JSON Schema validator for the subset docs/report.schema.json uses (draft 2020-12 keywords:
// type, enum, const, properties, required, additionalProperties, items, min/maxItems, minimum, maximum,
// minLength, pattern, $ref to #/$defs, allOf, anyOf, oneOf, if/then/else). Enough to check the report
// in tests without a dependency; an unsupported keyword is an error, so the schema cannot silently
// promise more than is checked.

export type JsonSchema = boolean | { [keyword: string]: unknown };

const SUPPORTED = new Set([
  "$schema",
  "$id",
  "$defs",
  "$ref",
  "$comment",
  "title",
  "description",
  "examples",
  "type",
  "enum",
  "const",
  "properties",
  "required",
  "additionalProperties",
  "items",
  "minItems",
  "maxItems",
  "minimum",
  "maximum",
  "minLength",
  "pattern",
  "allOf",
  "anyOf",
  "oneOf",
  "if",
  "then",
  "else",
]);

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function matchesType(v: unknown, t: string): boolean {
  const actual = typeOf(v);
  return actual === t || (t === "number" && actual === "integer");
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  return ka.length === kb.length && ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

const pointer = (path: string, key: string | number) => `${path}/${String(key).replace(/~/g, "~0").replace(/\//g, "~1")}`;

/** Errors as "<JSON pointer>: <problem>"; empty when the value is valid. */
export function validateJsonSchema(root: JsonSchema, value: unknown): string[] {
  const errors: string[] = [];
  const resolve = (ref: string): JsonSchema => {
    const m = /^#\/\$defs\/([^/]+)$/.exec(ref);
    const defs = typeof root === "object" ? (root.$defs as Record<string, JsonSchema> | undefined) : undefined;
    if (!m || !defs || !(m[1] in defs)) throw new Error(`unsupported or unknown $ref ${ref}`);
    return defs[m[1]];
  };

  const check = (schema: JsonSchema, v: unknown, path: string, out: string[]): void => {
    if (schema === true) return;
    if (schema === false) {
      out.push(`${path || "/"}: not allowed`);
      return;
    }
    for (const k of Object.keys(schema)) if (!SUPPORTED.has(k)) throw new Error(`schema keyword "${k}" at ${path || "/"} is not supported by this validator`);
    const at = path || "/";
    if (typeof schema.$ref === "string") check(resolve(schema.$ref), v, path, out);
    if (schema.type !== undefined) {
      const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
      if (!types.some((t) => matchesType(v, t))) {
        out.push(`${at}: expected ${types.join(" or ")}, got ${typeOf(v)}`);
        return;
      }
    }
    if (schema.const !== undefined && !deepEqual(v, schema.const)) out.push(`${at}: must be ${JSON.stringify(schema.const)}`);
    if (Array.isArray(schema.enum) && !schema.enum.some((e) => deepEqual(e, v))) out.push(`${at}: must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(", ")}`);
    if (typeof v === "number") {
      if (typeof schema.minimum === "number" && v < schema.minimum) out.push(`${at}: must be >= ${schema.minimum}`);
      if (typeof schema.maximum === "number" && v > schema.maximum) out.push(`${at}: must be <= ${schema.maximum}`);
    }
    if (typeof v === "string") {
      if (typeof schema.minLength === "number" && v.length < schema.minLength) out.push(`${at}: shorter than ${schema.minLength}`);
      if (typeof schema.pattern === "string" && !new RegExp(schema.pattern, "u").test(v)) out.push(`${at}: does not match ${schema.pattern}`);
    }
    if (Array.isArray(v)) {
      if (typeof schema.minItems === "number" && v.length < schema.minItems) out.push(`${at}: fewer than ${schema.minItems} items`);
      if (typeof schema.maxItems === "number" && v.length > schema.maxItems) out.push(`${at}: more than ${schema.maxItems} items`);
      if (schema.items !== undefined) v.forEach((item, i) => check(schema.items as JsonSchema, item, pointer(path, i), out));
    }
    if (typeOf(v) === "object") {
      const o = v as Record<string, unknown>;
      const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
      if (Array.isArray(schema.required)) for (const r of schema.required as string[]) if (!(r in o)) out.push(`${at}: missing required property "${r}"`);
      for (const [k, val] of Object.entries(o)) {
        if (k in props) check(props[k], val, pointer(path, k), out);
        else if (schema.additionalProperties !== undefined) {
          if (schema.additionalProperties === false) out.push(`${pointer(path, k)}: property not allowed`);
          else check(schema.additionalProperties as JsonSchema, val, pointer(path, k), out);
        }
      }
    }
    if (Array.isArray(schema.allOf)) for (const s of schema.allOf as JsonSchema[]) check(s, v, path, out);
    if (Array.isArray(schema.anyOf) || Array.isArray(schema.oneOf)) {
      const list = (schema.anyOf ?? schema.oneOf) as JsonSchema[];
      const passing = list.filter((s) => {
        const sub: string[] = [];
        check(s, v, path, sub);
        return sub.length === 0;
      }).length;
      if (schema.anyOf && passing === 0) out.push(`${at}: matches none of anyOf`);
      if (schema.oneOf && passing !== 1) out.push(`${at}: matches ${passing} of oneOf (exactly one required)`);
    }
    if (schema.if !== undefined) {
      const cond: string[] = [];
      check(schema.if as JsonSchema, v, path, cond);
      const branch = cond.length === 0 ? schema.then : schema.else;
      if (branch !== undefined) check(branch as JsonSchema, v, path, out);
    }
  };

  check(root, value, "", errors);
  return errors;
}
