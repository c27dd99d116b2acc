"use client";
// Organization members (change role, remove) and invitations by link (create, copy, revoke), each
// pending invitation with what became of its email when the page passes it.
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { ROLES, ROLE_DESCRIPTIONS, type Role } from "@/lib/auth/roles";
import { CopyButton } from "../copy-button";
import { Field, FormError, SelectField, SubmitButton } from "../form-controls";
import { sendJson } from "../send-json";

export type MemberRow = { id: string; email: string; name: string | null; role: Role; joined: string; isSelf: boolean };
/**
 * What became of an invitation's email (lib/email/delivery-status.ts): "emailed" over SMTP (with the
 * formatted date), "outbox" (no SMTP: an .eml file; messageId links to its outbox page), "failed", "sending"
 * or "none" (no email attempted).
 */
export type InvitationEmail = { state: "emailed" | "outbox" | "failed" | "sending" | "none"; at?: string; reason?: string; messageId?: string };
export type InvitationRow = { id: string; email: string; role: Role; expires: string; delivery?: InvitationEmail };

function InvitationEmailNote({ orgSlug, delivery }: { orgSlug: string; delivery: InvitationEmail }) {
  const outboxLink = (label: string) =>
    delivery.messageId ? <Link href={`/${encodeURIComponent(orgSlug)}/outbox/${encodeURIComponent(delivery.messageId)}`}>{label}</Link> : label;
  switch (delivery.state) {
    case "emailed":
      return <div className="muted small" data-testid="invitation-email">emailed {delivery.at}</div>;
    case "outbox":
      return <div className="muted small" data-testid="invitation-email">{outboxLink("in outbox")} (no SMTP server configured){delivery.at ? `, ${delivery.at}` : ""}</div>;
    case "failed":
      return <div className="field-error" data-testid="invitation-email">email failed: {delivery.reason} ({outboxLink("details")})</div>;
    case "sending":
      return <div className="muted small" data-testid="invitation-email">email sending…</div>;
    default:
      return <div className="muted small" data-testid="invitation-email">not emailed</div>;
  }
}

export function MembersPanel(props: { orgSlug: string; actorRole: Role; members: MemberRow[]; invitations: InvitationRow[] }) {
  const router = useRouter();
  const canManage = props.actorRole === "ADMIN" || props.actorRole === "OWNER";
  const isOwner = props.actorRole === "OWNER";
  const grantable = ROLES.filter((r) => isOwner || r !== "OWNER");
  const base = `/api/orgs/${encodeURIComponent(props.orgSlug)}`;
  const [error, setError] = useState<string | null>(null);
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("MEMBER");
  const [fields, setFields] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [link, setLink] = useState<{ url: string; email: string } | null>(null);

  async function act(method: string, url: string, body?: unknown) {
    setError(null);
    const res = await sendJson(method, url, body);
    if (!res.ok) setError(res.error);
    router.refresh();
  }

  async function invite(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    const res = await sendJson<{ path: string; invitation: { email: string } }>("POST", `${base}/invitations`, { email, role });
    setBusy(false);
    if (!res.ok) {
      setFields(res.fields);
      setError(res.error);
      return;
    }
    setFields({});
    setError(null);
    setEmail("");
    setLink({ url: `${window.location.origin}${res.data.path}`, email: res.data.invitation.email });
    router.refresh();
  }

  return (
    <div className="stack">
      <FormError error={error} fields={fields} shown={["email", "role"]} />
      <div className="table-wrap">
        <table className="table" data-testid="members-table">
          <thead>
            <tr>
              <th>Member</th>
              <th>Role</th>
              <th>Joined</th>
              {canManage ? <th aria-label="Actions" /> : null}
            </tr>
          </thead>
          <tbody>
            {props.members.map((m) => {
              const editable = canManage && (isOwner || m.role !== "OWNER");
              return (
                <tr key={m.id}>
                  <td>
                    <div>{m.name ?? m.email}{m.isSelf ? <span className="muted small"> (you)</span> : null}</div>
                    {m.name ? <div className="muted small">{m.email}</div> : null}
                  </td>
                  <td>
                    {editable ? (
                      <select
                        aria-label={`Role of ${m.email}`}
                        className="select"
                        value={m.role}
                        onChange={(e) => act("PATCH", `${base}/members/${m.id}`, { role: e.target.value })}
                      >
                        {(m.role === "OWNER" ? ROLES : grantable).map((r) => (
                          <option key={r} value={r}>
                            {r}
                          </option>
                        ))}
                      </select>
                    ) : (
                      <span className="badge">{m.role}</span>
                    )}
                  </td>
                  <td>{m.joined}</td>
                  {canManage ? (
                    <td>
                      {editable ? (
                        <button
                          type="button"
                          className="btn btn-danger btn-small"
                          onClick={() => window.confirm(`Remove ${m.email} from the organization?`) && act("DELETE", `${base}/members/${m.id}`)}
                        >
                          Remove
                        </button>
                      ) : null}
                    </td>
                  ) : null}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>

      {canManage ? (
        <>
          <h3>Invite someone</h3>
          <form className="row-end" onSubmit={invite} noValidate>
            <div style={{ flex: "2 1 16rem" }}>
              <Field label="Email" name="inviteEmail" type="email" value={email} onChange={(e) => setEmail(e.target.value)} error={fields.email} />
            </div>
            <div style={{ flex: "1 1 10rem" }}>
              <SelectField
                label="Role"
                name="inviteRole"
                value={role}
                onChange={(v) => setRole(v as Role)}
                options={grantable.map((r) => ({ value: r, label: r }))}
                error={fields.role}
              />
            </div>
            <SubmitButton busy={busy}>Create invitation link</SubmitButton>
          </form>
          <p className="muted small">{ROLE_DESCRIPTIONS[role]}. Links are valid for 7 days.</p>
          {link ? (
            <div className="stack" data-testid="invite-link">
              <div className="notice small">
                Send this link to <strong>{link.email}</strong>. It is shown only once. They join after signing in with that address.
              </div>
              <div className="secret">
                <code data-testid="invite-link-value">{link.url}</code>
                <CopyButton text={link.url} />
              </div>
            </div>
          ) : null}
          {props.invitations.length > 0 ? (
            <div className="table-wrap">
              <table className="table" data-testid="invitations-table">
                <thead>
                  <tr>
                    <th>Pending invitation</th>
                    <th>Role</th>
                    <th>Expires</th>
                    <th aria-label="Actions" />
                  </tr>
                </thead>
                <tbody>
                  {props.invitations.map((i) => (
                    <tr key={i.id}>
                      <td>
                        <div>{i.email}</div>
                        {i.delivery ? <InvitationEmailNote orgSlug={props.orgSlug} delivery={i.delivery} /> : null}
                      </td>
                      <td>
                        <span className="badge">{i.role}</span>
                      </td>
                      <td>{i.expires}</td>
                      <td>
                        <button type="button" className="btn btn-danger btn-small" onClick={() => act("DELETE", `${base}/invitations/${i.id}`)}>
                          Revoke
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : null}
        </>
      ) : null}
    </div>
  );
}
