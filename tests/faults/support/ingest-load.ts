// Steady ingest load for the fault tests: the real ingest handler on node:http, recording every answer it
// gives, and the SDK's beacon feeding it realistic demo events at a fixed rate.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { generateDemoEvents } from "../../../lib/demo/generate";
import { handleIngestRequest } from "../../../lib/ingest/http";
import { toNodeListener } from "../../../lib/ingest/node-http";
import { Spendlens, type SpendlensError, type SpendlensStats } from "../../../sdk/src/index";

export type Answer = { at: number; status: number; retryAfter: string | null };

export type RecordingIngestServer = {
  url: string;
  answers: Answer[];
  /** The next request is handled (and stored) but its answer never reaches the client: it must resend. */
  loseNextAnswer(): void;
  close(): Promise<void>;
};

/** POST /api/v1/ingest (handleIngestRequest) on a loopback port, noting each answer's status and time. */
export async function startRecordingIngestServer(): Promise<RecordingIngestServer> {
  const answers: Answer[] = [];
  const listener = toNodeListener(handleIngestRequest);
  let lose = false;
  const server = http.createServer((req, res) => {
    if (lose) {
      lose = false;
      res.end = (() => {
        req.socket.destroy();
        return res;
      }) as typeof res.end;
    }
    // Headers given to writeHead are not readable back with getHeader: note them on the way out.
    const writeHead = res.writeHead.bind(res) as (status: number, headers?: Record<string, string>) => http.ServerResponse;
    res.writeHead = ((status: number, headers?: Record<string, string>) => {
      answers.push({ at: Date.now(), status, retryAfter: headers?.["retry-after"] ?? null });
      return writeHead(status, headers);
    }) as typeof res.writeHead;
    listener(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    answers,
    loseNextAnswer: () => {
      lose = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type SdkLoad = {
  sdk: Spendlens;
  /** Ids of the events handed to the SDK so far. */
  sent: string[];
  /** Problems the SDK reported (never thrown). */
  errors: SpendlensError[];
  /** Stop producing, flush everything queued (waiting out retries), shut the SDK down. */
  finish(timeoutMs: number): Promise<SpendlensStats>;
};

/**
 * `perTick` demo events every `tickMs` through a Spendlens instance (the SDK's own beacon, batching and
 * retries). Events are built once up front from the shared data sets (demo generator, `seed`, ending at
 * `end`), so the load itself costs little.
 */
export function startSdkLoad(opts: { apiKey: string; baseUrl: string; perTick: number; tickMs: number; total: number; seed: number; end: Date }): SdkLoad {
  const errors: SpendlensError[] = [];
  const sdk = new Spendlens({
    apiKey: opts.apiKey,
    baseUrl: opts.baseUrl,
    flushAt: 100,
    flushIntervalMs: 200,
    flushOnExit: false,
    backoff: { initialDelayMs: 200, maxDelayMs: 2_000 },
    onError: (e) => errors.push(e),
  });
  const events = [...generateDemoEvents({ count: opts.total, seed: opts.seed, end: opts.end })];
  const sent: string[] = [];
  let next = 0;
  const ticker = setInterval(() => {
    for (let i = 0; i < opts.perTick && next < events.length; i++) {
      const e = events[next++];
      sent.push(e.id);
      sdk.log(e);
    }
  }, opts.tickMs);
  return {
    sdk,
    sent,
    errors,
    async finish(timeoutMs) {
      clearInterval(ticker);
      const stats = await sdk.flush(timeoutMs);
      await sdk.shutdown(1_000);
      return stats;
    },
  };
}
