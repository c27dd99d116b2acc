// Mount a Fetch-style handler ((Request) => Promise<Response>) on node:http: used by tests, the SDK's and
// proxy's tests and the ingest benchmark to reach handleIngestRequest / handleOtlpRequest over real HTTP.
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { Readable } from "node:stream";

export type FetchHandler = (req: Request) => Promise<Response>;

export function toRequest(req: IncomingMessage): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.set(name, value);
  }
  const url = `http://${req.headers.host ?? "localhost"}${req.url ?? "/"}`;
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  return new Request(url, {
    method: req.method,
    headers,
    body: hasBody ? (Readable.toWeb(req) as ReadableStream<Uint8Array>) : undefined,
    // Required by undici for streamed request bodies.
    duplex: "half",
  } as RequestInit);
}

export async function sendResponse(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  const body = Buffer.from(await response.arrayBuffer());
  headers["content-length"] = String(body.length);
  res.writeHead(response.status, headers);
  res.end(body);
}

/** A node:http request listener running `handler`; an unexpected throw becomes a bare 500. */
export function toNodeListener(handler: FetchHandler): RequestListener {
  return (req, res) => {
    handler(toRequest(req))
      .then((response) => sendResponse(res, response))
      .catch((err) => {
        console.error("[node-http] handler failed", err);
        if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
        res.end('{"error":"internal error"}');
      });
  };
}
