// The launcher's request listener (scripts/start.ts, and the ingest benchmark through it): the ingest
// endpoints are answered by their handlers directly on node:http, everything else by Next.js.
//
// Why ingest bypasses Next.js: it is the hot path (SDK beacons, proxies, OTLP exporters post batches
// all day) and Next.js added ~10 us of CPU per event on 500-event batches (docs/benchmarks.md, ingest) for
// nothing the endpoint uses — no session, no page, no middleware. The same handlers stay mounted as
// Next.js routes (app/api/v1/...), so `next dev` or `next start` without the launcher answer the same.
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { stampPeerAddress } from "../auth/sign-in-rate-limit";
import { handleIngestRequest } from "../ingest/http";
import { toNodeListener } from "../ingest/node-http";
import { handleOtlpRequest } from "../ingest/otlp/http";

// next.config.js sends these on every Next.js answer; the direct ones are JSON only, so their policy
// can be the strictest (nothing may load, nothing may frame).
const API_SECURITY_HEADERS: Record<string, string> = {
  "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "strict-origin-when-cross-origin",
  "X-Frame-Options": "DENY",
};

/** Paths answered without Next.js (POST only; other methods fall through to the Next.js route's 405). */
export const DIRECT_ROUTES: Record<string, RequestListener> = {
  "/api/v1/ingest": toNodeListener(handleIngestRequest),
  "/api/v1/otel/v1/traces": toNodeListener(handleOtlpRequest),
};

export type NextHandle = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

export function appListener(nextHandle: NextHandle): RequestListener {
  return (req, res) => {
    stampPeerAddress(req);
    if (req.method === "POST") {
      const url = req.url ?? "/";
      const q = url.indexOf("?");
      const direct = DIRECT_ROUTES[q < 0 ? url : url.slice(0, q)];
      if (direct) {
        for (const [name, value] of Object.entries(API_SECURITY_HEADERS)) res.setHeader(name, value);
        return direct(req, res);
      }
    }
    void nextHandle(req, res);
  };
}
