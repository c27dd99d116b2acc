// The card every kind of thing the proxy applies for a project is listed in (distilled models, model
// routes, cache rules, prompt rules, components/settings/distilled-models.tsx): a heading with what it does, a
// table of one row per rule, and an actions column for admins and owners. Rendered on the server.
import type { ReactNode } from "react";
import { formatDateTime } from "../format";

export type ProxyRuleColumn = { label: string; title?: string };

export function ProxyRulesTable<Rule extends { id: string }>(props: {
  headingId: string;
  testId: string;
  title: string;
  /** What the proxy does with these rules. */
  about: ReactNode;
  /** Shown instead of the actions to those who cannot change the rules. */
  viewerNote: string;
  canManage: boolean;
  columns: ProxyRuleColumn[];
  rules: Rule[];
  empty: string;
  /** The row's cells, one per column. */
  cells: (rule: Rule) => ReactNode;
  actions: (rule: Rule) => ReactNode;
}) {
  const columns = props.columns.length + (props.canManage ? 1 : 0);
  return (
    <section className="card" aria-labelledby={props.headingId}>
      <div className="card-head">
        <h2 id={props.headingId}>{props.title}</h2>
        <span className="muted small">{props.about}</span>
      </div>
      {!props.canManage ? <p className="muted small">{props.viewerNote}</p> : null}
      <div className="table-wrap">
        <table className="table" data-testid={props.testId}>
          <thead>
            <tr>
              {props.columns.map((c) => (
                <th key={c.label} title={c.title}>
                  {c.label}
                </th>
              ))}
              {props.canManage ? <th aria-label="Actions" /> : null}
            </tr>
          </thead>
          <tbody>
            {props.rules.length === 0 ? (
              <tr>
                <td colSpan={columns} className="muted">
                  {props.empty}
                </td>
              </tr>
            ) : (
              props.rules.map((rule) => (
                <tr key={rule.id}>
                  {props.cells(rule)}
                  {props.canManage ? <td>{props.actions(rule)}</td> : null}
                </tr>
              ))
            )}
          </tbody>
        </table>
      </div>
    </section>
  );
}

export function EnabledBadge(props: { enabled: boolean }) {
  return props.enabled ? <span className="badge badge-ok">On</span> : <span className="badge badge-off">Off</span>;
}

/** When a rule was made, by whom, and whether from a recommendation. */
export function RuleCreated(props: { rule: { createdAt: Date; createdBy: string | null; findingId: string | null }; timeZone: string }) {
  const { rule } = props;
  return (
    <td>
      {formatDateTime(rule.createdAt, props.timeZone)}
      {rule.createdBy ? <div className="muted small">{rule.createdBy}</div> : null}
      {rule.findingId ? <div className="muted small">from a recommendation</div> : null}
    </td>
  );
}
