// One-click unsubscribe (RFC 8058): mail clients POST here; a person clicking the link gets a page
// with a confirm button (so link scanners that only GET never unsubscribe anyone).
import { unsubscribe, verifyUnsubscribeToken } from "@/lib/email/unsubscribe";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

const page = (body: string, status = 200) =>
  new Response(`<!DOCTYPE html><html><head><meta charset="utf-8"><title>Spendlens email preferences</title></head><body style="font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto">${body}</body></html>`, {
    status,
    headers: { "content-type": "text/html; charset=utf-8" },
  });

export async function GET(req: Request) {
  const token = new URL(req.url).searchParams.get("token") ?? "";
  if (!verifyUnsubscribeToken(token)) return page("<h1>Invalid link</h1><p>This unsubscribe link is not valid.</p>", 400);
  return page(
    `<h1>Unsubscribe from weekly reports?</h1><form method="post"><input type="hidden" name="token" value="${token.replace(/"/g, "&quot;")}"><button type="submit">Unsubscribe</button></form>`,
  );
}

export async function POST(req: Request) {
  const url = new URL(req.url);
  let token = url.searchParams.get("token") ?? "";
  if (!token) {
    const form = await req.formData().catch(() => null);
    token = String(form?.get("token") ?? "");
  }
  if (!(await unsubscribe(token))) return page("<h1>Invalid link</h1><p>This unsubscribe link is not valid.</p>", 400);
  return page("<h1>Unsubscribed</h1><p>You will no longer receive weekly reports for this organization. You can opt in again from your settings.</p>");
}
