// The app's HTTP surface read from disk: every app/api/**/route.ts with the HTTP methods it exports, and
// every app/**/page.tsx. The security tests iterate over these, so a route added tomorrow is tested too.
import { readdirSync, statSync } from "node:fs";
import path from "node:path";

export const APP_DIR = path.resolve(process.cwd(), "app");
export const API_DIR = path.join(APP_DIR, "api");
export const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
export const WRITE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export type RouteHandler = (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>;
export type AppRoute = { name: string; file: string; methods: Array<{ method: string; handler: RouteHandler }> };
export type AppPage = { name: string; file: string };

export function findFiles(dir: string, fileName: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...findFiles(full, fileName));
    else if (name === fileName) out.push(full);
  }
  return out.sort();
}

/** "orgs/[org]/projects/[project]" for app/api/orgs/[org]/projects/[project]/route.ts. */
export const routeName = (file: string) => path.relative(API_DIR, path.dirname(file)).split(path.sep).join("/");

/** "[org]/[project]/overview" for app/(app)/[org]/[project]/overview/page.tsx (route groups dropped). */
export const pageName = (file: string) =>
  path
    .relative(APP_DIR, path.dirname(file))
    .split(path.sep)
    .filter((s) => s && !/^\(.*\)$/.test(s))
    .join("/");

/** Names of the dynamic segments, in order: ["org", "project", "keyId"]. */
export const paramsOf = (name: string) => [...name.matchAll(/\[(?:\.\.\.)?([^\]]+)\]/g)].map((m) => m[1]);

/** A concrete path for a route or page name, with each [param] replaced by its value. */
export const fillPath = (name: string, values: Record<string, string>) =>
  name.replace(/\[(?:\.\.\.)?([^\]]+)\]/g, (_m, n: string) => encodeURIComponent(values[n] ?? n));

/** Every API route module, imported, with its exported HTTP method handlers. */
export async function loadApiRoutes(): Promise<AppRoute[]> {
  const routes: AppRoute[] = [];
  for (const file of findFiles(API_DIR, "route.ts")) {
    const mod = (await import(file)) as Record<string, unknown>;
    const methods = HTTP_METHODS.filter((m) => typeof mod[m] === "function").map((m) => ({ method: m, handler: mod[m] as RouteHandler }));
    routes.push({ name: routeName(file), file, methods });
  }
  return routes;
}

export function listPages(): AppPage[] {
  return findFiles(APP_DIR, "page.tsx").map((file) => ({ name: pageName(file), file }));
}
