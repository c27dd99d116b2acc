// Shared set-up for tests that call app/api route handlers directly on a real database (the proxy rule
// and distilled-model APIs): people who sign up with their own organization and a real session
// cookie, joining another organization by invitation, and one call of a handler as a browser would.
import { sessionCookieFor } from "../auth/session";
import { signUp } from "../auth/sign-up";
import { acceptInvitation, createInvitation } from "../orgs/invitations";

type Handler = (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>;

/** Call a route handler with `params` (the dynamic segments), a session cookie and a JSON body; the answer's status and JSON. */
export async function callRoute(handler: unknown, method: string, params: Record<string, string>, opts: { cookie?: string; body?: unknown } = {}) {
  const headers: Record<string, string> = {};
  if (opts.cookie) headers.cookie = opts.cookie;
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  const req = new Request("http://localhost:3000/api/test", { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  const res = await (handler as Handler)(req, { params: Promise.resolve(params) });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}

/** A signed-up user with their own organization and project, and their session cookie. */
export type Workspace = Awaited<ReturnType<typeof signUp>> & { cookie: string };

/** Sign `name` up (<name>@example.com): they own a new organization with a project. */
export async function signUpWorkspace(name: string): Promise<Workspace> {
  const out = await signUp({ name, email: `${name.toLowerCase()}@example.com`, password: `${name}-password` });
  return { ...out, cookie: await sessionCookieFor(out.user) };
}

/** `who` joins the organization of `owner` with `role`, invited by the owner. */
export async function joinOrganization(owner: Workspace, who: Workspace, role: "VIEWER" | "MEMBER" | "ADMIN"): Promise<void> {
  const { token } = await createInvitation({ organizationId: owner.organization.id, email: who.user.email, role, actor: { userId: owner.user.id, role: "OWNER" } });
  await acceptInvitation({ token, userId: who.user.id });
}
