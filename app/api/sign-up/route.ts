import { sendVerificationEmail } from "@/lib/auth/email-verification";
import { signUp } from "@/lib/auth/sign-up";
import { readJsonObject } from "@/lib/http/fields";
import { jsonRoute } from "@/lib/http/route";

/** POST { name, email, password } -> 201 { user, organization, project, verificationEmail }; the client then signs in. */
export const POST = jsonRoute(async (req) => {
  const body = await readJsonObject(req);
  const created = await signUp({ name: body.name, email: body.email, password: body.password });
  // A mail failure must not undo the sign-up: the account works, the address stays unverified.
  const verificationEmail = await sendVerificationEmail(created.user).then(
    (r) => r.status,
    (err: Error) => `failed: ${err.message}`,
  );
  return [201, { ...created, verificationEmail }];
});
