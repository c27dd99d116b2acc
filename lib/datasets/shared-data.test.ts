import { describe, expect, it } from "vitest";
import { parseCsv } from "./csv";
import { arenaHard, banking77, bitextSupport, mrpc, stsb, wildchatUsers } from "./shared-data";

describe("parseCsv", () => {
  it("handles quoted commas, doubled quotes and newlines inside fields", () => {
    expect(parseCsv('a,b\n"x, y","say ""hi""\nthere"\r\n1,2\n')).toEqual([["a", "b"], ["x, y", 'say "hi"\nthere'], ["1", "2"]]);
  });
});

describe("shared data loaders", () => {
  it("read the documented row counts", () => {
    expect(banking77("train")).toHaveLength(10003);
    expect(banking77("test")).toHaveLength(3080);
    expect(new Set(banking77("train").map((r) => r.label)).size).toBe(77);
    expect(bitextSupport()).toHaveLength(4514);
    expect(new Set(bitextSupport().map((r) => r.intent)).size).toBe(27);
    expect(arenaHard("v0.1")).toHaveLength(500);
    expect(wildchatUsers()).toHaveLength(100);
    expect(stsb("test")).toHaveLength(1379);
    expect(mrpc("test")).toHaveLength(1725);
    expect(bitextSupport()[0].response).toContain("\n");
  });
});
