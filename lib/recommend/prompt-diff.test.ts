import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import path from "node:path";
import { sharedDataDir } from "../datasets/shared-data";
import { diffPrompts, type DiffPart } from "./prompt-diff";

const rebuild = (parts: DiffPart[], side: "original" | "candidate") =>
  parts.filter((p) => p.kind === "same" || p.kind === (side === "original" ? "removed" : "added")).map((p) => p.text).join("");

describe("diffPrompts", () => {
  it("shows a removed sentence as one removed run between unchanged text", () => {
    const original = "You are a support bot. You are a helpful support bot. Answer with the intent label only.";
    const candidate = "You are a support bot. Answer with the intent label only.";
    const { parts, unit } = diffPrompts(original, candidate);
    expect(unit).toBe("word");
    expect(parts.filter((p) => p.kind === "removed").map((p) => p.text.trim())).toEqual(["You are a helpful support bot."]);
    expect(parts.some((p) => p.kind === "added")).toBe(false);
    expect(rebuild(parts, "original")).toBe(original);
    expect(rebuild(parts, "candidate")).toBe(candidate);
  });

  it("rebuilds both sides exactly on a real prompt and its edit", () => {
    const rows = readFileSync(path.join(sharedDataDir(), "banking77/test.csv"), "utf8").split("\n").slice(1, 40);
    const original = `Classify the banking query.\n\nExamples:\n${rows.join("\n")}\n\nAnswer with the label.`;
    const candidate = original.replace(rows[3], "").replace("Classify the banking query.", "Classify this banking customer query.");
    const { parts } = diffPrompts(original, candidate);
    expect(rebuild(parts, "original")).toBe(original);
    expect(rebuild(parts, "candidate")).toBe(candidate);
    expect(parts.find((p) => p.kind === "added")!.text).toContain("this");
  });

  it("falls back to lines for very long prompts and stays exact", () => {
    const line = (i: number) => `line ${i} ${"word ".repeat(30)}\n`;
    const original = Array.from({ length: 400 }, (_, i) => line(i)).join("");
    const candidate = Array.from({ length: 400 }, (_, i) => (i % 50 === 0 ? "" : line(i))).join("");
    const { parts, unit } = diffPrompts(original, candidate);
    expect(unit).toBe("line");
    expect(parts.filter((p) => p.kind === "removed").length).toBe(8);
    expect(rebuild(parts, "original")).toBe(original);
    expect(rebuild(parts, "candidate")).toBe(candidate);
  });
});
