// "Load demo data" as a background job, through the real route handlers, the real queue (in-process
// driver on Postgres, and BullMQ on Redis when it answers) and the real ingest writer: the POST answers
// 202 at once, the job loads the events, the status goes queued -> running -> done with the right
// counts, a second click while one runs gets the same load, roles and tenants are enforced.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DemoLoadView } from "@/lib/demo/runs";
process.env.NEXTAUTH_SECRET ??= "test-secret-for-demo-route-0123456789";

import { sessionCookieFor } from "@/lib/auth/session";
import { signUp } from "@/lib/auth/sign-up";
import { db } from "@/lib/db/client";
import { testRedisUrl, useTestDatabase } from "@/lib/db/testing";
import { closeBullQueues, startBullWorker } from "@/lib/queue/bullmq";
import { startInProcessRunner, type InProcessRunner } from "@/lib/queue/inprocess";
import type { JobContext } from "@/lib/queue/types";
import { handleDemo } from "@/workers/demo";
import { handlers } from "@/workers/registry";
import * as route from "./route";

useTestDatabase();

type Ws = Awaited<ReturnType<typeof signUp>> & { cookie: string };
type Load = DemoLoadView;
let owner: Ws;
let admin: Ws;
let member: Ws;
let viewer: Ws;
let outsider: Ws;

async function call(method: "GET" | "POST", org: string, project: string, cookie: string, body?: unknown, rawBody?: string) {
  const handler = route[method] as (r: Request, c: { params: Promise<{ org: string; project: string }> }) => Promise<Response>;
  const payload = rawBody ?? (body === undefined ? undefined : JSON.stringify(body));
  const res = await handler(
    new Request(`http://localhost:3000/api/orgs/${org}/projects/${project}/demo`, {
      method,
      headers: { cookie, ...(payload !== undefined ? { "content-type": "application/json" } : {}) },
      body: payload,
    }),
    { params: Promise.resolve({ org, project }) },
  );
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

async function newProject(slug: string) {
  const project = await db.project.create({ data: { organizationId: owner.organization.id, name: slug, slug } });
  return { id: project.id, org: owner.organization.slug, slug };
}

/** Poll the GET as a VIEWER until the load is finished, recording every state and message seen. */
async function pollUntilFinished(p: { org: string; slug: string }, timeoutMs = 60_000) {
  const seen: Load[] = [];
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await call("GET", p.org, p.slug, viewer.cookie);
    expect(res.status).toBe(200);
    const load = res.body.load as Load;
    seen.push(load);
    if (load.state === "done" || load.state === "failed") return { load, seen };
    if (Date.now() > until) throw new Error(`demo load still ${load.state} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Loads a test only queues: their jobs go, so a later runner in this file does not run them. */
async function dropJob(loadId: string) {
  expect((await db.job.deleteMany({ where: { queue: "demo", dedupeKey: `demo:${loadId}` } })).count).toBe(1);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The events' window ends at the current hour: keep a test's loads within one hour. */
async function awayFromHourBoundary() {
  const left = 3_600_000 - (Date.now() % 3_600_000);
  if (left < 90_000) await sleep(left + 500);
}

beforeAll(async () => {
  delete process.env.REDIS_URL; // in-process queue (Job rows in Postgres) unless a test says otherwise
  const ws = async (name: string) => {
    const out = await signUp({ name, email: `${name.toLowerCase()}-${Date.now()}@example.com`, password: `${name}-password-1` });
    return { ...out, cookie: await sessionCookieFor(out.user) };
  };
  [owner, admin, member, viewer, outsider] = await Promise.all(["Owner", "Admin", "Member", "Viewer", "Outsider"].map(ws));
  for (const [who, role] of [[admin, "ADMIN"], [member, "MEMBER"], [viewer, "VIEWER"]] as const) {
    await db.membership.create({ data: { organizationId: owner.organization.id, userId: who.user.id, role } });
  }
});

describe("POST/GET .../demo", () => {
  it("a load that fails shows as failed with its error (shared data sets missing)", async () => {
    // Runs first: the data sets are read once per process, and only a successful read is kept.
    const p = await newProject("demo-fails");
    const saved = process.env.SPENDLENS_SHARED_DATA;
    process.env.SPENDLENS_SHARED_DATA = "/nonexistent/spendlens-shared-data";
    const runner = startInProcessRunner({ handlers: { demo: handlers.demo }, pollMs: 20 });
    try {
      const post = await call("POST", p.org, p.slug, admin.cookie, { count: 50 });
      expect(post.status).toBe(202);
      const { load } = await pollUntilFinished(p);
      expect(load.state).toBe("failed");
      expect(load.error).toMatch(/nonexistent/);
      expect(load.inserted).toBeNull();
      expect(await db.call.count({ where: { projectId: p.id } })).toBe(0);
    } finally {
      await runner.stop();
      if (saved === undefined) delete process.env.SPENDLENS_SHARED_DATA;
      else process.env.SPENDLENS_SHARED_DATA = saved;
    }
    // A failed load does not block the next click.
    const again = await call("POST", p.org, p.slug, admin.cookie, { count: 50 });
    expect(again.body.started).toBe(true);
    await dropJob(again.body.load.id);
  });

  it("answers 202 with a queued load and runs nothing in the request", async () => {
    const p = await newProject("demo-queued");
    expect((await call("GET", p.org, p.slug, viewer.cookie)).body).toEqual({ load: null });
    const res = await call("POST", p.org, p.slug, owner.cookie, { count: 40 });
    expect(res.status).toBe(202);
    expect(res.body.started).toBe(true);
    expect(res.body.load).toMatchObject({ state: "queued", progress: 0, count: 40, inserted: null, duplicates: null, error: null });
    const jobs = await db.job.findMany({ where: { queue: "demo" } });
    expect(jobs.filter((j) => (j.data as { runId: string }).runId === res.body.load.id)).toHaveLength(1);
    expect(await db.call.count({ where: { projectId: p.id } })).toBe(0);
    const status = await call("GET", p.org, p.slug, viewer.cookie);
    expect(status.body.load).toMatchObject({ id: res.body.load.id, state: "queued" });
    // A POST without a body loads the default 5,000.
    const q = await newProject("demo-default");
    const byDefault = await call("POST", q.org, q.slug, admin.cookie);
    expect(byDefault).toMatchObject({ status: 202, body: { started: true, load: { state: "queued", count: 5_000 } } });
    // Not run in this test: drop the jobs so later runners in this file do not pick them up.
    await dropJob(res.body.load.id);
    await dropJob(byDefault.body.load.id);
  });

  it("the job loads the events: queued -> running -> done with the counts; a second click while it runs gets the same load", { timeout: 180_000 }, async () => {
    await awayFromHourBoundary();
    const p = await newProject("demo-runs");
    const first = await call("POST", p.org, p.slug, admin.cookie, { count: 1_500 });
    expect(first.status).toBe(202);
    const id = first.body.load.id as string;
    const runner = startInProcessRunner({ handlers: { demo: handlers.demo }, pollMs: 20 });
    try {
      // Wait until it is running, then click again.
      let state = "queued";
      for (let i = 0; i < 1000 && state === "queued"; i++) {
        state = (await call("GET", p.org, p.slug, viewer.cookie)).body.load.state;
        if (state === "queued") await sleep(10);
      }
      expect(state).toBe("running");
      const second = await call("POST", p.org, p.slug, admin.cookie, { count: 1_500 });
      expect(second.status).toBe(202);
      expect(second.body).toMatchObject({ started: false, load: { id } });
      expect(await db.analysisRun.count({ where: { projectId: p.id, kind: "demo" } })).toBe(1);

      const { load, seen } = await pollUntilFinished(p);
      expect(load).toMatchObject({ id, state: "done", progress: 1, count: 1_500, inserted: 1_500, duplicates: 0, error: null, message: "1,500 / 1,500 events" });
      // Progress moved through the batches of 500 while running.
      const running = seen.filter((s) => s.state === "running");
      expect(running.some((s) => s.progress > 0 && s.progress < 1 && /^(500|1,000) \/ 1,500 events$/.test(s.message ?? ""))).toBe(true);
      const fractions = seen.map((s) => s.progress);
      expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
      await runner.idle();
      expect(await db.job.count({ where: { queue: "demo", data: { path: ["projectId"], equals: p.id } } })).toBe(1);
      expect(await db.call.count({ where: { projectId: p.id, source: "demo" } })).toBe(1_500);
      const rollup = await db.usageHourly.aggregate({ where: { projectId: p.id }, _sum: { requests: true } });
      expect(rollup._sum.requests).toBe(1_500);

      // Loading again (within the hour) is a new load that adds nothing: the event ids are the same.
      const again = await call("POST", p.org, p.slug, admin.cookie, { count: 1_500 });
      expect(again.body.started).toBe(true);
      expect(again.body.load.id).not.toBe(id);
      const done = (await pollUntilFinished(p)).load;
      expect(done).toMatchObject({ id: again.body.load.id, state: "done", inserted: 0, duplicates: 1_500 });
      expect(await db.call.count({ where: { projectId: p.id } })).toBe(1_500);
    } finally {
      await runner.stop();
    }
  });

  it("two clicks at the same moment start one load", async () => {
    const p = await newProject("demo-race");
    const [a, b] = await Promise.all([call("POST", p.org, p.slug, admin.cookie, { count: 10 }), call("POST", p.org, p.slug, owner.cookie, { count: 10 })]);
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(a.body.load.id).toBe(b.body.load.id);
    expect([a.body.started, b.body.started].sort()).toEqual([false, true]);
    expect(await db.analysisRun.count({ where: { projectId: p.id, kind: "demo" } })).toBe(1);
    await dropJob(a.body.load.id);
  });

  it("names a bad count (and a bad body) with a 400", async () => {
    const p = await newProject("demo-bad");
    for (const count of [0, 50_001, 1.5, "5", null]) {
      const res = await call("POST", p.org, p.slug, admin.cookie, { count });
      expect(res.status, String(count)).toBe(400);
      expect(res.body.fields, String(count)).toEqual({ count: "Count must be an integer from 1 to 50,000." });
    }
    const bad = await call("POST", p.org, p.slug, admin.cookie, undefined, "{not json");
    expect(bad.status).toBe(400);
    expect(bad.body.fields).toHaveProperty("body");
    expect(await db.analysisRun.count({ where: { projectId: p.id } })).toBe(0);
  });

  it("a VIEWER (and a MEMBER) gets 403 on POST but may read the status", async () => {
    const p = await newProject("demo-roles");
    expect((await call("POST", p.org, p.slug, viewer.cookie, { count: 5 })).status).toBe(403);
    expect((await call("POST", p.org, p.slug, member.cookie, { count: 5 })).status).toBe(403);
    expect((await call("GET", p.org, p.slug, viewer.cookie)).status).toBe(200);
    expect(await db.analysisRun.count({ where: { projectId: p.id } })).toBe(0);
    expect(await db.job.count({ where: { queue: "demo", data: { path: ["projectId"], equals: p.id } } })).toBe(0);
  });

  it("a member of another organization gets 404 on POST and GET, and nothing is queued", async () => {
    const p = await newProject("demo-tenant");
    const own = await call("POST", p.org, p.slug, owner.cookie, { count: 5 });
    await dropJob(own.body.load.id);
    const post = await call("POST", p.org, p.slug, outsider.cookie, { count: 5 });
    expect(post.status).toBe(404);
    const get = await call("GET", p.org, p.slug, outsider.cookie);
    expect(get.status).toBe(404);
    expect(JSON.stringify(get.body)).not.toContain("queued");
    expect(await db.analysisRun.count({ where: { projectId: p.id } })).toBe(1);
    // The outsider's own project slug in the victim's org, or the victim's project in their own org: 404.
    expect((await call("POST", outsider.organization.slug, p.slug, outsider.cookie, { count: 5 })).status).toBe(404);
    expect(await db.analysisRun.count({ where: { kind: "demo", project: { organizationId: outsider.organization.id } } })).toBe(0);
  });

  it("the job refuses a load id from another project", async () => {
    const p = await newProject("demo-job-scope");
    const started = await call("POST", p.org, p.slug, owner.cookie, { count: 5 });
    const ctx: JobContext = { jobId: "j", attempt: 1, progress: async () => {} };
    await expect(handleDemo({ projectId: outsider.project.id, runId: started.body.load.id }, ctx)).rejects.toThrow(/not found/);
    expect(await db.call.count({ where: { projectId: outsider.project.id } })).toBe(0);
    expect((await db.analysisRun.findUniqueOrThrow({ where: { id: started.body.load.id } })).status).toBe("queued");
    await dropJob(started.body.load.id);
  });
});

describe("under BullMQ", () => {
  const redis = testRedisUrl();
  afterAll(async () => {
    delete process.env.REDIS_URL;
    await closeBullQueues();
  });

  it.skipIf(!redis)("the same handler runs the load from Redis and reports progress on the job", { timeout: 120_000 }, async () => {
    process.env.REDIS_URL = redis;
    process.env.SPENDLENS_QUEUE_PREFIX = `sltest-demo-${Date.now().toString(36)}`;
    const p = await newProject("demo-bull");
    const progress: unknown[] = [];
    const worker = startBullWorker("demo", handlers.demo!);
    worker.on("progress", (_job, value) => void progress.push(value));
    try {
      const res = await call("POST", p.org, p.slug, admin.cookie, { count: 600 });
      expect(res.status).toBe(202);
      const { load } = await pollUntilFinished(p);
      expect(load).toMatchObject({ state: "done", inserted: 600, duplicates: 0 });
      expect(await db.call.count({ where: { projectId: p.id } })).toBe(600);
      expect(progress).toContainEqual({ fraction: 1, message: "600 / 600 events" });
    } finally {
      await worker.close();
    }
  });
});
