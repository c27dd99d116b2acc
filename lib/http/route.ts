// Thin wrapper for JSON route handlers: maps typed errors to status codes (errors.ts) and refuses
// cross-site writes. The session cookie is SameSite=Lax already; the Origin check also stops a
// same-site page on another port or subdomain from posting with the user's cookie.
import { ForbiddenError, errorResponse } from "./errors";

export type RouteContext<P extends Record<string, string> = Record<string, string>> = { params: Promise<P> };

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function assertSameOrigin(req: Request): void {
  if (SAFE_METHODS.has(req.method)) return;
  if (req.headers.get("sec-fetch-site") === "cross-site") throw new ForbiddenError("Cross-site request refused.");
  const origin = req.headers.get("origin");
  if (!origin) return; // not a browser (curl, server-to-server): no ambient cookie to abuse
  const host = req.headers.get("x-forwarded-host") ?? req.headers.get("host") ?? new URL(req.url).host;
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    throw new ForbiddenError("Cross-site request refused.");
  }
  if (originHost !== host) throw new ForbiddenError("Cross-site request refused.");
}

/**
 * `export const POST = jsonRoute(async (req, ctx) => ({ ... }))`: the returned value is sent as JSON
 * (status 200, or `[status, body]`), a returned Response is passed through, and thrown errors become
 * `{ error, fields? }` with their status.
 */
export function jsonRoute<P extends Record<string, string>>(
  handler: (req: Request, ctx: RouteContext<P>) => Promise<unknown>,
): (req: Request, ctx: RouteContext<P>) => Promise<Response> {
  return async (req, ctx) => {
    try {
      assertSameOrigin(req);
      const out = await handler(req, ctx);
      if (out instanceof Response) return out;
      if (Array.isArray(out) && out.length === 2 && typeof out[0] === "number") return Response.json(out[1], { status: out[0] });
      return Response.json(out ?? { ok: true });
    } catch (err) {
      return errorResponse(err);
    }
  };
}
