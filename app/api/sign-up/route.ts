import { sendVerificationEmail } from "@/lib/auth/email-verification";
import { clientAddress, rateLimitedResponse, takeRateLimit } from "@/lib/auth/sign-in-rate-limit";
import { signUp } from "@/lib/auth/sign-up";
import { readJsonObject } from "@/lib/http/fields";
import { jsonRoute } from "@/lib/http/route";

/**
 * POST { name, email, password } -> 201 { user, organization, project, verificationEmail }; the client then signs in.
 * Every attempt (refused ones included) counts against the per-address sign-up limit, checked before the
 * body is read: over it, 429 + Retry-After, and no password is hashed and no mail sent.
 */
export const POST = jsonRoute(async (req) => {
  // A route handler's Request carries no peer address: clientAddress decides from the headers.
  const rate = takeRateLimit("sign-up", clientAddress(req.headers));
  if (!rate.ok) return rateLimitedResponse("sign-up", rate.retryAfterSec);
  const body = await readJsonObject(req);
  const created = await signUp({ name: body.name, email: body.email, password: body.password });
  // A mail failure must not undo the sign-up: the account works, the address stays unverified.
  const verificationEmail = await sendVerificationEmail(created.user).then(
    (r) => r.status,
    (err: Error) => `failed: ${err.message}`,
  );
  return [201, { ...created, verificationEmail }];
});
