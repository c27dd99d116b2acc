import { describe, expect, it } from "vitest";
import { createProgress } from "./progress";

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, stream: { isTTY, columns: 80, write: (t: string) => chunks.push(t) } };
}

describe("createProgress", () => {
  it("draws a bar in place on a terminal and leaves one finished line per stage", () => {
    let t = 0;
    const { chunks, stream } = sink(true);
    const p = createProgress(stream, { now: () => t });
    const s = p.stage("cache");
    s.update(0.5, "replaying group 1 of 2");
    t += 10;
    s.update(0.6); // within the redraw interval: not drawn
    t += 100;
    s.update(0.75);
    t += 2000;
    s.finish("2 findings");
    const text = chunks.join("");
    expect(chunks[0]).toMatch(/^\r\x1b\[2Kcache {5}█{12}░{12}  50%/);
    expect(chunks[0]).toContain("replaying group 1 of 2");
    expect(text).not.toContain(" 60%");
    expect(text).toContain(" 75%");
    expect(text.endsWith("\r\x1b[2Kcache     done in 2.1 s  2 findings\n")).toBe(true);
    expect(chunks.every((c) => !c.includes("\n") || c.endsWith("2 findings\n"))).toBe(true);
  });

  it("writes plain lines (start, quarters, end) when not on a terminal", () => {
    let t = 0;
    const { chunks, stream } = sink(false);
    const p = createProgress(stream, { now: () => t });
    const s = p.stage("read");
    for (let i = 1; i <= 100; i++) s.update(i / 100, `${i} MB`);
    t = 1500;
    s.finish("10 calls");
    expect(chunks).toEqual(["read: started\n", "read: 25% (25 MB)\n", "read: 50% (50 MB)\n", "read: 75% (75 MB)\n", "read: done in 1.5 s (10 calls)\n"]);
    expect(chunks.join("")).not.toMatch(/\x1b|\r/);
  });

  it("writes nothing when disabled (--quiet)", () => {
    const { chunks, stream } = sink(true);
    const p = createProgress(stream, { enabled: false });
    const s = p.stage("x");
    s.update(0.5);
    s.finish();
    p.note("hello");
    expect(chunks).toEqual([]);
  });
});
