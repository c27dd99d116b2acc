import { describe, expect, it } from "vitest";
import { db } from "../db/client";
import { useTestDatabase } from "../db/testing";
import { ValidationError } from "../http/errors";
import { LIMITS } from "../http/fields";
import { LOCKOUT, lockDurationMs, signInWithPassword } from "./password-sign-in";
import { DUPLICATE_EMAIL_MESSAGE, signUp } from "./sign-up";

useTestDatabase();

async function fieldErrors(p: Promise<unknown>): Promise<Record<string, string>> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ValidationError);
  return (err as ValidationError).fields;
}

describe("signUp", () => {
  it("creates the user, a personal organization they own, and a first project", async () => {
    const out = await signUp({ name: "Ada Lovelace", email: "  Ada@Example.COM ", password: "analytical-engine" });
    expect(out.user.email).toBe("ada@example.com");
    const user = await db.user.findUniqueOrThrow({ where: { id: out.user.id } });
    expect(user.passwordHash).toMatch(/^scrypt\$/);
    expect(user.passwordHash).not.toContain("analytical-engine");
    const memberships = await db.membership.findMany({ where: { userId: out.user.id }, include: { organization: { include: { projects: true } } } });
    expect(memberships).toHaveLength(1);
    expect(memberships[0].role).toBe("OWNER");
    expect(memberships[0].organization.name).toBe("Ada Lovelace's organization");
    expect(memberships[0].organization.projects.map((p) => p.slug)).toEqual([out.project.slug]);
    const audit = await db.auditLog.findMany({ where: { organizationId: out.organization.id } });
    expect(audit.map((a) => a.action).sort()).toEqual(["organization.create", "project.create"]);
  });

  it("refuses a duplicate email (any case) with a clear message on the email field", async () => {
    await signUp({ name: "First", email: "dup@example.com", password: "password-one" });
    const fields = await fieldErrors(signUp({ name: "Second", email: "DUP@example.com", password: "password-two" }));
    expect(fields).toEqual({ email: DUPLICATE_EMAIL_MESSAGE });
    expect(await db.user.count({ where: { email: "dup@example.com" } })).toBe(1);
  });

  it("refuses two simultaneous sign-ups with one email, keeping exactly one account", async () => {
    const results = await Promise.allSettled([
      signUp({ name: "A", email: "race@example.com", password: "password-aaa" }),
      signUp({ name: "B", email: "race@example.com", password: "password-bbb" }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const rejected = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect((rejected.reason as ValidationError).fields.email).toBe(DUPLICATE_EMAIL_MESSAGE);
    expect(await db.organization.count({ where: { memberships: { some: { user: { email: "race@example.com" } } } } })).toBe(1);
  });

  it("names each bad field: empty password, malformed email, over-long name", async () => {
    expect(await fieldErrors(signUp({ name: "Ok", email: "ok@example.com", password: "" }))).toEqual({
      password: "Password must not be empty.",
    });
    expect(await fieldErrors(signUp({ name: "Ok", email: "not-an-email", password: "long-enough" }))).toEqual({
      email: "Email is not a valid email address.",
    });
    expect(await fieldErrors(signUp({ name: "x".repeat(LIMITS.nameMax + 1), email: "ok@example.com", password: "long-enough" }))).toEqual({
      name: `Name must be at most ${LIMITS.nameMax} characters.`,
    });
    const all = await fieldErrors(signUp({ name: "", email: "a@b", password: "short" }));
    expect(Object.keys(all).sort()).toEqual(["email", "name", "password"]);
    expect(all.password).toMatch(/^Password must be at least 8 characters/);
    expect(await db.user.count({ where: { email: { in: ["ok@example.com", "a@b"] } } })).toBe(0);
  });
});

describe("signInWithPassword and lockout", () => {
  it("accepts the right password and rejects wrong or unknown ones the same way", async () => {
    await signUp({ name: "Grace", email: "grace@example.com", password: "cobol-forever" });
    const ok = await signInWithPassword("GRACE@example.com", "cobol-forever");
    expect(ok.ok && ok.user.email).toBe("grace@example.com");
    expect(await signInWithPassword("grace@example.com", "wrong-password")).toEqual({ ok: false, reason: "invalid" });
    expect(await signInWithPassword("nobody@example.com", "cobol-forever")).toEqual({ ok: false, reason: "invalid" });
  });

  it(`locks the account after ${LOCKOUT.freeAttempts} failures, even for the right password, then recovers`, async () => {
    await signUp({ name: "Linus", email: "linus@example.com", password: "right-password" });
    for (let i = 1; i < LOCKOUT.freeAttempts; i++) {
      expect(await signInWithPassword("linus@example.com", `wrong-${i}`)).toEqual({ ok: false, reason: "invalid" });
    }
    const locked = await signInWithPassword("linus@example.com", "wrong-last");
    expect(locked.ok).toBe(false);
    expect(!locked.ok && locked.reason).toBe("locked");
    // Locked: the right password does not get in, and does not reset the counter.
    const stillLocked = await signInWithPassword("linus@example.com", "right-password");
    expect(!stillLocked.ok && stillLocked.reason).toBe("locked");
    const row = await db.user.findUniqueOrThrow({ where: { email: "linus@example.com" } });
    expect(row.failedLoginCount).toBe(LOCKOUT.freeAttempts);
    expect(row.lockedUntil!.getTime()).toBeGreaterThan(Date.now() + LOCKOUT.firstLockMs - 5_000);

    // When the lock has run out, the right password works and clears the count.
    await db.user.update({ where: { id: row.id }, data: { lockedUntil: new Date(Date.now() - 1000) } });
    const ok = await signInWithPassword("linus@example.com", "right-password");
    expect(ok.ok).toBe(true);
    const after = await db.user.findUniqueOrThrow({ where: { id: row.id } });
    expect(after.failedLoginCount).toBe(0);
    expect(after.lockedUntil).toBeNull();
  });

  it("doubles the lock with each further failure, up to the cap", () => {
    expect(lockDurationMs(LOCKOUT.freeAttempts - 1)).toBe(0);
    expect(lockDurationMs(LOCKOUT.freeAttempts)).toBe(LOCKOUT.firstLockMs);
    expect(lockDurationMs(LOCKOUT.freeAttempts + 1)).toBe(2 * LOCKOUT.firstLockMs);
    expect(lockDurationMs(LOCKOUT.freeAttempts + 30)).toBe(LOCKOUT.maxLockMs);
  });
});
