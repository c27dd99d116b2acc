// Benchmark part "ingest" (`npm run bench -- ingest`): sustained events/s into Postgres through the real
// ingest endpoint (handleIngestRequest on node:http, in its own process as the app runs it) with every
// feature on — key auth, rate limiting, validation, redaction, normalisation, pricing, prompt dedup,
// hourly rollups — side by side in the same run with `psql \copy` of the same rows from CSV into a
// scratch table with the same indexes. Events are ~1 KB chat calls built from real text (Banking77
// queries, Bitext support answers). Everything runs in a scratch database that is dropped afterwards.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import pg from "pg";

const THIS_FILE = fileURLToPath(import.meta.url);
const SERVER_FLAG = "--ingest-bench-server";

const BATCH = 500; // events per request
const MEASURED_EVENTS = 60_000; // per ingest run
const WARMUP_EVENTS = 4_000;
const CLIENT_COUNTS = [2, 4];
const ROUNDS = 3; // ingest and COPY alternate, so drift on a shared machine hits both

// ---------------------------------------------------------------- server child

async function runServerChild(): Promise<void> {
  const { handleIngestRequest } = await import("../../lib/ingest/http");
  const { toNodeListener } = await import("../../lib/ingest/node-http");
  const server = http.createServer({ keepAliveTimeout: 65_000 }, toNodeListener(handleIngestRequest));
  server.listen(0, "127.0.0.1", () => process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`));
  process.on("SIGTERM", () => server.close(() => process.exit(0)));
}

async function startServer(env: NodeJS.ProcessEnv): Promise<{ port: number; proc: ChildProcess }> {
  const proc = spawn(process.execPath, ["--import", "tsx", THIS_FILE, SERVER_FLAG], { env, stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("ingest server did not start within 60 s")), 60_000);
    let buf = "";
    proc.stdout!.on("data", (chunk: Buffer) => {
      buf += chunk.toString("utf8");
      const nl = buf.indexOf("\n");
      if (nl >= 0) {
        clearTimeout(timer);
        resolve((JSON.parse(buf.slice(0, nl)) as { port: number }).port);
      }
    });
    proc.once("exit", (code) => reject(new Error(`ingest server exited (${code}) before reporting its port`)));
  });
  return { port, proc };
}

// ---------------------------------------------------------------- realistic events

type Texts = { queries: string[]; answers: string[] };

async function loadTexts(): Promise<Texts> {
  const { banking77, bitextSupport } = await import("../../lib/datasets/shared-data");
  return { queries: banking77("train").map((r) => r.text), answers: bitextSupport().map((r) => r.response) };
}

const FEATURES = [
  {
    feature: "intent-routing",
    system:
      "You are the routing assistant of a retail bank. Classify the customer's message into exactly one of the 77 banking intents (card_arrival, top_up_failed, exchange_rate, ...). Reply with the intent label only.",
  },
  {
    feature: "support-answer",
    system:
      "You are a friendly support agent for a retail bank. Answer the customer's question in at most three short sentences. Never promise refunds, never invent fees, and point to the in-app help centre when unsure.",
  },
  {
    feature: "ticket-summary",
    system:
      "Summarise the customer's message for a support ticket: one line with the problem, one line with what the customer asks for. Use neutral language and keep product names exactly as written.",
  },
];

function pick<T>(arr: T[], i: number): T {
  return arr[i % arr.length];
}

/** One ~1 KB event; mixes OpenAI (70%) and Anthropic (30%) shapes, 3 features, 200 users. */
function makeEvent(i: number, runId: string, texts: Texts, t0: number): Record<string, unknown> {
  const f = FEATURES[i % FEATURES.length];
  const query = pick(texts.queries, i * 7919);
  const answer = pick(texts.answers, i * 104729).slice(0, 420);
  const timestamp = new Date(t0 + i * 37).toISOString();
  const tags = { feature: f.feature, user: `user-${i % 200}`, session: `s-${Math.floor(i / 5)}`, environment: "prod" };
  if (i % 10 < 7) {
    return {
      id: `${runId}-${i}`,
      timestamp,
      provider: "openai",
      endpoint: "/v1/chat/completions",
      request: { model: "gpt-4o-mini", messages: [{ role: "system", content: f.system }, { role: "user", content: query }], temperature: 0.2 },
      response: {
        id: `chatcmpl-${runId}-${i}`,
        object: "chat.completion",
        created: Math.floor(t0 / 1000),
        model: "gpt-4o-mini-2024-07-18",
        choices: [{ index: 0, message: { role: "assistant", content: answer }, finish_reason: "stop" }],
        usage: { prompt_tokens: 60 + (i % 50), completion_tokens: 80 + (i % 40), total_tokens: 140 + (i % 90), prompt_tokens_details: { cached_tokens: 0 } },
      },
      latency_ms: 300 + (i % 1700),
      tags,
    };
  }
  return {
    id: `${runId}-${i}`,
    timestamp,
    provider: "anthropic",
    endpoint: "/v1/messages",
    request: { model: "claude-3-5-haiku-20241022", max_tokens: 400, system: f.system, messages: [{ role: "user", content: query }] },
    response: {
      id: `msg_${runId}_${i}`,
      type: "message",
      role: "assistant",
      model: "claude-3-5-haiku-20241022",
      content: [{ type: "text", text: answer }],
      stop_reason: "end_turn",
      usage: { input_tokens: 20 + (i % 30), cache_read_input_tokens: 60, cache_creation_input_tokens: 0, output_tokens: 90 + (i % 30) },
    },
    latency_ms: 400 + (i % 1500),
    tags,
  };
}

// ---------------------------------------------------------------- load generator

async function post(port: number, key: string, body: Buffer, agent: http.Agent): Promise<number> {
  return await new Promise<number>((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        path: "/api/v1/ingest",
        method: "POST",
        agent,
        headers: { "content-type": "application/json", "content-length": body.length, authorization: `Bearer ${key}` },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** Send pre-serialised batches with `clients` concurrent connections (one key each); wall time in ms. */
async function drive(port: number, keys: string[], bodies: Buffer[], clients: number): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (;;) {
        const i = next++;
        if (i >= bodies.length) return;
        const status = await post(port, keys[c], bodies[i], agent);
        if (status !== 200) throw new Error(`ingest answered ${status} for batch ${i}`);
      }
    }),
  );
  const ms = performance.now() - started;
  agent.destroy();
  return ms;
}

// ---------------------------------------------------------------- COPY baseline

function csvField(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "boolean") return v ? "t" : "f";
  if (typeof v === "number") return String(v);
  const s = typeof v === "string" ? v : JSON.stringify(v);
  return `"${s.replace(/"/g, '""')}"`;
}

async function psqlCopy(url: string, table: string, columns: string[], file: string): Promise<number> {
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const proc = spawn("psql", [url, "-v", "ON_ERROR_STOP=1", "-q", "-c", `\\copy ${table} (${columns.map((c) => `"${c}"`).join(",")}) FROM '${file}' WITH (FORMAT csv)`], {
      stdio: ["ignore", "ignore", "inherit"],
    });
    proc.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`psql \\copy exited ${code}`))));
  });
  return performance.now() - started;
}

// ---------------------------------------------------------------- the part

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

export async function run(): Promise<string> {
  const { adminUrl, createScratchDatabase, dropDatabase } = await import("../../lib/db/scratch");
  const { migrate } = await import("../../lib/db/migrate");
  const admin = adminUrl();
  const scratch = await createScratchDatabase(admin, "bench_ingest");
  const tmp = mkdtempSync(path.join(os.tmpdir(), "spendlens-ingest-bench-"));
  let server: { port: number; proc: ChildProcess } | null = null;
  try {
    await migrate(scratch.url);
    process.env.DATABASE_URL = scratch.url;
    const { db, closeDb, getPool } = await import("../../lib/db/client");
    const { createApiKey } = await import("../../lib/auth/api-keys");
    const { prepareCall, toPgJson } = await import("../../lib/ingest/writer");
    const { validateEvent } = await import("../../lib/ingest/validate");
    const { loadOrgPricing } = await import("../../lib/ingest/price-overrides");

    const org = await db.organization.create({ data: { name: "Bench", slug: `bench-${Date.now()}` } });
    const project = await db.project.create({ data: { organizationId: org.id, name: "Bench", slug: "bench" } });
    const keys: string[] = [];
    for (let c = 0; c < Math.max(...CLIENT_COUNTS); c++) keys.push((await createApiKey({ projectId: project.id, name: `client-${c}` })).key);

    server = await startServer({ ...process.env, DATABASE_URL: scratch.url });
    const texts = await loadTexts();
    const t0 = Date.UTC(2026, 10, 20, 8, 0);

    const batchesOf = (runId: string, n: number) => {
      const bodies: Buffer[] = [];
      let bytes = 0;
      for (let start = 0; start < n; start += BATCH) {
        const events = [];
        for (let i = start; i < Math.min(n, start + BATCH); i++) events.push(makeEvent(i, runId, texts, t0));
        const body = Buffer.from(JSON.stringify({ events }));
        bytes += body.length;
        bodies.push(body);
      }
      return { bodies, avgEventBytes: bytes / n };
    };

    // Warm-up: JIT, tokenizer-free paths, key cache, connection pool.
    await drive(server.port, keys, batchesOf("warm", WARMUP_EVENTS).bodies, 2);

    // COPY table: the same columns and indexes as "Call" (LIKE ... INCLUDING ALL), no foreign key.
    const pool = getPool();
    const pricing = await loadOrgPricing(org.id);
    const preparedRow = (i: number, runId: string): Record<string, unknown> => {
      const v = validateEvent(makeEvent(i, runId, texts, t0));
      if (!v.ok) throw new Error(`bench event invalid: ${JSON.stringify(v.errors)}`);
      const p = prepareCall(v.event, pricing);
      return { ...p.row, request: p.request, response: p.response } as Record<string, unknown>;
    };
    const callColumns = Object.keys(preparedRow(0, "cols"));
    const copyColumns = ["projectId", ...callColumns, "source"];
    const csvFor = (runId: string, n: number): string => {
      const file = path.join(tmp, `${runId}.csv`);
      const lines: string[] = [];
      for (let i = 0; i < n; i++) {
        const row = preparedRow(i, runId);
        const values: unknown[] = [project.id];
        for (const col of callColumns) values.push(row[col] !== null && typeof row[col] === "object" ? toPgJson(row[col]) : row[col]);
        values.push("api");
        lines.push(values.map(csvField).join(","));
      }
      writeFileSync(file, `${lines.join("\n")}\n`);
      return file;
    };

    type Measure = { clients: number; round: number; events: number; ms: number };
    const ingestRuns: Measure[] = [];
    const copyRuns: Array<{ round: number; rows: number; ms: number; bytes: number }> = [];
    let avgEventBytes = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      for (const clients of CLIENT_COUNTS) {
        const runId = `r${round}c${clients}`;
        const { bodies, avgEventBytes: avg } = batchesOf(runId, MEASURED_EVENTS);
        avgEventBytes = avg;
        const ms = await drive(server.port, keys, bodies, clients);
        const { rows } = await pool.query(`SELECT count(*)::int AS n FROM "Call" WHERE "projectId" = $1 AND "eventId" LIKE $2`, [project.id, `${runId}-%`]);
        if (rows[0].n !== MEASURED_EVENTS) throw new Error(`expected ${MEASURED_EVENTS} stored calls for ${runId}, found ${rows[0].n}`);
        ingestRuns.push({ clients, round, events: MEASURED_EVENTS, ms });
        console.log(`[bench:ingest] round ${round}, ${clients} clients: ${fmt((MEASURED_EVENTS / ms) * 1000)} events/s`);
      }
      const copyId = `copy${round}`;
      const file = csvFor(copyId, MEASURED_EVENTS);
      const table = `copy_calls_${round}`;
      await pool.query(`CREATE TABLE ${table} (LIKE "Call" INCLUDING ALL)`);
      await pool.query(`CHECKPOINT`).catch(() => {});
      const ms = await psqlCopy(scratch.url, table, copyColumns, file);
      const { rows } = await pool.query(`SELECT count(*)::int AS n FROM ${table}`);
      if (rows[0].n !== MEASURED_EVENTS) throw new Error(`COPY stored ${rows[0].n} rows, expected ${MEASURED_EVENTS}`);
      copyRuns.push({ round, rows: MEASURED_EVENTS, ms, bytes: statSync(file).size });
      console.log(`[bench:ingest] round ${round}, psql \\copy: ${fmt((MEASURED_EVENTS / ms) * 1000)} rows/s`);
    }

    // Sanity: the rollup counts every ingested event exactly once, and prompts were deduplicated.
    const totalEvents = WARMUP_EVENTS + ingestRuns.length * MEASURED_EVENTS;
    const { rows: roll } = await pool.query(`SELECT coalesce(sum(requests), 0)::int AS n FROM "UsageHourly" WHERE "projectId" = $1`, [project.id]);
    const { rows: blobs } = await pool.query(`SELECT count(*)::int AS n FROM "PromptBlob" WHERE "projectId" = $1`, [project.id]);
    const { rows: sizes } = await pool.query(
      `SELECT pg_size_pretty(pg_total_relation_size('"Call"')) AS calls, pg_size_pretty(pg_total_relation_size('copy_calls_1')) AS copy1`,
    );
    await closeDb();

    const best = (xs: number[]) => Math.max(...xs);
    const copyRate = best(copyRuns.map((r) => (r.rows / r.ms) * 1000));
    const rows = CLIENT_COUNTS.map((clients) => {
      const rates = ingestRuns.filter((r) => r.clients === clients).map((r) => (r.events / r.ms) * 1000);
      return { clients, rates, best: best(rates) };
    });
    const headline = best(rows.map((r) => r.best));
    const ratio = headline / copyRate;
    const met = ratio >= 0.7;
    const lines = [
      "## Ingest (lib/ingest): sustained events/s into Postgres vs `psql \\copy`",
      "",
      `The real endpoint (\`handleIngestRequest\` on node:http, in its own process) receives ${fmt(MEASURED_EVENTS)}-event runs in ${BATCH}-event JSON batches from 2 and 4 concurrent keep-alive clients (one project key each, so the per-key rate limiter stays on at its default). Events average ${fmt(avgEventBytes)} bytes (70% OpenAI chat, 30% Anthropic messages; user texts from Banking77, answers from Bitext; 3 features with ~250-character system prompts, 200 users). All features on: key auth, rate limit, validation, redaction, normalisation, pricing, static-prompt dedup, hourly rollups. Baseline: \`psql \\copy\` of the same rows (as the writer would store them, one CSV) into a table \`LIKE "Call" INCLUDING ALL\` (same indexes). Ingest and COPY runs alternate over ${ROUNDS} rounds; the best of each is compared (the machine is shared, so single runs vary).`,
      "",
      `| run | ${Array.from({ length: ROUNDS }, (_, i) => `round ${i + 1}`).join(" | ")} | best |`,
      `|---|${"---|".repeat(ROUNDS)}---|`,
      ...rows.map((r) => `| ingest, ${r.clients} clients (events/s) | ${r.rates.map(fmt).join(" | ")} | **${fmt(r.best)}** |`),
      `| psql \\copy (rows/s) | ${copyRuns.map((r) => fmt((r.rows / r.ms) * 1000)).join(" | ")} | **${fmt(copyRate)}** |`,
      "",
      "| goal | measured | verdict |",
      "|---|---|---|",
      `| ingest >= 0.7x the COPY rate | ${ratio.toFixed(2)}x (${fmt(headline)} vs ${fmt(copyRate)} /s) | **${met ? "met" : "not met"}** |`,
      "",
      `Checks after the run: ${fmt(totalEvents)} events sent, rollup requests sum = ${fmt(roll[0].n)} (${roll[0].n === totalEvents ? "equal" : "DIFFERENT"}), ${blobs[0].n} prompt blobs stored for the ${FEATURES.length} distinct system prompts. Call table ${sizes[0].calls} for ${fmt(totalEvents)} rows (bodies without system prompts); COPY table ${sizes[0].copy1} for ${fmt(MEASURED_EVENTS)} rows.`,
    ];
    return lines.join("\n");
  } finally {
    if (server) {
      server.proc.kill("SIGTERM");
      await new Promise((r) => server!.proc.once("exit", r));
    }
    rmSync(tmp, { recursive: true, force: true });
    const { closeDb } = await import("../../lib/db/client");
    await closeDb();
    await dropDatabase(admin, scratch.name).catch(() => {});
  }
}

if (process.argv.includes(SERVER_FLAG)) {
  void runServerChild();
}
