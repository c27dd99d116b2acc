import { describe, expect, it } from "vitest";
import { ANALYSIS_ORDER, planJobs } from "./run-analyses";

describe("planJobs", () => {
  it("keeps everything in the main thread with one job", () => {
    expect(planJobs(1)).toEqual({ main: [...ANALYSIS_ORDER], workers: [] });
  });

  it("gives each extra job one of the heaviest analyses, never a replaying one", () => {
    expect(planJobs(2)).toEqual({ main: ["modelfit", "bloat", "cache", "batch"], workers: [["distill"]] });
    expect(planJobs(3)).toEqual({ main: ["modelfit", "bloat", "batch"], workers: [["distill"], ["cache"]] });
    expect(planJobs(8).workers).toEqual([["distill"], ["cache"]]);
  });

  it("offloads only analyses that were asked for", () => {
    expect(planJobs(3, ["cache", "batch"])).toEqual({ main: ["batch"], workers: [["cache"]] });
    expect(planJobs(3, ["modelfit"])).toEqual({ main: ["modelfit"], workers: [] });
  });
});
