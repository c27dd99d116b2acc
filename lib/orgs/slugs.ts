// URL slugs for organizations (/<org>/...) and projects (/<org>/<project>/...).
import { randomBytes } from "node:crypto";

// Top-level paths the app owns: an organization with one of these slugs would be unreachable.
export const RESERVED_ORG_SLUGS = new Set([
  "api", "sign-in", "sign-up", "sign-out", "invite", "auth", "settings", "new", "proxy", "health",
  "_next", "static", "public", "favicon.ico", "robots.txt", "admin", "app",
]);
// Sibling routes of /<org>/<project>.
export const RESERVED_PROJECT_SLUGS = new Set(["settings", "new", "projects", "members", "api"]);

const SLUG_MAX = 40;

export function slugify(name: string, fallback: string): string {
  const slug = name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, SLUG_MAX)
    .replace(/-+$/g, "");
  return slug || fallback;
}

/**
 * The first free slug among base, base-2, base-3, ... (then a random suffix), given a check for
 * whether a slug is taken. Uniqueness is finally enforced by the database's unique index.
 */
export async function freeSlug(base: string, reserved: Set<string>, taken: (slug: string) => Promise<boolean>): Promise<string> {
  for (let i = 1; i <= 20; i++) {
    const candidate = i === 1 ? base : `${base.slice(0, SLUG_MAX - 4)}-${i}`;
    if (reserved.has(candidate)) continue;
    if (!(await taken(candidate))) return candidate;
  }
  return `${base.slice(0, SLUG_MAX - 7)}-${randomBytes(3).toString("hex")}`;
}
