// The beacon against a loopback ingest server the test controls: batching, gzip, retries that keep event
// ids, Retry-After, the bounds and drop-oldest, and that nothing ever throws into the caller.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Beacon, type BeaconOptions, type SpendlensError, defaultBeaconOptions } from "../src/beacon";
import { startFakeIngest, type FakeIngest } from "./support/fake-ingest";
import { waitFor } from "./support/wait";

let ingest: FakeIngest;
const beacons: Beacon[] = [];

beforeAll(async () => {
  ingest = await startFakeIngest();
});
afterAll(async () => {
  await ingest.close();
});
afterEach(async () => {
  for (const b of beacons.splice(0)) b.close();
  await ingest.start();
  ingest.script = [];
  ingest.delayMs = 0;
});

let seq = 0;
/** A realistic event of about `size` characters, id unique across the file. */
function event(size = 300, text = "How do I activate my new card? "): { id: string; json: string } {
  const id = `evt-${++seq}`;
  const content = text.repeat(Math.max(1, Math.ceil(size / text.length))).slice(0, size);
  const json = JSON.stringify({
    id,
    timestamp: new Date().toISOString(),
    provider: "openai",
    endpoint: "/v1/chat/completions",
    request: { model: "gpt-4o-mini", messages: [{ role: "user", content }] },
    response: null,
    latency_ms: 1,
  });
  return { id, json };
}

function beacon(overrides: Partial<BeaconOptions> = {}): Beacon {
  const b = new Beacon({
    ...defaultBeaconOptions(),
    apiKey: "sl_test",
    baseUrl: ingest.url,
    backoff: { initialDelayMs: 20, maxDelayMs: 200, maxRetryAfterMs: 5000 },
    onError: () => {},
    ...overrides,
  });
  beacons.push(b);
  return b;
}

function conserved(b: Beacon): void {
  const s = b.stats();
  expect(s.enqueued).toBe(s.accepted + s.duplicates + s.rejected + s.dropped + s.failed + s.queued);
}

describe("batching and transport", () => {
  it("sends a batch as soon as flushAt events wait, gzip-compressed, with the project key", async () => {
    const b = beacon({ flushAt: 10, flushIntervalMs: 60_000 });
    const sent = Array.from({ length: 10 }, () => event(300));
    const before = ingest.requests.length;
    for (const e of sent) b.enqueue(e.json);
    expect(ingest.requests.length).toBe(before); // enqueue itself never sends
    await waitFor(() => b.stats().accepted === 10, "the 10 events acknowledged");
    expect(sent.every((e) => ingest.deliveries.get(e.id) === 1)).toBe(true);
    const req = ingest.requests.at(-1)!;
    expect(req.headers["content-encoding"]).toBe("gzip");
    expect(req.headers.authorization).toBe("Bearer sl_test");
    expect(req.ids).toEqual(sent.map((e) => e.id));
    // ~3.3 KB of repetitive JSON compresses well below its size.
    expect(req.rawBytes).toBeLessThan(sent.reduce((n, e) => n + e.json.length, 0) / 3);
    expect(b.stats()).toMatchObject({ accepted: 10, queued: 0, requests: 1, retries: 0 });
  });

  it("events that arrive while a batch is out wait for a full batch or the interval, not one request each", async () => {
    ingest.delayMs = 3;
    const b = beacon({ flushAt: 20, flushIntervalMs: 60_000 });
    const sent: string[] = [];
    for (let i = 0; i < 100; i++) {
      const e = event(100);
      sent.push(e.id);
      b.enqueue(e.json);
      await new Promise((r) => setTimeout(r, 1)); // a steady trickle, as from an app's calls
    }
    await b.flush(10_000);
    const mine = ingest.requests.filter((r) => r.ids.some((id) => sent.includes(id)));
    expect(mine.reduce((n, r) => n + r.ids.length, 0)).toBe(100);
    expect(mine.length).toBeLessThanOrEqual(100 / 20 + 1);
  });

  it("sends a partial batch after flushIntervalMs, uncompressed when small or when compress is off", async () => {
    const b = beacon({ flushAt: 100, flushIntervalMs: 30, compress: false });
    const e = event(2000);
    b.enqueue(e.json);
    await waitFor(() => ingest.deliveries.get(e.id) === 1, "the single event");
    expect(ingest.requests.at(-1)!.headers["content-encoding"]).toBeUndefined();
    const small = beacon({ flushAt: 1 });
    const s = event(50);
    small.enqueue(s.json);
    await waitFor(() => ingest.deliveries.get(s.id) === 1, "the small event");
    expect(ingest.requests.at(-1)!.headers["content-encoding"]).toBeUndefined();
  });

  it("keeps each request within maxBatchEvents and maxBatchBytes, measured in UTF-8 bytes", async () => {
    const b = beacon({ flushAt: 1000, maxBatchEvents: 7, maxBatchBytes: 20_000, compress: false });
    // Thai text: 3 bytes per character, so counting characters alone would overfill a request.
    const sent = Array.from({ length: 30 }, () => event(1500, "บัตรของฉันยังไม่มาถึง "));
    for (const e of sent) b.enqueue(e.json);
    await b.flush(5000);
    expect(sent.every((e) => ingest.deliveries.get(e.id) === 1)).toBe(true);
    const mine = ingest.requests.filter((r) => sent.some((e) => e.id === r.ids[0]));
    for (const r of mine) {
      expect(r.ids.length).toBeLessThanOrEqual(7);
      expect(r.rawBytes).toBeLessThanOrEqual(20_000);
    }
  });
});

describe("retries keep event ids", () => {
  it("waits out a 503 Retry-After, then resends the same ids once", async () => {
    const b = beacon({ flushAt: 5 });
    ingest.script = [{ kind: "status", status: 503, retryAfter: "1" }];
    const sent = Array.from({ length: 5 }, () => event());
    for (const e of sent) b.enqueue(e.json);
    await waitFor(() => b.stats().accepted === 5, "delivery after the 503", 5000);
    expect(sent.every((e) => ingest.deliveries.get(e.id) === 1)).toBe(true);
    const [first, second] = ingest.requests.filter((r) => r.ids[0] === sent[0]!.id);
    expect(second!.ids).toEqual(first!.ids);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(950);
    expect(b.stats()).toMatchObject({ accepted: 5, retries: 1, queued: 0 });
  });

  it("honours Retry-After on 429 in flush() too", async () => {
    const b = beacon({ flushAt: 1000 });
    ingest.script = [{ kind: "status", status: 429, retryAfter: "1" }];
    const e = event();
    b.enqueue(e.json);
    const t0 = Date.now();
    const left = await b.flush(5000);
    expect(left).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect(ingest.deliveries.get(e.id)).toBe(1);
  });

  it("backs off with growing, jittered delays on network errors and recovers", async () => {
    const b = beacon({ flushAt: 3, backoff: { initialDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 1000 } });
    ingest.script = [{ kind: "hangup" }, { kind: "hangup" }, { kind: "hangup" }];
    const sent = Array.from({ length: 3 }, () => event());
    for (const e of sent) b.enqueue(e.json);
    await waitFor(() => b.stats().accepted === 3, "delivery after 3 hang-ups", 5000);
    expect(sent.every((e) => ingest.deliveries.get(e.id) === 1)).toBe(true);
    const tries = ingest.requests.filter((r) => r.ids[0] === sent[0]!.id);
    expect(tries).toHaveLength(4);
    for (const t of tries) expect(t.ids).toEqual(sent.map((e) => e.id));
    const gaps = tries.slice(1).map((t, i) => t.at - tries[i]!.at);
    // equal jitter: attempt n waits between half and all of 100 * 2^(n-1) ms
    expect(gaps[0]).toBeGreaterThanOrEqual(45);
    expect(gaps[1]).toBeGreaterThanOrEqual(95);
    expect(gaps[2]).toBeGreaterThanOrEqual(195);
    expect(b.stats().retries).toBe(3);
  });

  it("an answer lost after the server stored the batch: the retry is recognised as duplicates, nothing doubles", async () => {
    const b = beacon({ flushAt: 4 });
    ingest.script = [{ kind: "stored-no-answer" }];
    const sent = Array.from({ length: 4 }, () => event());
    for (const e of sent) b.enqueue(e.json);
    await b.flush(5000);
    for (const e of sent) expect(ingest.deliveries.get(e.id)).toBe(2); // sent twice ...
    expect(new Set(ingest.requests.flatMap((r) => r.ids)).size).toBe(ingest.events.size); // ... stored once by id
    expect(b.stats()).toMatchObject({ duplicates: 4, accepted: 0, queued: 0 });
    conserved(b);
  });

  it("gives up on a batch after maxServerErrorAttempts 500s, then carries on", async () => {
    const errors: SpendlensError[] = [];
    const b = beacon({ flushAt: 1000, maxServerErrorAttempts: 3, onError: (e) => errors.push(e) });
    ingest.script = [500, 500, 500].map((status) => ({ kind: "status" as const, status }));
    const lost = event();
    b.enqueue(lost.json);
    await b.flush(5000);
    expect(b.stats()).toMatchObject({ failed: 1, requests: 3 });
    expect(errors.some((e) => e.kind === "server" && /gave up/.test(e.message))).toBe(true);
    const next = event();
    b.enqueue(next.json);
    await b.flush(5000);
    expect(ingest.deliveries.get(next.id)).toBe(1);
    expect(ingest.deliveries.get(lost.id)).toBeUndefined();
    conserved(b);
  });
});

describe("answers that must not be retried", () => {
  it("207: counts rejected events from the answer and does not resend", async () => {
    const b = beacon({ flushAt: 1000 });
    ingest.script = [
      { kind: "status", status: 207, body: { accepted: 2, duplicates: 0, rejected: [{ index: 1, field: "timestamp", message: "timestamp is not ISO 8601" }] } },
    ];
    for (let i = 0; i < 3; i++) b.enqueue(event().json);
    await b.flush(5000);
    expect(b.stats()).toMatchObject({ accepted: 2, rejected: 1, requests: 1, queued: 0 });
    expect(b.stats().lastError).toMatch(/timestamp is not ISO 8601/);
  });

  it("401 drops the batch as rejected (reported as auth) and later batches still go", async () => {
    const errors: SpendlensError[] = [];
    const b = beacon({ flushAt: 1000, onError: (e) => errors.push(e) });
    ingest.script = [{ kind: "status", status: 401 }];
    b.enqueue(event().json);
    b.enqueue(event().json);
    await b.flush(5000);
    expect(b.stats()).toMatchObject({ rejected: 2, requests: 1 });
    expect(errors.map((e) => e.kind)).toContain("auth");
    const ok = event();
    b.enqueue(ok.json);
    await b.flush(5000);
    expect(ingest.deliveries.get(ok.id)).toBe(1);
  });

  it("413 halves the batch and resends both halves", async () => {
    const b = beacon({ flushAt: 1000 });
    ingest.script = [{ kind: "status", status: 413 }];
    const sent = Array.from({ length: 8 }, () => event());
    for (const e of sent) b.enqueue(e.json);
    await b.flush(5000);
    const mine = ingest.requests.filter((r) => r.ids.some((id) => id === sent[0]!.id || id === sent[7]!.id));
    expect(mine.map((r) => r.ids.length)).toEqual([8, 4, 4]);
    for (const e of sent) expect(ingest.deliveries.get(e.id)).toBe(1);
  });
});

describe("bounds", () => {
  it("with ingest down, the queue keeps the newest maxQueueEvents, drops the oldest and counts them", async () => {
    await ingest.stop();
    const b = beacon({ flushAt: 50, maxQueueEvents: 100 });
    const sent = Array.from({ length: 1000 }, () => event(200));
    for (const e of sent) b.enqueue(e.json);
    await new Promise((r) => setTimeout(r, 100));
    const s = b.stats();
    expect(s.queued).toBeLessThanOrEqual(100);
    expect(s.dropped).toBeGreaterThanOrEqual(900);
    conserved(b);
    await ingest.start();
    await b.flush(5000);
    const delivered = sent.filter((e) => ingest.deliveries.has(e.id));
    expect(delivered.length).toBe(1000 - b.stats().dropped);
    // the survivors are the newest events
    expect(delivered.at(-1)!.id).toBe(sent.at(-1)!.id);
    expect(ingest.deliveries.has(sent[0]!.id)).toBe(false);
    conserved(b);
  });

  it("bounds bytes too, and drops a single event larger than a request", async () => {
    await ingest.stop();
    const errors: SpendlensError[] = [];
    const b = beacon({ flushAt: 1000, maxQueueBytes: 10_000, maxBatchBytes: 5000, onError: (e) => errors.push(e) });
    for (let i = 0; i < 50; i++) b.enqueue(event(900).json);
    expect(b.stats().queuedBytes).toBeLessThanOrEqual(10_000);
    expect(b.stats().queued).toBeLessThanOrEqual(10);
    b.enqueue(event(6000).json);
    expect(errors.some((e) => e.kind === "oversized")).toBe(true);
    conserved(b);
  });

  it("flush() gives up at its timeout while ingest stays down, and never rejects", async () => {
    await ingest.stop();
    const b = beacon({ flushAt: 1000 });
    b.enqueue(event().json);
    const t0 = Date.now();
    const left = await b.flush(300);
    expect(left).toBe(1);
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it("after shutdown, events are dropped and counted; enqueue never throws, even from a throwing onError", async () => {
    await ingest.stop();
    const b = beacon({
      flushAt: 1,
      maxQueueEvents: 2,
      onError: () => {
        throw new Error("app bug in onError");
      },
    });
    expect(() => {
      for (let i = 0; i < 20; i++) b.enqueue(event().json);
    }).not.toThrow();
    await b.shutdown(100);
    const before = b.stats().dropped;
    b.enqueue(event().json);
    expect(b.stats().dropped).toBe(before + 1);
    conserved(b);
  });
});
