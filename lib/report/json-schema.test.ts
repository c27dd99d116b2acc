import { describe, expect, it } from "vitest";
import { validateJsonSchema, type JsonSchema } from "./json-schema";

const schema: JsonSchema = {
  type: "object",
  required: ["kind", "items"],
  additionalProperties: false,
  properties: {
    kind: { enum: ["a", "b"] },
    version: { const: 1 },
    name: { type: "string", minLength: 2, pattern: "^[a-z]+$" },
    count: { type: "integer", minimum: 0, maximum: 10 },
    items: { type: "array", maxItems: 2, items: { $ref: "#/$defs/item" } },
    maybe: { anyOf: [{ type: "null" }, { type: "number" }] },
    tags: { type: "object", additionalProperties: { type: "string" } },
  },
  allOf: [{ if: { properties: { kind: { const: "b" } } }, then: { required: ["count"] } }],
  $defs: { item: { type: "object", required: ["x"], properties: { x: { type: ["number", "null"] } } } },
};

describe("validateJsonSchema", () => {
  it("accepts a valid document", () => {
    expect(validateJsonSchema(schema, { kind: "b", version: 1, name: "abc", count: 3, items: [{ x: 1.5 }, { x: null }], maybe: null, tags: { a: "b" } })).toEqual([]);
  });

  it("names the place and the problem of every violation", () => {
    const errors = validateJsonSchema(schema, {
      kind: "c",
      version: 2,
      name: "A",
      count: 3.5,
      items: [{ x: "no" }, {}, { x: 1 }],
      maybe: "x",
      tags: { a: 1 },
      extra: true,
    });
    expect(errors).toEqual(
      expect.arrayContaining([
        '/kind: must be one of "a", "b"',
        "/version: must be 1",
        "/name: shorter than 2",
        "/name: does not match ^[a-z]+$",
        "/count: expected integer, got number",
        "/items: more than 2 items",
        "/items/0/x: expected number or null, got string",
        '/items/1: missing required property "x"',
        "/maybe: matches none of anyOf",
        "/tags/a: expected string, got integer",
        "/extra: property not allowed",
      ]),
    );
    expect(errors).toHaveLength(11);
  });

  it("applies if/then only when the condition holds", () => {
    expect(validateJsonSchema(schema, { kind: "b", items: [] })).toEqual(['/: missing required property "count"']);
    expect(validateJsonSchema(schema, { kind: "a", items: [] })).toEqual([]);
  });

  it("refuses a schema keyword it does not check rather than ignoring it", () => {
    expect(() => validateJsonSchema({ type: "string", format: "date-time" }, "x")).toThrow(/"format".*not supported/);
    expect(() => validateJsonSchema({ $ref: "#/$defs/missing" }, 1)).toThrow(/unknown \$ref/);
  });

  it("checks oneOf for exactly one match", () => {
    const s: JsonSchema = { oneOf: [{ type: "number" }, { type: "integer" }] };
    expect(validateJsonSchema(s, 1.5)).toEqual([]);
    expect(validateJsonSchema(s, 2)).toEqual(["/: matches 2 of oneOf (exactly one required)"]);
  });
});
