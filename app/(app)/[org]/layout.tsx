import type { ReactNode } from "react";
import { AppShell } from "@/components/app-shell";
import { requireSession } from "@/lib/auth/guards";
import { guardPage } from "@/lib/http/page-guard";
import { loadShell } from "@/lib/orgs/page-loaders";

export const dynamic = "force-dynamic";

export default async function OrgLayout({ children, params }: { children: ReactNode; params: Promise<{ org: string }> }) {
  const { org } = await params;
  const { user, shell } = await guardPage(async () => {
    const user = await requireSession();
    return { user, shell: await loadShell(user.id, org) };
  }, `/${org}`);
  return (
    <AppShell
      organization={{ slug: shell.organization.slug, name: shell.organization.name }}
      role={shell.membership.role}
      organizations={shell.organizations.map((o) => ({ slug: o.slug, name: o.name, role: o.role }))}
      projects={shell.projects.map((p) => ({ slug: p.slug, name: p.name }))}
      user={{ email: user.email, name: user.name }}
    >
      {children}
    </AppShell>
  );
}
