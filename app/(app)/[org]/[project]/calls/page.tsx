import type { Metadata } from "next";
import { requireSession } from "@/lib/auth/guards";
import { guardPage } from "@/lib/http/page-guard";
import { loadProjectPage } from "@/lib/orgs/page-loaders";

export const metadata: Metadata = { title: "Calls" };

export default async function CallsPage({ params }: { params: Promise<{ org: string; project: string }> }) {
  const { org, project } = await params;
  const data = await guardPage(async () => loadProjectPage((await requireSession()).id, org, project), `/${org}/${project}/calls`);
  return (
    <div className="stack">
      <div className="page-head">
        <h1>Calls</h1>
      </div>
      <div className="card">
        <h2>Every LLM call of {data.project.name}</h2>
        <p className="muted">
          This page will list each call as it arrives: time, model, tokens in and out, cost, latency, feature and user tags, with
          filters and the full request and response one click away.
        </p>
      </div>
    </div>
  );
}
