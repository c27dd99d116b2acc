import { signUp } from "@/lib/auth/sign-up";
import { readJsonObject } from "@/lib/http/fields";
import { jsonRoute } from "@/lib/http/route";

/** POST { name, email, password } -> 201 { user, organization, project }; the client then signs in. */
export const POST = jsonRoute(async (req) => {
  const body = await readJsonObject(req);
  const created = await signUp({ name: body.name, email: body.email, password: body.password });
  return [201, created];
});
