import NextAuth from "next-auth";
import { buildAuthOptions } from "@/lib/auth/options";

type Ctx = { params: Promise<{ nextauth: string[] }> };

// Options are built per request so NEXTAUTH_SECRET and OAuth env vars are read at run time, not build time.
async function handler(req: Request, ctx: Ctx) {
  return NextAuth(req as never, ctx as never, buildAuthOptions());
}

export { handler as GET, handler as POST };
