// Price overrides: field-named validation, roles, tenant isolation, and the background re-pricing of
// history through the real backfill handler on the in-process queue.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
process.env.NEXTAUTH_SECRET ??= "test-secret-for-price-override-tests";

import { sessionCookieFor } from "@/lib/auth/session";
import { signUp } from "@/lib/auth/sign-up";
import { db } from "@/lib/db/client";
import { useTestDatabase } from "@/lib/db/testing";
import { openAIChatEvent } from "@/lib/ingest/test-fixtures";
import { writeEvents } from "@/lib/ingest/writer";
import { startInProcessRunner, type InProcessRunner } from "@/lib/queue/inprocess";
import { handleBackfill } from "@/workers/backfill";
import * as route from "./route";

useTestDatabase();

type Ws = Awaited<ReturnType<typeof signUp>> & { cookie: string };
let owner: Ws;
let outsider: Ws;
let viewerCookie = "";
let runner: InProcessRunner;

async function call(method: string, org: string, cookie: string, body?: unknown, query = "") {
  const res = await (route as unknown as Record<string, (r: Request, c: { params: Promise<{ org: string }> }) => Promise<Response>>)[method](
    new Request(`http://localhost:3000/api/orgs/${org}/price-overrides${query}`, {
      method,
      headers: { cookie, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    }),
    { params: Promise.resolve({ org }) },
  );
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  delete process.env.REDIS_URL;
  const ws = async (name: string) => {
    const out = await signUp({ name, email: `${name.toLowerCase()}-${Date.now()}@example.com`, password: `${name}-password-1` });
    return { ...out, cookie: await sessionCookieFor(out.user) };
  };
  owner = await ws("Owner");
  outsider = await ws("Outsider");
  const viewer = await ws("Viewer");
  await db.membership.create({ data: { organizationId: owner.organization.id, userId: viewer.user.id, role: "VIEWER" } });
  viewerCookie = viewer.cookie;
  runner = startInProcessRunner({ handlers: { backfill: (d, c) => handleBackfill({ ...(d as { organizationId: string }), settleMs: 0 }, c) }, pollMs: 50 });
});

afterAll(async () => {
  await runner.stop();
});

describe("price overrides", () => {
  it("names the bad field", async () => {
    const org = owner.organization.slug;
    expect((await call("PUT", org, owner.cookie, { prices: {} })).body).toMatchObject({ fields: { model: expect.any(String) } });
    expect((await call("PUT", org, owner.cookie, { model: "gpt-4o", prices: { input_cost_per_token: -1 } })).body).toMatchObject({
      fields: { "prices.input_cost_per_token": expect.stringContaining("non-negative") },
    });
    expect((await call("PUT", org, owner.cookie, { model: "gpt-4o", prices: { colour: 1 } })).body).toMatchObject({ fields: { "prices.colour": expect.any(String) } });
  });

  it("refuses a VIEWER's write and another organization's member", async () => {
    const org = owner.organization.slug;
    expect((await call("PUT", org, viewerCookie, { model: "gpt-4o", prices: { input_cost_per_token: 1e-6 } })).status).toBe(403);
    expect((await call("GET", org, outsider.cookie)).status).toBe(404);
    expect((await call("PUT", org, outsider.cookie, { model: "gpt-4o", prices: { input_cost_per_token: 1e-6 } })).status).toBe(404);
    expect(await db.priceOverride.count({ where: { organizationId: owner.organization.id } })).toBe(0);
  });

  it("re-prices stored history in the background when an override is saved, and back when it is deleted", async () => {
    const target = { projectId: owner.project.id, organizationId: owner.organization.id, source: "api" as const };
    // 1,000 prompt + 100 completion tokens on gpt-4o-mini.
    await writeEvents(target, [openAIChatEvent({ id: "hist-1", timestamp: "2026-11-20T10:00:00Z" } as never)]);
    const before = await db.call.findUniqueOrThrow({ where: { projectId_eventId: { projectId: owner.project.id, eventId: "hist-1" } } });
    expect(before.costUsd).not.toBeNull();
    const model = before.model!;
    const put = await call("PUT", owner.organization.slug, owner.cookie, { model, prices: { input_cost_per_token: 0.001, output_cost_per_token: 0.002 } });
    expect(put.status).toBe(200);
    await runner.idle();
    const after = await db.call.findUniqueOrThrow({ where: { projectId_eventId: { projectId: owner.project.id, eventId: "hist-1" } } });
    expect(after.costUsd).toBeCloseTo(before.inputTokens * 0.001 + before.outputTokens * 0.002, 9);
    const rollup = await db.usageHourly.aggregate({ where: { projectId: owner.project.id }, _sum: { costUsd: true } });
    expect(rollup._sum.costUsd).toBeCloseTo(after.costUsd!, 9);
    expect(await db.auditLog.count({ where: { organizationId: owner.organization.id, action: "price_override.save" } })).toBe(1);

    const del = await call("DELETE", owner.organization.slug, owner.cookie, undefined, `?model=${encodeURIComponent(model)}`);
    expect(del.status).toBe(200);
    await runner.idle();
    const restored = await db.call.findUniqueOrThrow({ where: { projectId_eventId: { projectId: owner.project.id, eventId: "hist-1" } } });
    expect(restored.costUsd).toBeCloseTo(before.costUsd!, 12);
  });

  it("an override saved for the undated model re-prices its dated snapshot; an exact snapshot override wins over it", async () => {
    const org = owner.organization.slug;
    const id = { projectId_eventId: { projectId: owner.project.id, eventId: "hist-1" } };
    const table = await db.call.findUniqueOrThrow({ where: id });
    expect(table.model).toBe("gpt-4o-mini-2024-07-18");
    const cost = async () => (await db.call.findUniqueOrThrow({ where: id })).costUsd!;

    expect((await call("PUT", org, owner.cookie, { model: "gpt-4o-mini", prices: { input_cost_per_token: 0.003, output_cost_per_token: 0.004 } })).status).toBe(200);
    await runner.idle();
    expect(await cost()).toBeCloseTo(table.inputTokens * 0.003 + table.outputTokens * 0.004, 9);

    expect((await call("PUT", org, owner.cookie, { model: "gpt-4o-mini-2024-07-18", prices: { input_cost_per_token: 0.005, output_cost_per_token: 0.006 } })).status).toBe(200);
    await runner.idle();
    expect(await cost()).toBeCloseTo(table.inputTokens * 0.005 + table.outputTokens * 0.006, 9);

    // Deleting the snapshot's override falls back to the alias's, deleting that to the table.
    expect((await call("DELETE", org, owner.cookie, undefined, "?model=gpt-4o-mini-2024-07-18")).status).toBe(200);
    await runner.idle();
    expect(await cost()).toBeCloseTo(table.inputTokens * 0.003 + table.outputTokens * 0.004, 9);
    expect((await call("DELETE", org, owner.cookie, undefined, "?model=gpt-4o-mini")).status).toBe(200);
    await runner.idle();
    expect(await cost()).toBeCloseTo(table.costUsd!, 12);
    const rollup = await db.usageHourly.aggregate({ where: { projectId: owner.project.id }, _sum: { costUsd: true } });
    expect(rollup._sum.costUsd).toBeCloseTo(table.costUsd!, 9);
  });
});
