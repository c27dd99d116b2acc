// GitHub / Google sign-in, enabled only when their client id and secret are set. An OAuth identity
// is linked to the user with the same (provider-verified) email, or gets a new user with a personal
// organization and first project, exactly like a password sign-up.
import { db } from "../db/client";
import { isUniqueViolation } from "../orgs/organizations";
import { createUserWithWorkspace } from "./sign-up";

export type OAuthIdentity = {
  provider: string;
  providerAccountId: string;
  email: string | null | undefined;
  name: string | null | undefined;
  /** Whether the provider vouches for the address; unverified addresses are never linked. */
  emailVerified: boolean;
};

export function enabledOAuthProviders(env: Record<string, string | undefined> = process.env): ("github" | "google")[] {
  const out: ("github" | "google")[] = [];
  if (env.GITHUB_ID && env.GITHUB_SECRET) out.push("github");
  if (env.GOOGLE_ID && env.GOOGLE_SECRET) out.push("google");
  return out;
}

/** Our user id for an OAuth identity, creating or linking as needed; null when it cannot be used. */
export async function userIdForOAuth(identity: OAuthIdentity): Promise<string | null> {
  const key = { provider: identity.provider, providerAccountId: identity.providerAccountId };
  const linked = await db.oAuthAccount.findUnique({ where: { provider_providerAccountId: key }, select: { userId: true } });
  if (linked) return linked.userId;
  const email = identity.email?.trim().toLowerCase();
  if (!email || !identity.emailVerified) return null;
  let user = await db.user.findUnique({ where: { email }, select: { id: true } });
  if (!user) {
    try {
      user = (await createUserWithWorkspace({ email, name: identity.name?.trim().slice(0, 100) || null, passwordHash: null })).user;
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      user = await db.user.findUnique({ where: { email }, select: { id: true } });
      if (!user) throw err;
    }
  }
  await db.oAuthAccount.upsert({ where: { provider_providerAccountId: key }, create: { ...key, userId: user.id }, update: {} });
  return user.id;
}
