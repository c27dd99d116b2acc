"use client";
// Project API keys: create (the full key is shown here once), list by prefix, revoke.
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { CopyButton } from "../copy-button";
import { Field, FormError, SubmitButton } from "../form-controls";
import { sendJson } from "../send-json";

export type KeyRow = { id: string; name: string; prefix: string; created: string; lastUsed: string; createdBy: string | null; revoked: string | null };

export function ApiKeysPanel(props: { keysUrl: string; keys: KeyRow[]; canManage: boolean }) {
  const router = useRouter();
  const [name, setName] = useState("");
  const [fields, setFields] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<{ key: string; name: string } | null>(null);

  async function create(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    const res = await sendJson<{ key: string; apiKey: { name: string } }>("POST", props.keysUrl, { name });
    setBusy(false);
    if (!res.ok) {
      setFields(res.fields);
      setError(res.error);
      return;
    }
    setFields({});
    setError(null);
    setName("");
    setCreated({ key: res.data.key, name: res.data.apiKey.name });
    router.refresh();
  }

  async function revoke(row: KeyRow) {
    if (!window.confirm(`Revoke "${row.name}" (${row.prefix})? Apps using it stop being logged at once.`)) return;
    const res = await sendJson("DELETE", `${props.keysUrl}/${row.id}`);
    if (!res.ok) setError(res.error);
    router.refresh();
  }

  return (
    <div className="stack">
      {created ? (
        <div className="stack" data-testid="new-key">
          <div className="notice notice-warn small">
            <strong>Copy the key for “{created.name}” now.</strong> It is shown only this once; Spendlens stores a hash, not the key.
          </div>
          <div className="secret">
            <code data-testid="new-key-value">{created.key}</code>
            <CopyButton text={created.key} />
          </div>
          <div>
            <button type="button" className="btn btn-secondary btn-small" onClick={() => setCreated(null)}>
              I have saved it
            </button>
          </div>
        </div>
      ) : null}
      {props.canManage ? (
        <form className="row-end" onSubmit={create} noValidate>
          <div style={{ flex: "1 1 16rem" }}>
            <Field label="New key name" name="keyName" placeholder="e.g. production backend" value={name} onChange={(e) => setName(e.target.value)} error={fields.name} />
          </div>
          <SubmitButton busy={busy}>Create key</SubmitButton>
        </form>
      ) : (
        <p className="muted small">Only admins and owners can create or revoke keys.</p>
      )}
      <FormError error={error} fields={fields} shown={["name"]} />
      <div className="table-wrap">
        <table className="table" data-testid="keys-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Key</th>
              <th>Created</th>
              <th>Last used</th>
              <th>Status</th>
              {props.canManage ? <th aria-label="Actions" /> : null}
            </tr>
          </thead>
          <tbody>
            {props.keys.length === 0 ? (
              <tr>
                <td colSpan={6} className="muted">No keys yet.</td>
              </tr>
            ) : (
              props.keys.map((k) => (
                <tr key={k.id}>
                  <td>{k.name}</td>
                  <td>
                    <code>{k.prefix}_…</code>
                  </td>
                  <td title={k.createdBy ? `by ${k.createdBy}` : undefined}>{k.created}</td>
                  <td>{k.lastUsed}</td>
                  <td>{k.revoked ? <span className="badge badge-off" title={`Revoked ${k.revoked}`}>Revoked</span> : <span className="badge badge-ok">Active</span>}</td>
                  {props.canManage ? (
                    <td>
                      {!k.revoked ? (
                        <button type="button" className="btn btn-danger btn-small" onClick={() => revoke(k)}>
                          Revoke
                        </button>
                      ) : null}
                    </td>
                  ) : null}
                </tr>
              ))
            )}
          </tbody>
        </table>
      </div>
    </div>
  );
}
