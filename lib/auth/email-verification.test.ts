import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
process.env.NEXTAUTH_SECRET ??= "test-secret-for-email-verification";

import { db } from "../db/client";
import { useTestDatabase } from "../db/testing";
import * as signUpRoute from "../../app/api/sign-up/route";
import * as verifyRoute from "../../app/api/email/verify/route";
import { emailVerificationToken, verifyEmail, VERIFY_LINK_TTL_MS } from "./email-verification";

useTestDatabase();

beforeAll(() => {
  process.env.NEXTAUTH_URL = "http://localhost:3998";
});

describe("email verification", () => {
  it("mails a link on sign-up through the delivery path; opening it verifies the address", async () => {
    const email = `new-${Date.now()}@example.com`;
    const res = await signUpRoute.POST(
      new Request("http://localhost:3998/api/sign-up", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "New", email, password: "a-long-password" }) }),
      { params: Promise.resolve({}) },
    );
    expect(res.status).toBe(201);
    expect(((await res.json()) as { verificationEmail: string }).verificationEmail).toBe("sent");
    const message = await db.emailMessage.findFirstOrThrow({ where: { to: email, kind: "verify-email" } });
    expect(message.status).toBe("sent");
    // Without SMTP the message is an .eml file in the outbox: read the link from it.
    const eml = readFileSync(message.emlPath!, "utf8").replace(/=\r?\n/g, "").replace(/=3D/g, "=");
    const link = /(http:\/\/localhost:3998\/api\/email\/verify\?token=[A-Za-z0-9._%-]+)/.exec(eml)![1];
    const user = await db.user.findUniqueOrThrow({ where: { email } });
    expect(user.emailVerifiedAt).toBeNull();
    const opened = await verifyRoute.GET(new Request(link));
    expect(opened.status).toBe(200);
    expect((await db.user.findUniqueOrThrow({ where: { email } })).emailVerifiedAt).not.toBeNull();
  });

  it("refuses forged, expired and out-of-date links", async () => {
    const user = await db.user.create({ data: { email: `old-${Date.now()}@example.com` } });
    const token = emailVerificationToken(user);
    expect(await verifyEmail(token.slice(0, -3) + "abc")).toBe("invalid");
    expect(await verifyEmail(emailVerificationToken(user, Date.now() - VERIFY_LINK_TTL_MS - 1000))).toBe("expired");
    await db.user.update({ where: { id: user.id }, data: { email: `changed-${Date.now()}@example.com` } });
    expect(await verifyEmail(token)).toBe("stale");
    expect((await db.user.findUniqueOrThrow({ where: { id: user.id } })).emailVerifiedAt).toBeNull();
    const res = await verifyRoute.GET(new Request("http://localhost:3998/api/email/verify?token=nope"));
    expect(res.status).toBe(400);
  });
});
