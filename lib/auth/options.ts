// next-auth configuration: email + password (always), GitHub / Google (when configured), JWT sessions.
import type { NextAuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import GitHubProvider from "next-auth/providers/github";
import GoogleProvider from "next-auth/providers/google";
import { enabledOAuthProviders, userIdForOAuth } from "./oauth";
import { lockedMessage, signInWithPassword } from "./password-sign-in";
import { clientAddress, rateLimitedMessage, takeRateLimit } from "./sign-in-rate-limit";
import { SESSION_MAX_AGE_S, authSecret } from "./session";

export function buildAuthOptions(): NextAuthOptions {
  const providers: NextAuthOptions["providers"] = [
    CredentialsProvider({
      id: "credentials",
      name: "Email and password",
      credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
      async authorize(credentials, req) {
        // Per-address limit first: a refused attempt never reaches the (expensive) password check.
        // next-auth hands over the request headers only (no peer address): clientAddress decides.
        const rate = takeRateLimit("sign-in", clientAddress(req?.headers));
        if (!rate.ok) throw new Error(rateLimitedMessage("sign-in", rate.retryAfterSec));
        const result = await signInWithPassword(credentials?.email, credentials?.password);
        if (result.ok) return result.user;
        // A thrown message reaches the sign-in form; null gives next-auth's generic "CredentialsSignin".
        if (result.reason === "locked") throw new Error(lockedMessage(result.lockedUntil));
        return null;
      },
    }),
  ];
  const oauth = enabledOAuthProviders();
  if (oauth.includes("github")) {
    providers.push(GitHubProvider({ clientId: process.env.GITHUB_ID!, clientSecret: process.env.GITHUB_SECRET! }));
  }
  if (oauth.includes("google")) {
    providers.push(GoogleProvider({ clientId: process.env.GOOGLE_ID!, clientSecret: process.env.GOOGLE_SECRET! }));
  }

  return {
    secret: authSecret(),
    session: { strategy: "jwt", maxAge: SESSION_MAX_AGE_S },
    pages: { signIn: "/sign-in", error: "/sign-in" },
    providers,
    callbacks: {
      async signIn({ account, profile, user }) {
        if (!account || account.provider === "credentials") return true;
        const p = (profile ?? {}) as { email_verified?: boolean };
        const userId = await userIdForOAuth({
          provider: account.provider,
          providerAccountId: account.providerAccountId,
          email: user.email,
          name: user.name,
          // GitHub hands next-auth the account's primary address (verified by GitHub); Google says.
          emailVerified: account.provider === "github" ? true : p.email_verified === true,
        });
        return userId ? true : "/sign-in?error=OAuthEmail";
      },
      async jwt({ token, account }) {
        if (account && account.provider !== "credentials") {
          const userId = await userIdForOAuth({
            provider: account.provider,
            providerAccountId: account.providerAccountId,
            email: token.email,
            name: token.name,
            emailVerified: false, // already linked in signIn; never create here
          });
          if (userId) token.sub = userId;
        }
        return token;
      },
      async session({ session, token }) {
        if (session.user) (session.user as { id?: string }).id = token.sub;
        return session;
      },
    },
  };
}
