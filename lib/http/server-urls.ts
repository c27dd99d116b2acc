// The URLs a user should point their code at, as seen from their browser: this request's host,
// with the proxy on its own port (PROXY_PORT, default 3100).
export type ServerUrls = { appUrl: string; proxyOpenAiUrl: string };

export function serverUrls(headers: Headers, env: Record<string, string | undefined> = process.env): ServerUrls {
  const host = headers.get("x-forwarded-host") ?? headers.get("host") ?? "localhost:3000";
  const proto = (headers.get("x-forwarded-proto") ?? "http").split(",")[0].trim() === "https" ? "https" : "http";
  const hostname = host.replace(/:\d+$/, "");
  // PROXY_PORT=0 turns the proxy off in the launcher; the snippet still shows the default port.
  const proxyPort = Number(env.PROXY_PORT) > 0 ? env.PROXY_PORT : "3100";
  return { appUrl: `${proto}://${host}`, proxyOpenAiUrl: `http://${hostname}:${proxyPort}/proxy/openai/v1` };
}
