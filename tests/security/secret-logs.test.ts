// No secret in logs. The parts of Spendlens that handle secrets run as child processes whose stdout and
// stderr are captured: the ingest API + proxy + in-process job runner (tests/security/support/
// serve-app-parts.ts, composed like `npm start`) and the BullMQ worker (workers/index.ts = `npm run
// worker`). They are driven through their happy and error paths with secrets everywhere — project keys
// (valid, wrong, in the URL), provider keys in Authorization headers, a provider that echoes the key in
// its 401, secrets pasted into prompts, a replay credential decrypted by model-fit runs in both job
// runners — and then the captured output (and the database) is searched for every secret.
import { spawn, type ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { banking77Calls } from "../../lib/analysis/modelfit/datasets";
import { saveProviderCredential } from "../../lib/analysis/replay/credentials";
import { startFakeProvider, type FakeProvider } from "../../lib/analysis/replay/fake-provider";
import { createAnalysisRun } from "../../lib/analysis/runs";
import { startAnalysisRun } from "../../lib/analysis/schedule";
import { generateEncryptionKey } from "../../lib/crypto/secrets";
import { db } from "../../lib/db/client";
import { testRedisUrl, useTestDatabase } from "../../lib/db/testing";
import { openAIChatEvent, createProjectWithKey, type ProjectFixture } from "../../lib/ingest/test-fixtures";
import { writeEvents } from "../../lib/ingest/writer";
import { startFakeUpstream, type FakeUpstream } from "../../lib/proxy/fake-upstream";
import { closeBullQueues } from "../../lib/queue/bullmq";
import { enqueueInProcess } from "../../lib/queue/inprocess";
import { startWorkerProcess, type WorkerProcess } from "../faults/support/services";
import { databaseText, foundIn, makeSecrets, promptWithSecrets } from "./support/secrets";

const database = useTestDatabase();

const secrets = makeSecrets();
const envSecrets = { encryptionKey: generateEncryptionKey(), nextauthSecret: `nextauth-${generateEncryptionKey()}` };
const QUEUE_PREFIX = `sl-secret-logs-${process.pid}`;
let project: ProjectFixture;
let upstream: FakeUpstream;
let provider: FakeProvider;
let app: { child: ChildProcess; output: () => string; ingest: string; proxy: string } | undefined;
let worker: WorkerProcess | undefined;
let redisUrl = "";

function childEnv(): Record<string, string> {
  return {
    DATABASE_URL: database.url(),
    SPENDLENS_ENCRYPTION_KEY: envSecrets.encryptionKey,
    NEXTAUTH_SECRET: envSecrets.nextauthSecret,
    PROXY_UPSTREAM_ALLOWLIST: [upstream.url, new URL(provider.openaiBaseUrl).origin, "http://127.0.0.1:9"].join(","),
    SPENDLENS_QUEUE_PREFIX: QUEUE_PREFIX,
  };
}

async function startAppParts(): Promise<NonNullable<typeof app>> {
  const child = spawn(process.execPath, ["--import", "tsx", "tests/security/support/serve-app-parts.ts"], {
    cwd: process.cwd(),
    env: { ...process.env, ...childEnv(), REDIS_URL: "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const urls = await new Promise<{ ingest: string; proxy: string }>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString("utf8");
      const line = out.split("\n").find((l) => l.startsWith('{"ready":true'));
      if (line) resolve(JSON.parse(line));
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`app parts exited (${code}):\n${out}`)));
  });
  return { child, output: () => out, ...urls };
}

beforeAll(async () => {
  process.env.SPENDLENS_ENCRYPTION_KEY = envSecrets.encryptionKey;
  upstream = await startFakeUpstream();
  // A provider that refuses every replay and, like a careless OpenAI-compatible server, echoes the key.
  provider = await startFakeProvider({ answer: (r) => ({ status: 401, message: `Incorrect API key provided: ${r.authorization.replace(/^Bearer /, "")}` }) });
  process.env.PROXY_UPSTREAM_ALLOWLIST = childEnv().PROXY_UPSTREAM_ALLOWLIST;
  project = await createProjectWithKey("secret-logs");
  await db.project.update({ where: { id: project.projectId }, data: { openaiUpstream: upstream.url } });
  // Real support traffic for the model-fit runs, and the project's replay credential.
  const calls = banking77Calls({ limitTrain: 0, limitTest: 300, start: new Date(Date.now() - 3 * 86_400_000), spacingMs: 600_000 }).test;
  await writeEvents(
    { projectId: project.projectId, organizationId: project.organizationId, source: "sdk" },
    calls.map((c) => ({ id: c.id, timestamp: c.timestamp.toISOString(), provider: c.provider, endpoint: c.endpoint, request: c.request, response: c.response, latency_ms: c.latencyMs ?? 0, tags: { feature: c.feature! } })),
  );
  await saveProviderCredential(project.projectId, { name: "OpenAI", provider: "openai", baseUrl: provider.openaiBaseUrl, apiKey: secrets.replayKey });
  app = await startAppParts();
  redisUrl = testRedisUrl();
  if (redisUrl) {
    worker = startWorkerProcess({ ...childEnv(), REDIS_URL: redisUrl });
    await worker.ready;
  } else console.warn("[secret-logs] no Redis: the BullMQ worker part is skipped (the in-process runner still runs a job)");
}, 180_000);

afterAll(async () => {
  await worker?.kill("SIGKILL");
  if (app && app.child.exitCode === null) app.child.kill("SIGKILL");
  await closeBullQueues();
  delete process.env.REDIS_URL;
  await provider?.close();
  await upstream?.close();
}, 60_000);

async function runFinished(runId: string) {
  for (let i = 0; i < 900; i++) {
    const run = await db.analysisRun.findUniqueOrThrow({ where: { id: runId } });
    if (run.status === "succeeded" || run.status === "failed") return run;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`run ${runId} did not finish`);
}

describe("no secret in logs", () => {
  it("ingest, proxy and both job runners print none of the secrets they handle, on success or failure", async () => {
    const { ingest, proxy } = app!;
    const prompt = promptWithSecrets(secrets);
    const wrongKey = `${project.key.slice(0, 16)}${"Z".repeat(project.key.length - 16)}`;
    const json = (body: unknown) => JSON.stringify(body);
    const statuses: Record<string, number> = {};
    const send = async (label: string, url: string, init: RequestInit) => {
      const res = await fetch(url, init);
      await res.arrayBuffer();
      statuses[label] = res.status;
    };

    // Ingest: accepted, refused (wrong key, broken JSON, bad fields), all carrying secrets.
    const event = { ...openAIChatEvent({ id: "logs-1" }), request: { model: "gpt-4o-mini", messages: [{ role: "user", content: prompt }], api_key: secrets.openaiKey } };
    const ingestUrl = `${ingest}/api/v1/ingest`;
    await send("ingest ok", ingestUrl, { method: "POST", headers: { authorization: `Bearer ${project.key}`, "content-type": "application/json" }, body: json({ events: [event] }) });
    await send("ingest wrong key", ingestUrl, { method: "POST", headers: { authorization: `Bearer ${wrongKey}`, "content-type": "application/json" }, body: json({ events: [event] }) });
    await send("ingest broken json", ingestUrl, { method: "POST", headers: { authorization: `Bearer ${project.key}`, "content-type": "application/json" }, body: `{"events":[{"id":"x","request":"${secrets.openaiKey}` });
    await send("ingest bad fields", ingestUrl, {
      method: "POST",
      headers: { authorization: `Bearer ${project.key}`, "content-type": "application/json" },
      body: json({ events: [{ ...event, id: "logs-2", timestamp: secrets.anthropicKey, provider: secrets.jwt }] }),
    });

    // Proxy: a good call, a provider 401 echoing the key, a stream, the project key in the URL, a wrong
    // project key, an unreachable upstream.
    const chat = json({ model: "gpt-4o-mini", messages: [{ role: "user", content: prompt }] });
    const proxyHeaders = { "content-type": "application/json", authorization: `Bearer ${secrets.openaiKey}`, "x-spendlens-key": project.key };
    await send("proxy ok", `${proxy}/proxy/openai/v1/chat/completions`, { method: "POST", headers: proxyHeaders, body: chat });
    await send("proxy stream", `${proxy}/proxy/openai/v1/chat/completions`, { method: "POST", headers: proxyHeaders, body: json({ model: "gpt-4o-mini", stream: true, messages: [{ role: "user", content: prompt }] }) });
    upstream.respond((req, res) => {
      res.writeHead(401, { "content-type": "application/json" });
      res.end(json({ error: { message: `Incorrect API key provided: ${String(req.headers.authorization).replace("Bearer ", "")}`, type: "invalid_request_error" } }));
    });
    await send("proxy provider 401", `${proxy}/proxy/k/${project.key}/openai/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${secrets.openaiKey}` }, body: chat });
    upstream.respond(null);
    await send("proxy wrong key", `${proxy}/proxy/k/${wrongKey}/openai/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${secrets.openaiKey}` }, body: chat });
    await send("proxy no route", `${proxy}/proxy/k/${project.key}/nowhere/v1/chat`, { method: "POST", headers: { "content-type": "application/json" }, body: chat });
    await db.project.update({ where: { id: project.projectId }, data: { openaiUpstream: "http://127.0.0.1:9" } });
    await new Promise((r) => setTimeout(r, 10_500)); // the proxy caches project settings for 10 s
    await send("proxy upstream down", `${proxy}/proxy/openai/v1/chat/completions`, { method: "POST", headers: proxyHeaders, body: chat });

    expect(statuses).toMatchObject({
      "ingest ok": 200,
      "ingest wrong key": 401,
      "ingest broken json": 400,
      "ingest bad fields": 400,
      "proxy ok": 200,
      "proxy stream": 200,
      "proxy provider 401": 401,
      "proxy wrong key": 401,
      "proxy no route": 404,
    });
    expect(statuses["proxy upstream down"]).toBeGreaterThanOrEqual(500);

    // Model-fit runs decrypt the replay key and send it to a provider that echoes it back in a 401:
    // one through the in-process runner, one through the BullMQ worker.
    const params = { sampleSize: 10, budgetUsd: 0.5, onlyModels: ["gpt-4.1-nano"], minGroupCalls: 10 };
    const inProcessRun = await createAnalysisRun(project.projectId, "modelfit", params);
    await enqueueInProcess("analysis", "modelfit", { projectId: project.projectId, runId: inProcessRun.id, kind: "modelfit", params });
    const runs = [inProcessRun.id];
    if (redisUrl) {
      process.env.REDIS_URL = redisUrl;
      process.env.SPENDLENS_QUEUE_PREFIX = QUEUE_PREFIX;
      runs.push((await startAnalysisRun(project.projectId, "modelfit", params)).id);
    }
    const finished = [];
    for (const runId of runs) finished.push(await runFinished(runId));
    expect(provider.requests.length, `the provider saw the replays; runs: ${JSON.stringify(finished.map((r) => ({ status: r.status, message: r.message, error: r.error, result: JSON.stringify(r.result).slice(0, 1500) })))}`).toBeGreaterThan(0);
    expect(provider.requests.every((r) => r.authorization === `Bearer ${secrets.replayKey}`)).toBe(true);

    // Error paths that do log: with the Call table gone for a moment, ingest answers 500 and logs the
    // error, and the proxy's call log gives up on a call after its retries and says so.
    await db.$executeRawUnsafe(`ALTER TABLE "Call" RENAME TO "Call_away"`);
    try {
      await send("ingest 500", ingestUrl, { method: "POST", headers: { authorization: `Bearer ${project.key}`, "content-type": "application/json" }, body: json({ events: [{ ...event, id: "logs-3" }] }) });
      await db.project.update({ where: { id: project.projectId }, data: { openaiUpstream: upstream.url } });
      await new Promise((r) => setTimeout(r, 10_500));
      await send("proxy log fails", `${proxy}/proxy/openai/v1/chat/completions`, { method: "POST", headers: proxyHeaders, body: chat });
      const deadline = Date.now() + 30_000;
      while (!app!.output().includes("[proxy] call log") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    } finally {
      await db.$executeRawUnsafe(`ALTER TABLE "Call_away" RENAME TO "Call"`);
    }
    expect(statuses["ingest 500"]).toBe(500);
    expect(statuses["proxy log fails"]).toBe(200);

    // Let every log line out, then stop the processes cleanly (their shutdown paths log too).
    await new Promise((r) => setTimeout(r, 500));
    const appExit = new Promise((resolve) => app!.child.once("exit", resolve));
    app!.child.kill("SIGTERM");
    await appExit;
    await worker?.kill("SIGTERM");

    const logs = `${app!.output()}\n${worker?.output() ?? ""}`;
    // The capture works: both processes' own lines are there, error reports included.
    expect(logs).toContain('"ready":true');
    expect(logs).toContain("[ingest] unexpected error");
    expect(logs).toContain("[proxy] call log: 1 call(s) not stored");
    if (worker) expect(logs).toContain("[worker] listening on queues");
    const everySecret: Record<string, string> = {
      projectKey: project.key,
      projectKeySecretPart: project.key.split("_").slice(2).join("_"),
      wrongProjectKey: wrongKey.slice(16),
      ...secrets,
      ...envSecrets,
    };
    const leakedToLogs = foundIn(logs, everySecret);
    expect(leakedToLogs, `secrets found in the captured logs:\n${logs.slice(-4000)}`).toEqual([]);

    // And none reached the database either (the echoed replay key included).
    const { replayKey: _saved, ...sent } = secrets;
    const stored = foundIn(await databaseText(), { ...sent, replayKey: secrets.replayKey, projectKey: project.key, wrongProjectKey: wrongKey.slice(16), ...envSecrets });
    expect(stored).toEqual([]);
    console.log(`[secret-logs] ${logs.split("\n").length} log lines from ${worker ? 2 : 1} processes searched for ${Object.keys(everySecret).length} secrets: none found`);
  }, 300_000);
});
