import type { Metadata } from "next";
import { formatDateTime } from "@/components/format";
import { ApiKeysPanel } from "@/components/settings/api-keys-panel";
import { DistilledModelsPanel } from "@/components/settings/distilled-models";
import { MembersPanel } from "@/components/settings/members-panel";
import { RenameForm } from "@/components/settings/rename-form";
import { requireSession } from "@/lib/auth/guards";
import { guardPage } from "@/lib/http/page-guard";
import { loadProjectSettings } from "@/lib/orgs/page-loaders";

export const metadata: Metadata = { title: "Project settings" };

export default async function ProjectSettingsPage({ params }: { params: Promise<{ org: string; project: string }> }) {
  const { org, project } = await params;
  const { user, data } = await guardPage(async () => {
    const user = await requireSession();
    return { user, data: await loadProjectSettings(user.id, org, project) };
  }, `/${org}/${project}/settings`);
  const tz = data.organization.timezone;
  const apiBase = `/api/orgs/${encodeURIComponent(org)}/projects/${encodeURIComponent(project)}`;
  return (
    <div className="stack">
      <div className="page-head">
        <h1>Project settings</h1>
        {!data.canManage ? <span className="muted small">You are {data.membership.role}: you can see settings but not change them.</span> : null}
      </div>

      <section className="card" aria-labelledby="project-heading">
        <h2 id="project-heading">Project</h2>
        <p className="muted small">
          URL name: <code>{data.project.slug}</code> (stays the same when you rename the project).
        </p>
        <RenameForm url={apiBase} label="Project name" initialName={data.project.name} disabled={!data.canManage} />
      </section>

      <section className="card" aria-labelledby="keys-heading">
        <div className="card-head">
          <h2 id="keys-heading">API keys</h2>
          <span className="muted small">Used by the SDK, the proxy and the ingest API to log calls into this project.</span>
        </div>
        <ApiKeysPanel
          keysUrl={`${apiBase}/keys`}
          canManage={data.canManage}
          keys={data.keys.map((k) => ({
            id: k.id,
            name: k.name,
            prefix: k.prefix,
            created: formatDateTime(k.createdAt, tz),
            lastUsed: k.lastUsedAt ? formatDateTime(k.lastUsedAt, tz) : "Never",
            createdBy: k.createdBy?.email ?? null,
            revoked: k.revokedAt ? formatDateTime(k.revokedAt, tz) : null,
          }))}
        />
      </section>

      <DistilledModelsPanel projectId={data.project.id} url={`${apiBase}/distilled`} canManage={data.canManage} timeZone={tz} />

      <section className="card" aria-labelledby="members-heading">
        <div className="card-head">
          <h2 id="members-heading">Members of {data.organization.name}</h2>
          <span className="muted small">Members see every project of the organization.</span>
        </div>
        <MembersPanel
          orgSlug={org}
          actorRole={data.membership.role}
          members={data.members.map((m) => ({
            id: m.id,
            email: m.email,
            name: m.name,
            role: m.role,
            joined: formatDateTime(m.joinedAt, tz),
            isSelf: m.userId === user.id,
          }))}
          invitations={data.invitations.map((i) => ({
            id: i.id,
            email: i.email,
            role: i.role,
            expires: formatDateTime(i.expiresAt, tz),
            delivery: { ...i.emailDelivery, at: "at" in i.emailDelivery ? formatDateTime(i.emailDelivery.at, tz) : undefined },
          }))}
        />
      </section>
    </div>
  );
}
