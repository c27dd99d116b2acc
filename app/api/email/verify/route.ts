// The link in the verification email: a signed, expiring token names the user and the address.
import { verifyEmail } from "@/lib/auth/email-verification";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

const MESSAGES = {
  verified: ["Email confirmed", "Thank you: your email address is confirmed."],
  invalid: ["Invalid link", "This confirmation link is not valid."],
  expired: ["Link expired", "This confirmation link has expired. Sign in to get a new one."],
  stale: ["Link out of date", "This link was sent to an address the account no longer uses."],
} as const;

export async function GET(req: Request) {
  const outcome = await verifyEmail(new URL(req.url).searchParams.get("token") ?? "");
  const [title, text] = MESSAGES[outcome];
  return new Response(
    `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${title}</title></head><body style="font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto"><h1>${title}</h1><p>${text}</p><p><a href="/">Open Spendlens</a></p></body></html>`,
    { status: outcome === "verified" ? 200 : 400, headers: { "content-type": "text/html; charset=utf-8" } },
  );
}
