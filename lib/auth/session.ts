// The session is next-auth's encrypted JWT cookie. Reading it here from a Cookie header (instead of
// getServerSession, which needs Next's request scope) lets pages, route handlers and tests share
// one code path: tests mint a real cookie with `sessionCookieFor` and call handlers with a Request.
import { decode, encode } from "next-auth/jwt";

export const SESSION_MAX_AGE_S = 30 * 24 * 3600;

export function authSecret(): string {
  const secret = process.env.NEXTAUTH_SECRET;
  if (!secret) throw new Error("NEXTAUTH_SECRET is not set (`npm start` generates one in the data directory).");
  return secret;
}

/** next-auth names the cookie __Secure-… when the site is served over https. */
export function sessionCookieName(): string {
  const secure = (process.env.NEXTAUTH_URL ?? "").startsWith("https://");
  return `${secure ? "__Secure-" : ""}next-auth.session-token`;
}

export function parseCookieHeader(header: string | null | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    try {
      out.set(name, decodeURIComponent(value));
    } catch {
      out.set(name, value);
    }
  }
  return out;
}

/** The session token, joined back together when next-auth split it into name.0, name.1, ... */
function sessionToken(cookies: Map<string, string>): string | null {
  const name = sessionCookieName();
  const whole = cookies.get(name);
  if (whole) return whole;
  const chunks: string[] = [];
  for (let i = 0; cookies.has(`${name}.${i}`); i++) chunks.push(cookies.get(`${name}.${i}`)!);
  return chunks.length ? chunks.join("") : null;
}

/** The signed-in user's id from a Cookie header, or null (no cookie, tampered, expired). */
export async function sessionUserIdFromCookies(cookieHeader: string | null | undefined): Promise<string | null> {
  const token = sessionToken(parseCookieHeader(cookieHeader));
  if (!token) return null;
  try {
    const payload = await decode({ token, secret: authSecret() });
    return typeof payload?.sub === "string" && payload.sub ? payload.sub : null;
  } catch {
    return null;
  }
}

/** A Cookie header value holding a real session for `userId` (tests, e2e helpers). */
export async function sessionCookieFor(user: { id: string; email?: string | null; name?: string | null }): Promise<string> {
  const token = await encode({
    token: { sub: user.id, email: user.email ?? undefined, name: user.name ?? undefined },
    secret: authSecret(),
    maxAge: SESSION_MAX_AGE_S,
  });
  return `${sessionCookieName()}=${token}`;
}
