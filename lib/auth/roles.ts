// Organization roles, lowest to highest. Kept free of the Prisma client so client components can
// import it; the strings match the Prisma `Role` enum.
export const ROLES = ["VIEWER", "MEMBER", "ADMIN", "OWNER"] as const;
export type Role = (typeof ROLES)[number];

export function roleRank(role: Role): number {
  return ROLES.indexOf(role);
}

/** True when `role` is `min` or above (VIEWER < MEMBER < ADMIN < OWNER). */
export function roleAtLeast(role: Role, min: Role): boolean {
  return roleRank(role) >= roleRank(min);
}

export const ROLE_DESCRIPTIONS: Record<Role, string> = {
  VIEWER: "Can see everything, change nothing",
  MEMBER: "Can work with calls and findings",
  ADMIN: "Can also manage API keys, members and settings",
  OWNER: "Can also delete the organization and change owners",
};
