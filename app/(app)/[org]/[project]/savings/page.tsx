import type { Metadata } from "next";
import Link from "next/link";
import { SavingsView } from "@/components/dashboard/savings-view";
import { requireSession } from "@/lib/auth/guards";
import { roleAtLeast } from "@/lib/auth/roles";
import { guardPage } from "@/lib/http/page-guard";
import { loadProjectPage } from "@/lib/orgs/page-loaders";
import { listAnalysisRuns } from "@/lib/recommend/analysis-runs";
import { getSavingsSummary } from "@/lib/recommend/findings";
import { realisedSavings } from "@/lib/recommend/realised";

export const metadata: Metadata = { title: "Savings" };

export default async function SavingsPage({ params }: { params: Promise<{ org: string; project: string }> }) {
  const { org, project } = await params;
  const { access, summary, realised, runs } = await guardPage(async () => {
    const access = await loadProjectPage((await requireSession()).id, org, project);
    const now = new Date();
    const [summary, realised, runs] = await Promise.all([getSavingsSummary(access.project.id, now), realisedSavings(access.project.id, now), listAnalysisRuns(access.project.id)]);
    return { access, summary, realised, runs };
  }, `/${org}/${project}/savings`);
  const apiBase = `/api/orgs/${encodeURIComponent(org)}/projects/${encodeURIComponent(project)}`;
  return (
    <div className="stack">
      <div className="page-head">
        <div>
          <h1>Savings</h1>
          <p className="muted small" style={{ margin: 0 }}>
            What {access.project.name} could stop paying for, in dollars per month, with the evidence. Spend by model and feature is on the{" "}
            <Link href={`/${org}/${project}/overview`}>overview</Link>.
          </p>
        </div>
      </div>
      <SavingsView
        apiBase={apiBase}
        callsPath={`/${org}/${project}/calls`}
        initial={{ ...summary, realised }}
        runs={runs}
        canDecide={roleAtLeast(access.membership.role, "MEMBER")}
        canApplyRoutes={roleAtLeast(access.membership.role, "ADMIN")}
      />
    </div>
  );
}
