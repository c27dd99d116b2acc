import type { Metadata } from "next";
import Link from "next/link";
import { decodeCallCursor, encodeCallCursor } from "@/components/dashboard/call-cursor";
import { CallFilters, type CallFilterValues } from "@/components/dashboard/call-filters";
import styles from "@/components/dashboard/dashboard.module.css";
import { count, ms, usd } from "@/components/dashboard/numbers";
import { formatDateTime } from "@/components/format";
import { requireSession } from "@/lib/auth/guards";
import { FilterError, listCalls, parseCallFilter } from "@/lib/dashboard/calls";
import { db } from "@/lib/db/client";
import { guardPage } from "@/lib/http/page-guard";
import { loadProjectPage } from "@/lib/orgs/page-loaders";

export const metadata: Metadata = { title: "Calls" };

const PAGE_SIZE = 50;
const FILTER_KEYS = ["from", "to", "model", "feature", "endUser", "status", "minCost", "maxCost", "unpriced", "q"] as const;

/** Distinct models, features (hourly rollup) and users (daily user rollup) of the last 90 days, for the filter suggestions. */
async function facets(projectId: string) {
  const since = new Date(Date.now() - 90 * 86_400_000);
  const top = (by: "model" | "feature") =>
    db.usageHourly
      .groupBy({ by: [by], where: { projectId, hour: { gte: since }, NOT: { [by]: "" } }, _sum: { requests: true }, orderBy: { _sum: { requests: "desc" } }, take: 200 })
      .then((rows) => rows.map((r) => (r as Record<string, unknown>)[by] as string));
  const users = db.usageDailyUser
    .groupBy({ by: ["endUser"], where: { projectId, day: { gte: since }, NOT: { endUser: "" } }, _sum: { requests: true }, orderBy: { _sum: { requests: "desc" } }, take: 200 })
    .then((rows) => rows.map((r) => r.endUser));
  const [models, features, userList] = await Promise.all([top("model"), top("feature"), users]);
  return { models, features, users: userList };
}

export default async function CallsPage(props: { params: Promise<{ org: string; project: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { org, project } = await props.params;
  const raw = await props.searchParams;
  const data = await guardPage(async () => loadProjectPage((await requireSession()).id, org, project), `/${org}/${project}/calls`);
  const projectId = data.project.id;
  const tz = data.organization.timezone;

  const query = new URLSearchParams();
  for (const k of FILTER_KEYS) {
    const v = raw[k];
    if (typeof v === "string" && v !== "") query.set(k, v);
  }
  const values = Object.fromEntries(FILTER_KEYS.map((k) => [k, query.get(k) ?? ""])) as CallFilterValues;
  let filterError: string | null = null;
  let page: Awaited<ReturnType<typeof listCalls>> = { items: [], nextCursor: null };
  const cursor = (typeof raw.cursor === "string" && decodeCallCursor(raw.cursor)) || undefined;
  try {
    page = await listCalls(projectId, parseCallFilter(query), { limit: PAGE_SIZE, cursor });
  } catch (err) {
    if (!(err instanceof FilterError)) throw err;
    filterError = err.message;
  }
  const suggestions = await facets(projectId);
  const base = `/${org}/${project}/calls`;
  const apiBase = `/api/orgs/${encodeURIComponent(org)}/projects/${encodeURIComponent(project)}`;
  const next = page.nextCursor ? `${base}?${new URLSearchParams([...query.entries(), ["cursor", encodeCallCursor(page.nextCursor)]])}` : null;
  const filtered = query.size > 0;

  return (
    <div className="stack">
      <div className="page-head">
        <div>
          <h1>Calls</h1>
          <p className="muted small" style={{ margin: 0 }}>
            Every LLM call of {data.project.name}, newest first. Replays made by analyses are kept apart.
          </p>
        </div>
      </div>
      <section className="card" aria-label="Filters">
        <CallFilters values={values} exportUrl={`${apiBase}/calls/export${query.size ? `?${query}` : ""}`} {...suggestions} />
      </section>
      {filterError ? (
        <div className="form-error" role="alert">
          {filterError}
        </div>
      ) : null}
      <section className="card">
        <div className="card-head">
          <h2>{cursor ? "More calls" : filtered ? "Matching calls" : "Latest calls"}</h2>
          <span className="muted small">
            {page.items.length === 0 ? "No calls match." : `${count(page.items.length)} shown${page.nextCursor ? ", more on the next page" : ""}`} · times in {tz}
          </span>
        </div>
        {page.items.length > 0 ? (
          <div className="table-wrap">
            <table className="table" data-testid="calls-table">
              <thead>
                <tr>
                  <th>Time</th>
                  <th>Model</th>
                  <th>Feature</th>
                  <th>User</th>
                  <th>Status</th>
                  <th className={styles.num}>Latency</th>
                  <th className={styles.num}>Tokens in / out</th>
                  <th className={styles.num}>Cost</th>
                  <th>Answer</th>
                </tr>
              </thead>
              <tbody>
                {page.items.map((c) => (
                  <tr key={c.eventId}>
                    <td style={{ whiteSpace: "nowrap" }}>
                      <Link href={`${base}/${encodeURIComponent(c.eventId)}`}>{formatDateTime(c.timestamp, tz)}</Link>
                    </td>
                    <td className={styles.mono} style={{ whiteSpace: "nowrap" }}>{c.model ?? "—"}</td>
                    <td style={{ whiteSpace: "nowrap" }}>{c.feature ?? <span className="muted">—</span>}</td>
                    <td>{c.endUser ?? <span className="muted">—</span>}</td>
                    <td>{c.status >= 400 ? <span className="badge badge-off">{c.status}</span> : <span className="badge badge-ok">{c.status}</span>}</td>
                    <td className={styles.num}>{ms(c.latencyMs)}</td>
                    <td className={styles.num}>
                      {count(c.inputTokens)} / {count(c.outputTokens)}
                      {c.cachedInputTokens > 0 ? <div className="muted small">{count(c.cachedInputTokens)} cached</div> : null}
                      {c.tokensEstimated ? <div className="muted small">estimated</div> : null}
                    </td>
                    <td className={styles.num}>{c.costUsd === null ? <span className="badge" title="Unknown model price">unpriced</span> : usd(c.costUsd)}</td>
                    <td className={`${styles.truncate} muted small`} title={c.outputText ?? undefined}>
                      {c.outputText ?? ""}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        <div className="row" style={{ marginTop: "0.75rem" }}>
          {cursor ? (
            <Link className="btn btn-secondary btn-small" href={query.size ? `${base}?${query}` : base}>
              First page
            </Link>
          ) : null}
          {next ? (
            <Link className="btn btn-secondary btn-small" href={next} data-testid="next-page">
              Next page
            </Link>
          ) : null}
        </div>
      </section>
    </div>
  );
}
