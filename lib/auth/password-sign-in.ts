// Email + password check with lockout: after LOCKOUT.freeAttempts consecutive failures the account
// is locked for a time that doubles with each further failure (capped), and a success resets it.
// While locked the password is not even checked, so guessing makes no progress.
import { db } from "../db/client";
import { dummyPasswordHash, verifyPassword } from "./password";

export const LOCKOUT = { freeAttempts: 5, firstLockMs: 60_000, maxLockMs: 15 * 60_000 } as const;

export type PasswordSignIn =
  | { ok: true; user: { id: string; email: string; name: string | null } }
  | { ok: false; reason: "invalid" }
  | { ok: false; reason: "locked"; lockedUntil: Date };

export function lockDurationMs(failedCount: number): number {
  if (failedCount < LOCKOUT.freeAttempts) return 0;
  return Math.min(LOCKOUT.firstLockMs * 2 ** (failedCount - LOCKOUT.freeAttempts), LOCKOUT.maxLockMs);
}

export function lockedMessage(until: Date, now = new Date()): string {
  const minutes = Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 60_000));
  return `Too many failed sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`;
}

export async function signInWithPassword(rawEmail: unknown, password: unknown): Promise<PasswordSignIn> {
  const email = typeof rawEmail === "string" ? rawEmail.trim().toLowerCase() : "";
  const pw = typeof password === "string" ? password : "";
  const user = email
    ? await db.user.findUnique({
        where: { email },
        select: { id: true, email: true, name: true, passwordHash: true, lockedUntil: true },
      })
    : null;
  if (!user || !user.passwordHash || !pw) {
    await verifyPassword(pw || "x", await dummyPasswordHash());
    return { ok: false, reason: "invalid" };
  }
  const now = new Date();
  if (user.lockedUntil && user.lockedUntil > now) return { ok: false, reason: "locked", lockedUntil: user.lockedUntil };
  if (await verifyPassword(pw, user.passwordHash)) {
    await db.user.update({ where: { id: user.id }, data: { failedLoginCount: 0, lockedUntil: null } });
    return { ok: true, user: { id: user.id, email: user.email, name: user.name } };
  }
  // Increment in the database, not from the value read above, so parallel guesses all count.
  const after = await db.user.update({
    where: { id: user.id },
    data: { failedLoginCount: { increment: 1 } },
    select: { failedLoginCount: true },
  });
  const lockMs = lockDurationMs(after.failedLoginCount);
  if (lockMs > 0) {
    const lockedUntil = new Date(now.getTime() + lockMs);
    await db.user.update({ where: { id: user.id }, data: { lockedUntil } });
    return { ok: false, reason: "locked", lockedUntil };
  }
  return { ok: false, reason: "invalid" };
}
