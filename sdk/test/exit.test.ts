// How the SDK behaves when the process ends: it flushes on beforeExit and SIGTERM, never keeps a process
// alive, and leaves the app's own SIGTERM handling in charge. Each case runs in a child process.
import { spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeIngest, type FakeIngest } from "./support/fake-ingest";
import { waitFor } from "./support/wait";

let ingest: FakeIngest;
beforeAll(async () => {
  ingest = await startFakeIngest();
});
afterAll(async () => {
  await ingest.close();
});

type Child = { code: number | null; signal: NodeJS.Signals | null; stdout: string; ms: number };

function runChild(env: Record<string, string>, onReady?: (kill: (sig: NodeJS.Signals) => void) => void): Promise<Child> {
  const t0 = Date.now();
  // node itself (tsx only as a loader): signals and exit codes are the child's own, not a wrapper's.
  const child = spawn(process.execPath, ["--import", "tsx", path.resolve("sdk/test/support/exit-child.ts")], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let stdout = "";
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
    if (onReady && stdout.includes("ready")) {
      const cb = onReady;
      onReady = undefined;
      cb((sig) => child.kill(sig));
    }
  });
  const killer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  return new Promise((resolve) => {
    child.on("exit", (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, ms: Date.now() - t0 });
    });
  });
}

const delivered = (prefix: string) => [...ingest.deliveries.keys()].filter((id) => id.startsWith(`${prefix}-`)).length;

describe("process exit", () => {
  it("a process whose work is done exits by itself, and beforeExit delivered its events", async () => {
    const r = await runChild({ EXIT_MODE: "natural", INGEST_URL: ingest.url, ID_PREFIX: "natural", EVENTS: "7" });
    expect(r.code).toBe(0);
    expect(delivered("natural")).toBe(7);
    // The 60 s flush interval did not hold the process (tsx start-up itself takes ~1 s here).
    expect(r.ms).toBeLessThan(15_000);
  });

  it("with ingest unreachable, the process still exits promptly (one attempt, no retry loop)", async () => {
    await ingest.stop();
    try {
      const r = await runChild({ EXIT_MODE: "natural", INGEST_URL: ingest.url, ID_PREFIX: "down" });
      expect(r.code).toBe(0);
      expect(r.ms).toBeLessThan(15_000);
    } finally {
      await ingest.start();
    }
    expect(delivered("down")).toBe(0);
  });

  it("SIGTERM with no handler of the app: events are flushed, then the process dies by SIGTERM as it would have", async () => {
    const r = await runChild({ EXIT_MODE: "sigterm", INGEST_URL: ingest.url, ID_PREFIX: "term" }, (kill) => kill("SIGTERM"));
    expect(r.signal).toBe("SIGTERM");
    expect(delivered("term")).toBe(5);
  });

  it("SIGTERM with ingest unreachable: the flush gives up at its deadline and the process still dies by SIGTERM", async () => {
    await ingest.stop();
    try {
      const r = await runChild({ EXIT_MODE: "sigterm", INGEST_URL: ingest.url, ID_PREFIX: "term-down" }, (kill) => kill("SIGTERM"));
      expect(r.signal).toBe("SIGTERM");
    } finally {
      await ingest.start();
    }
  });

  it("SIGTERM with the app's own handler: the app decides how to exit; events are flushed beside it", async () => {
    const r = await runChild({ EXIT_MODE: "sigterm-app", INGEST_URL: ingest.url, ID_PREFIX: "app" }, (kill) => kill("SIGTERM"));
    expect(r.stdout).toContain("app handler ran");
    expect(r.code).toBe(3);
    await waitFor(() => delivered("app") === 5, "events of the app-handled SIGTERM", 2000);
  });
});
