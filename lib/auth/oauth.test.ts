import { describe, expect, it } from "vitest";
import { db } from "../db/client";
import { useTestDatabase } from "../db/testing";
import { enabledOAuthProviders, userIdForOAuth } from "./oauth";
import { signUp } from "./sign-up";

useTestDatabase();

describe("OAuth sign-in", () => {
  it("is offered only when a provider's id and secret are both set", () => {
    expect(enabledOAuthProviders({})).toEqual([]);
    expect(enabledOAuthProviders({ GITHUB_ID: "id" })).toEqual([]);
    expect(enabledOAuthProviders({ GITHUB_ID: "id", GITHUB_SECRET: "s", GOOGLE_ID: "g", GOOGLE_SECRET: "t" })).toEqual(["github", "google"]);
  });

  it("creates a user with a workspace for a new verified identity, and finds it again", async () => {
    const identity = { provider: "github", providerAccountId: "gh-1", email: "New@Oauth.example", name: "Octo", emailVerified: true };
    const id = await userIdForOAuth(identity);
    expect(id).toBeTruthy();
    const user = await db.user.findUniqueOrThrow({ where: { id: id! }, include: { memberships: true } });
    expect(user.email).toBe("new@oauth.example");
    expect(user.passwordHash).toBeNull();
    expect(user.memberships.map((m) => m.role)).toEqual(["OWNER"]);
    expect(await userIdForOAuth({ ...identity, email: "changed@oauth.example" })).toBe(id);
    expect(await db.user.count({ where: { email: "changed@oauth.example" } })).toBe(0);
  });

  it("links to an existing account only when the provider verified the email", async () => {
    const existing = await signUp({ name: "Pw", email: "pw@oauth.example", password: "password-123" });
    expect(await userIdForOAuth({ provider: "google", providerAccountId: "g-1", email: "pw@oauth.example", name: null, emailVerified: false })).toBeNull();
    expect(await db.oAuthAccount.count()).toBe(1); // only the github one from the previous test
    expect(await userIdForOAuth({ provider: "google", providerAccountId: "g-1", email: "pw@oauth.example", name: null, emailVerified: true })).toBe(existing.user.id);
    expect(await db.membership.count({ where: { userId: existing.user.id } })).toBe(1); // no second workspace
  });
});
