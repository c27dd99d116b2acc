import { beforeAll, describe, expect, it } from "vitest";
import { db } from "../db/client";
import { useTestDatabase } from "../db/testing";
import { callsCsv, FilterError, getCallDetail, listCalls, parseCallFilter } from "./calls";

useTestDatabase();
let projectId = "";
let otherId = "";

beforeAll(async () => {
  const org = await db.organization.create({ data: { name: "O", slug: `o-${Date.now()}` } });
  projectId = (await db.project.create({ data: { organizationId: org.id, name: "P", slug: "p" } })).id;
  otherId = (await db.project.create({ data: { organizationId: org.id, name: "Q", slug: "q" } })).id;
  const base = new Date("2026-11-20T00:00:00Z").getTime();
  await db.call.createMany({
    data: Array.from({ length: 30 }, (_, i) => ({
      projectId,
      eventId: `e${String(i).padStart(2, "0")}`,
      timestamp: new Date(base + Math.floor(i / 2) * 60_000), // pairs share a timestamp: keyset must break ties
      provider: "openai",
      endpoint: "/v1/chat/completions",
      model: i % 3 === 0 ? "gpt-4o-mini" : "gpt-4o",
      feature: i % 2 === 0 ? "classify" : "chat",
      status: i === 7 ? 500 : 200,
      costUsd: i === 9 ? null : i / 100,
      outputText: i === 11 ? 'Refund, "approved"' : `answer ${i}`,
    })),
  });
  await db.call.create({ data: { projectId: otherId, eventId: "x1", timestamp: new Date(base), provider: "openai", endpoint: "/v1/chat/completions", outputText: "Refund approved" } });
});

describe("calls explorer", () => {
  it("pages through every matching call exactly once, newest first", async () => {
    const seen: string[] = [];
    let cursor;
    do {
      const page = await listCalls(projectId, {}, { limit: 7, cursor });
      seen.push(...page.items.map((c) => c.eventId));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toHaveLength(30);
    expect(new Set(seen).size).toBe(30);
    expect(seen[0]).toBe("e29");
  });

  it("filters by model, feature, status, cost, unpriced and text, within the project only", async () => {
    const f = (qs: string) => listCalls(projectId, parseCallFilter(new URLSearchParams(qs)), { limit: 100 }).then((p) => p.items.map((c) => c.eventId));
    expect(await f("model=gpt-4o-mini")).toHaveLength(10);
    expect((await f("feature=classify&status=error"))).toEqual([]);
    expect(await f("status=error")).toEqual(["e07"]);
    expect(await f("unpriced=1")).toEqual(["e09"]);
    expect((await f("minCost=0.25")).length).toBe(5); // 0.25..0.29
    expect(await f("q=refund")).toEqual(["e11"]);
  });

  it("names the field of a bad filter", () => {
    expect(() => parseCallFilter(new URLSearchParams("from=yesterday"))).toThrowError(FilterError);
    try {
      parseCallFilter(new URLSearchParams("minCost=-1"));
    } catch (e) {
      expect((e as FilterError).field).toBe("minCost");
    }
  });

  it("exports CSV with quoting and returns details only inside the project", async () => {
    let csv = "";
    for await (const chunk of callsCsv(projectId, parseCallFilter(new URLSearchParams("q=refund")))) csv += chunk;
    const lines = csv.trim().split("\n");
    expect(lines[0].split(",")[0]).toBe("eventId");
    expect(lines).toHaveLength(2);
    expect(await getCallDetail(projectId, "x1")).toBeNull();
    expect((await getCallDetail(otherId, "x1"))?.call.outputText).toBe("Refund approved");
  });
});
