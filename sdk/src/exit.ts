// Flush on the way out, without changing how the app exits.
// - beforeExit (the event loop ran dry): one send attempt per beacon; if it fails we do not try again
//   until new events arrive, so a dead ingest server cannot keep the process alive in a loop.
// - SIGTERM: flush with a deadline. If the app has its own SIGTERM handler it stays in charge (we only
//   flush beside it). If ours is the only one, Node's default would have been to die at once, so after
//   the flush we remove ourselves and re-send SIGTERM: the process dies by the signal as it would have.
import type { Beacon } from "./beacon.js";

type NodeProcess = {
  on(event: string, fn: (...args: unknown[]) => void): unknown;
  removeListener(event: string, fn: (...args: unknown[]) => void): unknown;
  listenerCount(event: string): number;
  kill(pid: number, signal: string): unknown;
  pid: number;
};

type Registered = { timeoutMs: number; enqueuedAtLastExitFlush: number };

const beacons = new Map<Beacon, Registered>();
let installed = false;

function nodeProcess(): NodeProcess | null {
  const proc = (globalThis as { process?: Partial<NodeProcess> }).process;
  return proc && typeof proc.on === "function" && typeof proc.listenerCount === "function" ? (proc as NodeProcess) : null;
}

function onBeforeExit(): void {
  for (const [beacon, reg] of beacons) {
    const s = beacon.stats();
    if (s.queued === 0 || s.enqueued === reg.enqueuedAtLastExitFlush) continue;
    reg.enqueuedAtLastExitFlush = s.enqueued;
    // The pending fetch keeps the loop alive until it settles; beforeExit then fires again.
    void beacon.flushOnce(reg.timeoutMs);
  }
}

let terminating = false;

function onSigterm(): void {
  const proc = nodeProcess();
  if (!proc || terminating) return;
  terminating = true;
  const alone = proc.listenerCount("SIGTERM") === 1;
  const timeoutMs = Math.max(0, ...[...beacons.values()].map((r) => r.timeoutMs));
  // When we alone handle the signal, hold the process until the flush is over: otherwise, with ingest
  // down, the loop could run dry during a backoff and the process would exit 0 instead of by the signal.
  const hold = alone ? setTimeout(() => {}, timeoutMs + 1000) : null;
  void Promise.all([...beacons.keys()].map((b) => b.flush(timeoutMs))).finally(() => {
    if (hold) clearTimeout(hold);
    if (!alone) {
      terminating = false;
      return;
    }
    uninstall();
    proc.kill(proc.pid, "SIGTERM");
  });
}

function install(): void {
  const proc = nodeProcess();
  if (!proc || installed) return;
  installed = true;
  proc.on("beforeExit", onBeforeExit);
  proc.on("SIGTERM", onSigterm);
}

function uninstall(): void {
  const proc = nodeProcess();
  if (!proc || !installed) return;
  installed = false;
  proc.removeListener("beforeExit", onBeforeExit);
  proc.removeListener("SIGTERM", onSigterm);
}

/** Flush `beacon` on beforeExit and SIGTERM (Node only; a no-op where there is no process). */
export function flushOnExit(beacon: Beacon, timeoutMs: number): void {
  beacons.set(beacon, { timeoutMs, enqueuedAtLastExitFlush: -1 });
  install();
}

export function stopFlushOnExit(beacon: Beacon): void {
  beacons.delete(beacon);
  if (beacons.size === 0) uninstall();
}
