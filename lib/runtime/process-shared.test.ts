// Two copies of a module in one process (as `npm start` has: the launcher's and the Next.js bundle's)
// share what they keep through processShared / ProcessNotices.
import { describe, expect, it, vi } from "vitest";
import { db } from "../db/client";
import { useTestDatabase } from "../db/testing";
import { createProjectWithKey } from "../ingest/test-fixtures";

useTestDatabase();

async function freshCopy<T>(path: string): Promise<T> {
  vi.resetModules();
  return (await import(path)) as T;
}

describe("process-shared state", () => {
  it("gives every module copy the same value for a name, and separate values for separate names", async () => {
    type M = typeof import("./process-shared");
    const a = await freshCopy<M>("./process-shared");
    const b = await freshCopy<M>("./process-shared");
    expect(a).not.toBe(b); // really two copies of the module
    const mapA = a.processShared("test:cache", () => new Map<string, number>());
    const mapB = b.processShared("test:cache", () => new Map<string, number>());
    mapA.set("k", 1);
    expect(mapB.get("k")).toBe(1);
    expect(b.processShared("test:other", () => new Map())).not.toBe(mapA);
  });

  it("tells the proxy's copy of a rules module about a route created through another copy (the app's)", async () => {
    type Routes = typeof import("../proxy/model-routes");
    const proxySide = await freshCopy<Routes>("../proxy/model-routes");
    const appSide = await freshCopy<Routes>("../proxy/model-routes");
    expect(proxySide).not.toBe(appSide);
    const heard: string[] = [];
    const stop = proxySide.onModelRouteChange((projectId) => heard.push(projectId));
    const p = await createProjectWithKey("shared");
    const user = await db.user.create({ data: { email: `shared-${Date.now()}@example.com` } });
    const actor = { projectId: p.projectId, organizationId: p.organizationId, actorUserId: user.id };
    const { route } = await appSide.createModelRoute(actor, { feature: "bot", fromModel: "gpt-4o", toModel: "gpt-4o-mini" });
    await appSide.updateModelRoute(actor, route.id, { enabled: false });
    stop();
    await appSide.deleteModelRoute(actor, route.id);
    expect(heard).toEqual([p.projectId, p.projectId]);
  });
});
