// The proxy as its own lean HTTP server (node:http), started by `npm start` beside the app on
// PROXY_PORT (3100). Not a Next.js route: a route handler adds milliseconds per call and a fraction
// of the throughput (see docs/proxy.md and the proxy section of docs/benchmarks.md).
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createProxyHandler, type ProxyHandler, type ProxyHandlerOptions } from "./handler";

export { createProxyHandler };
export type { ProxyHandler, ProxyHandlerOptions };

export type ProxyServerOptions = ProxyHandlerOptions & {
  /** Default: env PROXY_PORT, else 3100. 0 picks a free port. */
  port?: number;
  /** Default: env PROXY_HOST, else 0.0.0.0 (apps on other machines call it). */
  host?: string;
};

export type RunningProxy = {
  port: number;
  handler: ProxyHandler;
  /** Stop accepting calls, let running ones finish (up to `graceMs`), flush the call log. */
  close(graceMs?: number): Promise<void>;
};

export async function startProxyServer(options: ProxyServerOptions = {}): Promise<RunningProxy> {
  const { port = Number(process.env.PROXY_PORT ?? 3100), host = process.env.PROXY_HOST ?? "0.0.0.0", ...handlerOptions } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PROXY_PORT must be a port number, got "${port}"`);
  const handler = createProxyHandler(handlerOptions);
  const server = http.createServer(
    {
      // Clients (SDKs) keep connections open between calls; outlive their idle timeouts.
      keepAliveTimeout: 65_000,
      // Long non-streaming completions: the default 300 s request timeout covers receiving the
      // request only, but make the intent explicit.
      requestTimeout: 300_000,
    },
    handler,
  );
  server.on("clientError", (_err, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n");
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  let closing: Promise<void> | null = null;
  return {
    port: bound,
    handler,
    close(graceMs = 10_000) {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const timer = setTimeout(() => server.closeAllConnections(), graceMs);
        await closed;
        clearTimeout(timer);
        await handler.close();
      })();
      return closing;
    },
  };
}
