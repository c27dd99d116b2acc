import type { Metadata } from "next";
import { requireSession } from "@/lib/auth/guards";
import { guardPage } from "@/lib/http/page-guard";
import { loadProjectPage } from "@/lib/orgs/page-loaders";

export const metadata: Metadata = { title: "Savings" };

export default async function SavingsPage({ params }: { params: Promise<{ org: string; project: string }> }) {
  const { org, project } = await params;
  const data = await guardPage(async () => loadProjectPage((await requireSession()).id, org, project), `/${org}/${project}/savings`);
  return (
    <div className="stack">
      <div className="page-head">
        <h1>Savings</h1>
      </div>
      <div className="card">
        <h2>What {data.project.name} could stop paying for</h2>
        <p className="muted">
          Once calls arrive and analyses run, this page shows each saving in dollars per month with its evidence: a cheaper model
          that gives the same answers, prompts that repeat the same words, questions a cache could answer, work that can wait for
          a batch, and classification calls a small local model could take over.
        </p>
      </div>
    </div>
  );
}
