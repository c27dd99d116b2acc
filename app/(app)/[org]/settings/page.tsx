import type { Metadata } from "next";
import Link from "next/link";
import { formatDateTime } from "@/components/format";
import { CreateProjectForm } from "@/components/settings/create-project-form";
import { DeleteOrganization } from "@/components/settings/delete-organization";
import { OrganizationForm } from "@/components/settings/organization-form";
import { requireSession } from "@/lib/auth/guards";
import { guardPage } from "@/lib/http/page-guard";
import { loadOrgSettings } from "@/lib/orgs/page-loaders";

export const metadata: Metadata = { title: "Organization settings" };

export default async function OrgSettingsPage({ params }: { params: Promise<{ org: string }> }) {
  const { org } = await params;
  const data = await guardPage(async () => loadOrgSettings((await requireSession()).id, org), `/${org}/settings`);
  const tz = data.organization.timezone;
  return (
    <div className="stack">
      <div className="page-head">
        <h1>Organization settings</h1>
        {!data.canManage ? <span className="muted small">You are {data.membership.role}: you can see settings but not change them.</span> : null}
      </div>

      <section className="card" aria-labelledby="org-heading">
        <h2 id="org-heading">Organization</h2>
        <OrganizationForm orgSlug={org} name={data.organization.name} timezone={tz} timezones={Intl.supportedValuesOf("timeZone")} disabled={!data.canManage} />
      </section>

      <section className="card" aria-labelledby="projects-heading">
        <div className="card-head">
          <h2 id="projects-heading">Projects</h2>
          <span className="muted small">Each project has its own calls, keys and savings.</span>
        </div>
        <div className="table-wrap">
          <table className="table" data-testid="projects-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>URL name</th>
                <th>Created</th>
                <th aria-label="Links" />
              </tr>
            </thead>
            <tbody>
              {data.projects.map((p) => (
                <tr key={p.id}>
                  <td>
                    <Link href={`/${org}/${p.slug}/overview`}>{p.name}</Link>
                  </td>
                  <td>
                    <code>{p.slug}</code>
                  </td>
                  <td>{formatDateTime(p.createdAt, tz)}</td>
                  <td>
                    <Link className="small" href={`/${org}/${p.slug}/settings`}>Settings</Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {data.canManage ? <CreateProjectForm orgSlug={org} /> : null}
      </section>

      {data.isOwner ? (
        <section className="card" aria-labelledby="danger-heading">
          <h2 id="danger-heading">Delete organization</h2>
          <p className="muted small">Deletes every project, call, key and finding of {data.organization.name}. This cannot be undone.</p>
          <DeleteOrganization orgSlug={org} />
        </section>
      ) : null}
    </div>
  );
}
