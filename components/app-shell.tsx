"use client";
// The signed-in frame: organization and project switchers, the project nav, the user menu.
import Link from "next/link";
import { useParams, usePathname, useRouter } from "next/navigation";
import type { ReactNode } from "react";
import { SignOutButton } from "./auth/sign-out-button";

type Org = { slug: string; name: string; role: string };
type Project = { slug: string; name: string };

const NAV = [
  { segment: "overview", label: "Overview" },
  { segment: "calls", label: "Calls" },
  { segment: "savings", label: "Savings" },
  { segment: "settings", label: "Settings" },
];

export function AppShell(props: {
  organization: { slug: string; name: string };
  role: string;
  organizations: Org[];
  projects: Project[];
  user: { email: string; name: string | null };
  children: ReactNode;
}) {
  const router = useRouter();
  const pathname = usePathname();
  const params = useParams<{ project?: string }>();
  const org = props.organization.slug;
  const current = props.projects.find((p) => p.slug === params.project);
  const orgSettingsPath = `/${org}/settings`;

  return (
    <>
      <header className="shell-top">
        <div className="shell-bar">
          <Link href="/" className="brand" aria-label="Spendlens home">
            <span className="brand-mark" aria-hidden />
          </Link>
          <div className="switcher">
            <label htmlFor="org-switcher" className="switcher-label">Organization</label>
            <select
              id="org-switcher"
              className="select"
              value={org}
              onChange={(e) => router.push(`/${e.target.value}`)}
              data-testid="org-switcher"
            >
              {props.organizations.map((o) => (
                <option key={o.slug} value={o.slug}>
                  {o.name}
                </option>
              ))}
            </select>
          </div>
          <span className="shell-sep" aria-hidden>/</span>
          <div className="switcher">
            <label htmlFor="project-switcher" className="switcher-label">Project</label>
            <select
              id="project-switcher"
              className="select"
              value={current?.slug ?? ""}
              onChange={(e) => router.push(e.target.value ? `/${org}/${e.target.value}/overview` : orgSettingsPath)}
              data-testid="project-switcher"
            >
              {!current ? <option value="">All projects</option> : null}
              {props.projects.map((p) => (
                <option key={p.slug} value={p.slug}>
                  {p.name}
                </option>
              ))}
            </select>
          </div>
          <Link href={orgSettingsPath} className="small" aria-current={pathname === orgSettingsPath ? "page" : undefined}>
            Organization settings
          </Link>
          <Link href={`/${org}/reports`} className="small" aria-current={pathname === `/${org}/reports` ? "page" : undefined}>
            Weekly report
          </Link>
          {props.role === "ADMIN" || props.role === "OWNER" ? (
            <Link href={`/${org}/outbox`} className="small" aria-current={pathname.startsWith(`/${org}/outbox`) ? "page" : undefined}>
              Outbox
            </Link>
          ) : null}
          <span className="spacer" />
          <div className="shell-user">
            <span title={props.user.email}>{props.user.name ?? props.user.email}</span>
            <span className="badge">{props.role}</span>
            <SignOutButton />
          </div>
        </div>
        {current ? (
          <nav className="shell-nav" aria-label="Project">
            {NAV.map((item) => {
              const href = `/${org}/${current.slug}/${item.segment}`;
              const active = pathname === href || pathname.startsWith(`${href}/`);
              return (
                <Link key={item.segment} href={href} aria-current={active ? "page" : undefined}>
                  {item.label}
                </Link>
              );
            })}
          </nav>
        ) : null}
      </header>
      <main className="shell-main">{props.children}</main>
    </>
  );
}
