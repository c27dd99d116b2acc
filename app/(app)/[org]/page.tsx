import { redirect } from "next/navigation";
import { requireSession } from "@/lib/auth/guards";
import { guardPage } from "@/lib/http/page-guard";
import { firstProjectPath, loadShell } from "@/lib/orgs/page-loaders";

export default async function OrgHome({ params }: { params: Promise<{ org: string }> }) {
  const { org } = await params;
  const path = await guardPage(async () => {
    const user = await requireSession();
    await loadShell(user.id, org);
    return firstProjectPath(user.id, org);
  }, `/${org}`);
  redirect(path ?? `/${org}/settings`);
}
