import type { Metadata } from "next";
import { headers } from "next/headers";
import Link from "next/link";
import { OnboardingActions } from "@/components/dashboard/onboarding-actions";
import { OverviewDashboard } from "@/components/dashboard/overview-dashboard";
import { parseRange } from "@/components/dashboard/range";
import { FirstCallGuide } from "@/components/first-call-guide";
import { requireSession } from "@/lib/auth/guards";
import { getOverview } from "@/lib/dashboard/overview";
import { roleAtLeast } from "@/lib/auth/roles";
import { guardPage } from "@/lib/http/page-guard";
import { serverUrls } from "@/lib/http/server-urls";
import { loadOverview } from "@/lib/orgs/page-loaders";

export const metadata: Metadata = { title: "Overview" };

export default async function OverviewPage({ params }: { params: Promise<{ org: string; project: string }> }) {
  const { org, project } = await params;
  const data = await guardPage(async () => loadOverview((await requireSession()).id, org, project), `/${org}/${project}/overview`);
  const settingsPath = `/${org}/${project}/settings`;

  const apiBase = `/api/orgs/${encodeURIComponent(org)}/projects/${encodeURIComponent(project)}`;

  if (data.hasCalls) {
    // First paint with the last 7 days; the range picker refetches from the overview route.
    const range = parseRange(new URLSearchParams());
    const overview = await getOverview(data.project.id, { from: range.from, to: range.to });
    return (
      <div className="stack">
        <div className="page-head">
          <div>
            <h1>{data.project.name}</h1>
            <p className="muted small" style={{ margin: 0 }}>
              <strong data-testid="call-count">{data.callCount >= 10_000 ? "10,000+" : data.callCount.toLocaleString("en-US")}</strong> calls recorded so far ·{" "}
              <Link href={`/${org}/${project}/calls`}>explore calls</Link> · <Link href={`/${org}/${project}/savings`}>what to cut</Link>
            </p>
          </div>
        </div>
        <OverviewDashboard
          apiUrl={`${apiBase}/overview`}
          initial={{ overview, choice: range.choice }}
          timeZone={data.organization.timezone}
          callsPath={`/${org}/${project}/calls`}
        />
      </div>
    );
  }

  const urls = serverUrls(await headers());
  const canManage = roleAtLeast(data.membership.role, "ADMIN");
  const keyPlaceholder = data.activeKey ? `${data.activeKey.prefix}_…` : "sl_…";
  return (
    <div className="stack">
      <div className="page-head">
        <div>
          <h1>{data.project.name}</h1>
          <p className="muted">No calls yet. Send your first one and Spendlens starts measuring what it costs.</p>
        </div>
      </div>
      <div className="card" data-testid="try-it">
        <h2>Just looking?</h2>
        <p className="muted">
          Send one test call to see it arrive, or load 30 days of realistic demo traffic (a support classifier, a router, a reply
          drafter, a nightly batch job and chat, built from public data sets) to see charts and savings right away.
        </p>
        <OnboardingActions apiBase={apiBase} canSendTestCall={roleAtLeast(data.membership.role, "MEMBER")} canLoadDemo={canManage} />
        {!canManage ? <p className="muted small">Loading demo data needs the ADMIN role.</p> : null}
      </div>
      <div className="card" data-testid="empty-overview">
        <ol className="steps">
          <li>
            <h2>Get an API key for this project</h2>
            {data.activeKey ? (
              <p>
                This project has a key: <code>{data.activeKey.prefix}</code> ({data.activeKey.name}). The full key was shown once when it was
                created; {canManage ? <Link href={settingsPath}>create a new one</Link> : "ask an admin for a new one"} if you did not keep it.
              </p>
            ) : canManage ? (
              <p>
                <Link href={settingsPath}>Create a key in Settings</Link>. It is shown once: put it in your app&apos;s environment as{" "}
                <code>SPENDLENS_API_KEY</code>.
              </p>
            ) : (
              <p>Ask an admin of this organization to create a key for this project.</p>
            )}
          </li>
          <li>
            <h2>Send a call through Spendlens</h2>
            <FirstCallGuide appUrl={urls.appUrl} proxyUrl={urls.proxyOpenAiUrl} keyPlaceholder={keyPlaceholder} />
          </li>
          <li>
            <h2>Come back here</h2>
            <p className="muted">Calls show up within seconds. Cost per model and feature and savings suggestions follow as data comes in.</p>
          </li>
        </ol>
      </div>
    </div>
  );
}
