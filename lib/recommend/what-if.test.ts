import { describe, expect, it } from "vitest";
import { defaultLever, leverSavingsShare, parseWhatIf, whatIf, WhatIfError, whatIfFromFindings, type WhatIfLever } from "./what-if";

describe("whatIf", () => {
  it("one lever saves its share of the spend it covers", () => {
    const p = whatIf({ currentMonthlyUsd: 10_000, levers: [{ lever: "batch", affectedShare: 0.2, discount: 0.5 }] });
    expect(p.savedUsd).toBeCloseTo(1_000, 6);
    expect(p.projectedMonthlyUsd).toBeCloseTo(9_000, 6);
    expect(p.steps).toHaveLength(1);
  });

  it("levers on the same spend compound in lever order instead of adding up", () => {
    const rightsize: WhatIfLever = { lever: "rightsize", affectedShare: 1, priceRatio: 0.1, fallbackShare: 0 };
    const cache: WhatIfLever = { lever: "cache", affectedShare: 1, hitRate: 0.3 };
    const p = whatIf({ currentMonthlyUsd: 1_000, levers: [cache, rightsize] });
    // right-size first: 1000 -> 100, then the cache takes 30% of the remaining 100.
    expect(p.steps.map((s) => s.lever)).toEqual(["rightsize", "cache"]);
    expect(p.steps[0].savedUsd).toBeCloseTo(900, 6);
    expect(p.steps[1].savedUsd).toBeCloseTo(30, 6);
    expect(p.savedUsd).toBeLessThan(p.steps[0].standaloneUsd + p.steps[1].standaloneUsd);
    expect(p.projectedMonthlyUsd).toBeCloseTo(70, 6);
  });

  it("partial shares overlap from the first slice: the smaller lever acts on spend the larger already cut", () => {
    const p = whatIf({
      currentMonthlyUsd: 1_000,
      levers: [
        { lever: "compress", affectedShare: 0.5, tokenReduction: 0.5, inputCostShare: 1 }, // 500 of spend, -50%
        { lever: "batch", affectedShare: 0.8, discount: 0.5 }, // 800 of spend, -50%
      ],
    });
    // slices 0-499: compressed to 250 then batched to 125; slices 500-799: 300 batched to 150; rest 200.
    expect(p.projectedMonthlyUsd).toBeCloseTo(125 + 150 + 200, 6);
  });

  it("a lever's share follows its parameters", () => {
    expect(leverSavingsShare({ lever: "rightsize", affectedShare: 1, priceRatio: 0.2, fallbackShare: 0.1 })).toBeCloseTo(0.9 * 0.8, 12);
    expect(leverSavingsShare({ lever: "prefix_cache", affectedShare: 1, cacheableShare: 0.5, discount: 0.9, inputCostShare: 0.8 })).toBeCloseTo(0.36, 12);
    expect(whatIf({ currentMonthlyUsd: 500, levers: [defaultLever("cache"), defaultLever("batch")] }).savedUsd).toBeGreaterThan(0);
  });
});

describe("parseWhatIf", () => {
  const field = (raw: unknown) => {
    try {
      parseWhatIf(raw);
    } catch (err) {
      if (err instanceof WhatIfError) return err.field;
      throw err;
    }
    return null;
  };

  it("names the bad field", () => {
    expect(field({ currentMonthlyUsd: -1, levers: [] })).toBe("currentMonthlyUsd");
    expect(field({ currentMonthlyUsd: 10 })).toBe("levers");
    expect(field({ currentMonthlyUsd: 10, levers: [{ lever: "teleport" }] })).toBe("levers[0].lever");
    expect(field({ currentMonthlyUsd: 10, levers: [{ lever: "cache" }, { lever: "batch", discount: 1.5 }] })).toBe("levers[1].discount");
    expect(field({ currentMonthlyUsd: 10, levers: [{ lever: "cache" }, { lever: "cache" }] })).toBe("levers[1].lever");
  });

  it("fills defaults for parameters left out", () => {
    const parsed = parseWhatIf({ currentMonthlyUsd: 100, levers: [{ lever: "batch", affectedShare: 0.4 }] });
    expect(parsed.levers[0]).toEqual({ lever: "batch", affectedShare: 0.4, discount: 0.5 });
  });
});

describe("whatIfFromFindings", () => {
  it("reproduces each lever's stand-alone savings from the findings", () => {
    const findings = [
      { lever: "rightsize" as const, affectedMonthlyCostUsd: 400, monthly: { usd: 300, low: 200, high: 320 } },
      { lever: "cache" as const, affectedMonthlyCostUsd: 100, monthly: { usd: 12, low: 8, high: 15 } },
      { lever: "cache" as const, affectedMonthlyCostUsd: 100, monthly: { usd: 8, low: 4, high: 9 } },
      { lever: "compress" as const, affectedMonthlyCostUsd: 500, monthly: { usd: 70, low: 50, high: 80 } },
    ];
    const levers = whatIfFromFindings(1000, findings);
    expect(levers.map((l) => l.lever)).toEqual(["rightsize", "compress", "cache"]);
    for (const l of levers) {
      const alone = whatIf({ currentMonthlyUsd: 1000, levers: [l] }).savedUsd;
      const want = findings.filter((f) => f.lever === l.lever).reduce((s, f) => s + f.monthly.usd, 0);
      expect(alone).toBeCloseTo(want, 6);
    }
    expect(levers.find((l) => l.lever === "cache")!.affectedShare).toBeCloseTo(0.2, 12);
  });
});
