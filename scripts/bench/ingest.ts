// Benchmark part "ingest" (`npm run bench -- ingest`): sustained events/s into Postgres through the real
// ingest endpoint — POST /api/v1/ingest of the built app served by the launcher's listener in its own
// process, as `npm start` runs it (ingest answered on node:http, the rest by Next.js), and for comparison
// through the Next.js route (as `next start` alone would serve it) — with
// every feature on (key auth, rate limiting, validation, redaction, normalisation, pricing, prompt
// dedup, rollups), side by side in the same run with `psql \copy` of the same rows from CSV into a
// scratch table with the same indexes. Events are ~1 KB chat calls built from real text (Banking77
// queries, Bitext support answers). Everything runs in a scratch database that is dropped afterwards.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import pg from "pg";

const THIS_FILE = fileURLToPath(import.meta.url);
const SERVER_FLAG = "--ingest-bench-server";
const PORT_MARKER = "ingest-bench-port=";

const BATCH = 500; // events per request
const MEASURED_EVENTS = 40_000; // per ingest run
const WARMUP_EVENTS = 4_000;
const CLIENT_COUNTS = [2, 4];
// "app": what `npm start` serves (the launcher's listener; the goal is judged on it); "next": the same
// handler as the Next.js route, to show what going through the framework would cost.
const SERVERS: ServerKind[] = ["app", "next"];
const ROUNDS = 5; // ingest and COPY alternate, so drift on a shared machine hits both

// ---------------------------------------------------------------- server child

type ServerKind = "app" | "next";

/** The server child: the built app behind the launcher's listener (as `npm start` serves it) or Next.js alone. */
async function runServerChild(kind: ServerKind): Promise<void> {
  const { default: next } = await import("next");
  const nextApp = next({ dev: false, dir: process.cwd(), hostname: "127.0.0.1" });
  await nextApp.prepare();
  const handle = nextApp.getRequestHandler();
  let listener: http.RequestListener;
  if (kind === "app") {
    const { appListener } = await import("../../lib/http/app-listener");
    listener = appListener(handle);
  } else {
    listener = (req, res) => void handle(req, res);
  }
  const server = http.createServer({ keepAliveTimeout: 65_000 }, listener);
  server.listen(0, "127.0.0.1", () => process.stdout.write(`${PORT_MARKER}${(server.address() as AddressInfo).port}\n`));
  process.on("SIGTERM", () => server.close(() => process.exit(0)));
}

async function startServer(kind: ServerKind, env: NodeJS.ProcessEnv): Promise<{ kind: ServerKind; port: number; proc: ChildProcess }> {
  const proc = spawn(process.execPath, ["--import", "tsx", THIS_FILE, SERVER_FLAG, kind], { env, stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${kind} ingest server did not start within 60 s`)), 60_000);
    // The child's stdout also carries what Next.js prints while it starts: pass that on, find the port line.
    let buf = "";
    let found = false;
    proc.stdout!.on("data", (chunk: Buffer) => {
      if (found) return void process.stderr.write(chunk);
      buf += chunk.toString("utf8");
      for (let nl = buf.indexOf("\n"); nl >= 0 && !found; nl = buf.indexOf("\n")) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith(PORT_MARKER)) {
          found = true;
          clearTimeout(timer);
          resolve(Number(line.slice(PORT_MARKER.length)));
        } else process.stderr.write(`${line}\n`);
      }
    });
    proc.once("exit", (code) => reject(new Error(`ingest server exited (${code}) before reporting its port`)));
  }).catch((err: unknown) => {
    // Never leave a server child behind when it did not come up.
    proc.kill("SIGKILL");
    throw err;
  });
  // And if this process dies first (a crash mid-run), take the children with it.
  process.once("exit", () => proc.kill("SIGKILL"));
  return { kind, port, proc };
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

/** CPU seconds (user + system) a process has used so far; NaN where /proc is unavailable. */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks (USER_HZ = 100 on Linux)
  } catch {
    return NaN;
  }
}

/**
 * `psql \copy` of a CSV file, driven over psql's stdin so the CPU of psql and of its backend can be read
 * while the connection is still open. Returns wall time and CPU seconds (psql + backend).
 */
async function psqlCopy(url: string, table: string, columns: string[], file: string): Promise<{ ms: number; cpu: number }> {
  const proc = spawn("psql", [url, "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1"], { stdio: ["pipe", "pipe", "inherit"] });
  let out = "";
  const waiters: Array<{ marker: string; resolve: () => void }> = [];
  proc.stdout!.on("data", (chunk: Buffer) => {
    out += chunk.toString("utf8");
    for (const w of [...waiters]) if (out.includes(w.marker)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  const exited = new Promise<never>((_, reject) => proc.once("exit", (code) => reject(new Error(`psql exited (${code}) during \\copy`))));
  const until = (marker: string) => Promise.race([new Promise<void>((resolve) => (out.includes(marker) ? resolve() : waiters.push({ marker, resolve }))), exited]);
  proc.stdin!.write("SELECT 'pid=' || pg_backend_pid();\n\\echo __ready__\n");
  await until("__ready__");
  const backend = Number(/pid=(\d+)/.exec(out)?.[1]);
  const cpu0 = cpuSeconds(backend) + cpuSeconds(proc.pid!);
  const started = performance.now();
  proc.stdin!.write(`\\copy ${table} (${columns.map((c) => `"${c}"`).join(",")}) FROM '${file}' WITH (FORMAT csv)\n\\echo __copied__\n`);
  await until("__copied__");
  const ms = performance.now() - started;
  const cpu = cpuSeconds(backend) + cpuSeconds(proc.pid!) - cpu0;
  proc.stdin!.end("\\q\n");
  await new Promise((resolve) => proc.once("exit", resolve));
  return { ms, cpu };
}

/** CPU seconds used so far by the backends connected to the current database (except this query's). */
async function backendsCpu(pool: pg.Pool): Promise<Map<number, number>> {
  const { rows } = await pool.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`);
  return new Map(rows.map((r) => [r.pid, cpuSeconds(r.pid)]));
}

// ---------------------------------------------------------------- the part

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

export async function run(): Promise<string> {
  const { adminUrl, createScratchDatabase, dropDatabase } = await import("../../lib/db/scratch");
  const { migrate } = await import("../../lib/db/migrate");
  const admin = adminUrl();
  const scratch = await createScratchDatabase(admin, "bench_ingest");
  const tmp = mkdtempSync(path.join(os.tmpdir(), "spendlens-ingest-bench-"));
  const servers: Array<{ kind: ServerKind; port: number; proc: ChildProcess }> = [];
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

    // The app as `npm start` serves it (built once, rebuilt only when sources changed), and the bare handler.
    const { ensureAppBuilt } = await import("../app-build");
    ensureAppBuilt({ log: (line) => console.log(`[bench:ingest] ${line}`) });
    for (const kind of SERVERS) servers.push(await startServer(kind, { ...process.env, DATABASE_URL: scratch.url, NODE_ENV: "production" }));
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
    for (const server of servers) await drive(server.port, keys, batchesOf(`warm-${server.kind}`, WARMUP_EVENTS).bodies, 2);

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

    type Measure = { server: ServerKind; clients: number; round: number; events: number; ms: number; cpu: number };
    const ingestRuns: Measure[] = [];
    const copyRuns: Array<{ round: number; rows: number; ms: number; cpu: number }> = [];
    let avgEventBytes = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      for (const server of servers) for (const clients of CLIENT_COUNTS) {
        const runId = `r${round}${server.kind}c${clients}`;
        const { bodies, avgEventBytes: avg } = batchesOf(runId, MEASURED_EVENTS);
        avgEventBytes = avg;
        // This server runs with autovacuum off; production Postgres would keep the heavily updated rollup
        // tables vacuumed, so the bench does it between runs (outside the timing).
        await pool.query(`VACUUM "UsageHourly", "UsageDailyUser"`);
        const pg0 = await backendsCpu(pool);
        const server0 = cpuSeconds(server.proc.pid!);
        const ms = await drive(server.port, keys, bodies, clients);
        const serverCpu = cpuSeconds(server.proc.pid!) - server0;
        const pg1 = await backendsCpu(pool);
        let pgCpu = 0;
        for (const [pid, cpu] of pg1) pgCpu += cpu - (pg0.get(pid) ?? 0);
        const { rows } = await pool.query(`SELECT count(*)::int AS n FROM "Call" WHERE "projectId" = $1 AND "eventId" LIKE $2`, [project.id, `${runId}-%`]);
        if (rows[0].n !== MEASURED_EVENTS) throw new Error(`expected ${MEASURED_EVENTS} stored calls for ${runId}, found ${rows[0].n}`);
        ingestRuns.push({ server: server.kind, clients, round, events: MEASURED_EVENTS, ms, cpu: serverCpu + pgCpu });
        console.log(
          `[bench:ingest] round ${round}, ${server.kind}, ${clients} clients: ${fmt((MEASURED_EVENTS / ms) * 1000)} events/s, CPU ${fmt((serverCpu / MEASURED_EVENTS) * 1e6)} us (server) + ${fmt((pgCpu / MEASURED_EVENTS) * 1e6)} us (Postgres) per event`,
        );
      }
      const copyId = `copy${round}`;
      const file = csvFor(copyId, MEASURED_EVENTS);
      const table = `copy_calls_${round}`;
      await pool.query(`CREATE TABLE ${table} (LIKE "Call" INCLUDING ALL)`);
      const copied = await psqlCopy(scratch.url, table, copyColumns, file);
      const { rows } = await pool.query(`SELECT count(*)::int AS n FROM ${table}`);
      if (rows[0].n !== MEASURED_EVENTS) throw new Error(`COPY stored ${rows[0].n} rows, expected ${MEASURED_EVENTS}`);
      copyRuns.push({ round, rows: MEASURED_EVENTS, ms: copied.ms, cpu: copied.cpu });
      console.log(`[bench:ingest] round ${round}, psql \\copy: ${fmt((MEASURED_EVENTS / copied.ms) * 1000)} rows/s, CPU ${fmt((copied.cpu / MEASURED_EVENTS) * 1e6)} us per row`);
    }

    // Sanity: the rollup counts every ingested event exactly once, and prompts were deduplicated.
    const totalEvents = WARMUP_EVENTS * servers.length + ingestRuns.length * MEASURED_EVENTS;
    const { rows: roll } = await pool.query(`SELECT coalesce(sum(requests), 0)::int AS n FROM "UsageHourly" WHERE "projectId" = $1`, [project.id]);
    const { rows: userRoll } = await pool.query(`SELECT coalesce(sum(requests), 0)::int AS n FROM "UsageDailyUser" WHERE "projectId" = $1`, [project.id]);
    const { rows: blobs } = await pool.query(`SELECT count(*)::int AS n FROM "PromptBlob" WHERE "projectId" = $1`, [project.id]);
    const { rows: sizes } = await pool.query(
      `SELECT pg_size_pretty(pg_total_relation_size('"Call"')) AS calls, pg_size_pretty(pg_total_relation_size('copy_calls_1')) AS copy1`,
    );
    await closeDb();

    const rate = (n: number, ms: number) => (n / ms) * 1000;
    const median = (xs: number[]) => {
      const v = [...xs].sort((a, b) => a - b);
      return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    };
    const ratiosOf = (server: ServerKind) =>
      Array.from({ length: ROUNDS }, (_, i) => {
        const round = i + 1;
        const ingest = Math.max(...ingestRuns.filter((r) => r.round === round && r.server === server).map((r) => rate(r.events, r.ms)));
        const copy = copyRuns.find((r) => r.round === round)!;
        return { round, ingest, copy: rate(copy.rows, copy.ms), ratio: ingest / rate(copy.rows, copy.ms) };
      });
    const us = (cpu: number, n: number) => (cpu / n) * 1e6;
    const summary = (server: ServerKind) => {
      const perRound = ratiosOf(server);
      const runs = ingestRuns.filter((r) => r.server === server);
      return {
        perRound,
        ratio: median(perRound.map((r) => r.ratio)),
        best: Math.max(...perRound.map((r) => r.ingest)),
        cpu: median(runs.map((r) => us(r.cpu, r.events))),
      };
    };
    const app = summary("app");
    const bare = summary("next");
    const bestCopy = Math.max(...copyRuns.map((r) => rate(r.rows, r.ms)));
    const met = app.ratio >= 0.7;
    const copyCpu = median(copyRuns.map((r) => us(r.cpu, r.rows)));
    const load = os.loadavg()[0];
    const label: Record<ServerKind, string> = { app: "app (npm start)", next: "Next.js route" };
    const lines = [
      "## Ingest (lib/ingest): sustained events/s into Postgres vs `psql \\copy`",
      "",
      `The real endpoint — \`POST /api/v1/ingest\` of the built app, started in its own process behind the launcher's listener the way \`npm start\` serves it (ingest answered on node:http by \`handleIngestRequest\`, everything else by Next.js; lib/http/app-listener.ts) — receives ${fmt(MEASURED_EVENTS)}-event runs in ${BATCH}-event JSON batches from 2 and 4 concurrent keep-alive clients (one project key each, so the per-key rate limiter stays on at its default). For comparison the same runs go through the Next.js route that mounts the same handler (what \`next start\` alone would serve). Events average ${fmt(avgEventBytes)} bytes (70% OpenAI chat, 30% Anthropic messages; user texts from Banking77, answers from Bitext; 3 features with ~250-character system prompts, 200 users, so a batch touches a handful of hourly rollup rows and ~180 daily user rows). All features on: key auth, rate limit, validation, redaction, normalisation, pricing, static-prompt dedup, rollups (hourly per model and feature, daily per user; both tables are vacuumed before each run, as autovacuum would; it is off on this server). Baseline: \`psql \\copy\` of the same rows (as the writer stores them, one CSV) into a table \`LIKE "Call" INCLUDING ALL\` (same indexes, no rollups). Each round runs ingest (app 2 and 4 clients, Next.js route 2 and 4 clients) and then COPY; the goal is judged on the median over rounds of (best app rate / COPY rate) in the same round, because the machine is shared (1-minute load average ${load.toFixed(1)} at the end of this run) and rates drift between minutes.`,
      "",
      `| run | ${app.perRound.map((r) => `round ${r.round}`).join(" | ")} |`,
      `|---|${"---|".repeat(ROUNDS)}`,
      ...SERVERS.flatMap((server) =>
        CLIENT_COUNTS.map(
          (clients) => `| ${label[server]}, ${clients} clients (events/s) | ${ingestRuns.filter((r) => r.server === server && r.clients === clients).map((r) => fmt(rate(r.events, r.ms))).join(" | ")} |`,
        ),
      ),
      `| psql \\copy (rows/s) | ${copyRuns.map((r) => fmt(rate(r.rows, r.ms))).join(" | ")} |`,
      `| ratio, app (best / COPY) | ${app.perRound.map((r) => `${r.ratio.toFixed(2)}x`).join(" | ")} |`,
      `| ratio, Next.js route (best / COPY) | ${bare.perRound.map((r) => `${r.ratio.toFixed(2)}x`).join(" | ")} |`,
      "",
      `CPU per stored event (median of runs, read from /proc): app ${fmt(app.cpu)} us, Next.js route ${fmt(bare.cpu)} us (server process + Postgres backends), COPY ${fmt(copyCpu)} us (psql + its backend). Best rates seen: app ${fmt(app.best)} events/s, Next.js route ${fmt(bare.best)} events/s, COPY ${fmt(bestCopy)} rows/s.`,
      "",
      "| goal | measured | verdict |",
      "|---|---|---|",
      `| ingest through the app >= 0.7x the COPY rate | ${app.ratio.toFixed(2)}x (median of ${ROUNDS} paired rounds; best app vs best COPY of the whole run: ${(app.best / bestCopy).toFixed(2)}x; through the Next.js route ${bare.ratio.toFixed(2)}x) | **${met ? "met" : "not met"}** |`,
      "",
      `Checks after the run: ${fmt(totalEvents)} events sent, requests summed over the hourly rollup = ${fmt(roll[0].n)} and over the user rollup = ${fmt(userRoll[0].n)} (${roll[0].n === totalEvents && userRoll[0].n === totalEvents ? "both equal" : "DIFFERENT"}), ${blobs[0].n} prompt blobs stored for the ${FEATURES.length} distinct system prompts. Call table ${sizes[0].calls} for ${fmt(totalEvents)} rows (bodies without system prompts); COPY table ${sizes[0].copy1} for ${fmt(MEASURED_EVENTS)} rows.`,
    ];
    return lines.join("\n");
  } finally {
    for (const server of servers) {
      server.proc.kill("SIGTERM");
      await new Promise((r) => server.proc.once("exit", r));
    }
    rmSync(tmp, { recursive: true, force: true });
    const { closeDb } = await import("../../lib/db/client");
    await closeDb();
    await dropDatabase(admin, scratch.name).catch(() => {});
  }
}

if (process.argv.includes(SERVER_FLAG)) {
  void runServerChild(process.argv[process.argv.indexOf(SERVER_FLAG) + 1] === "next" ? "next" : "app");
}
