// What the proxy does for the project beyond logging: distilled models (issue 9; each version the
// distillation analysis trained, how it measured on the calls it never saw, and the switch that lets the
// proxy answer its feature with it), model routes (right-size recommendations applied in the proxy,
// lib/proxy/model-routes.ts) and cache rules (cache recommendations applied in the proxy,
// lib/proxy/cache-rules.ts). Rendered on the server (dates in the organization's time zone); the
// switches are small client parts.
import { listDistilledModels, type DistilledModelView } from "@/lib/analysis/distill/models";
import { listCacheRules } from "@/lib/proxy/cache-rules";
import { listModelRoutes } from "@/lib/proxy/model-routes";
import { formatDateTime } from "../format";
import { DistilledModelToggle } from "./distilled-model-toggle";
import { ProxyRuleActions } from "./proxy-rule-actions";

type Measured = { share: number | null; agreement: number | null; agreementLow: number | null; recommended: boolean | null };

/** The figures worth showing from a model's stored evaluation (its shape is the job's, read defensively). */
function measured(metrics: unknown): Measured {
  const m = (metrics ?? {}) as { atThreshold?: { share?: { point?: unknown }; agreement?: { point?: unknown }; agreementWilson?: { low?: unknown } } | null; recommended?: unknown };
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : null);
  return {
    share: num(m.atThreshold?.share?.point),
    agreement: num(m.atThreshold?.agreement?.point),
    agreementLow: num(m.atThreshold?.agreementWilson?.low),
    recommended: typeof m.recommended === "boolean" ? m.recommended : null,
  };
}

const percent = (x: number | null) => (x === null ? "—" : `${(x * 100).toFixed(1)}%`);

/**
 * The distilled models, followed by the model routes and the cache rules (`routesUrl` / `cacheRulesUrl`
 * default to the model-routes / cache-rules APIs next to `url`, the distilled API).
 */
export async function DistilledModelsPanel(props: { projectId: string; url: string; routesUrl?: string; cacheRulesUrl?: string; canManage: boolean; timeZone: string }) {
  const models: DistilledModelView[] = await listDistilledModels(props.projectId);
  const routesUrl = props.routesUrl ?? props.url.replace(/\/distilled$/, "/model-routes");
  const cacheRulesUrl = props.cacheRulesUrl ?? props.url.replace(/\/distilled$/, "/cache-rules");
  return (
    <>
      <section className="card" aria-labelledby="distilled-heading">
        <div className="card-head">
          <h2 id="distilled-heading">Distilled models</h2>
          <span className="muted small">
            Small local models trained on this project&apos;s own classification calls. When one is on, the proxy answers its feature&apos;s confident calls itself ($0) and sends the others, plus a small audit share, to the LLM.
          </span>
        </div>
        {!props.canManage ? <p className="muted small">Only admins and owners can turn a model on or off.</p> : null}
        <div className="table-wrap">
          <table className="table" data-testid="distilled-models-table">
            <thead>
              <tr>
                <th>Feature</th>
                <th>Version</th>
                <th>Trained</th>
                <th title="Share of unseen calls the model answered at its threshold">Answers locally</th>
                <th title="Agreement with the LLM's answers on unseen calls (95% lower bound)">Agreement</th>
                <th>Threshold</th>
                <th>Status</th>
                {props.canManage ? <th aria-label="Actions" /> : null}
              </tr>
            </thead>
            <tbody>
              {models.length === 0 ? (
                <tr>
                  <td colSpan={props.canManage ? 8 : 7} className="muted">
                    No distilled models yet. The distillation analysis trains one for a feature whose calls pick answers from a small label set.
                  </td>
                </tr>
              ) : (
                models.map((m) => {
                  const fig = measured(m.metrics);
                  return (
                    <tr key={m.id}>
                      <td>
                        <code>{m.feature || "(no feature)"}</code>
                      </td>
                      <td>v{m.version}</td>
                      <td>{formatDateTime(m.createdAt, props.timeZone)}</td>
                      <td>{percent(fig.share)}</td>
                      <td>
                        {percent(fig.agreement)}
                        {fig.agreementLow !== null ? <span className="muted small"> (≥ {percent(fig.agreementLow)})</span> : null}
                      </td>
                      <td>{m.threshold.toFixed(3)}</td>
                      <td>
                        {m.enabled ? <span className="badge badge-ok">On</span> : <span className="badge badge-off">Off</span>}
                        {fig.recommended === false ? <span className="muted small"> not recommended</span> : null}
                      </td>
                      {props.canManage ? (
                        <td>
                          <DistilledModelToggle url={`${props.url}/${m.id}`} enabled={m.enabled} feature={m.feature} version={m.version} />
                        </td>
                      ) : null}
                    </tr>
                  );
                })
              )}
            </tbody>
          </table>
        </div>
      </section>
      <ModelRoutesPanel projectId={props.projectId} url={routesUrl} canManage={props.canManage} timeZone={props.timeZone} />
      <CacheRulesPanel projectId={props.projectId} url={cacheRulesUrl} canManage={props.canManage} timeZone={props.timeZone} />
    </>
  );
}

/** Model routes: a feature's calls of one model sent to a cheaper one by the proxy, with their switches. */
export async function ModelRoutesPanel(props: { projectId: string; url: string; canManage: boolean; timeZone: string }) {
  const routes = await listModelRoutes(props.projectId);
  const columns = props.canManage ? 6 : 5;
  return (
    <section className="card" aria-labelledby="model-routes-heading">
      <div className="card-head">
        <h2 id="model-routes-heading">Model routes</h2>
        <span className="muted small">
          Right-size recommendations applied in the proxy (&quot;Apply in proxy&quot; on the savings page): a feature&apos;s calls of one model go to a cheaper one, except an audit share that keeps
          the original model&apos;s answers and spend measured.
        </span>
      </div>
      {!props.canManage ? <p className="muted small">Only admins and owners can turn a route on or off, or delete it.</p> : null}
      <div className="table-wrap">
        <table className="table" data-testid="model-routes-table">
          <thead>
            <tr>
              <th>Feature</th>
              <th>Model</th>
              <th title="Share of the matched calls kept on the original model">Audit share</th>
              <th>Created</th>
              <th>Status</th>
              {props.canManage ? <th aria-label="Actions" /> : null}
            </tr>
          </thead>
          <tbody>
            {routes.length === 0 ? (
              <tr>
                <td colSpan={columns} className="muted">
                  No model routes. A right-size recommendation of the model-fit analysis can be applied in the proxy from the savings page.
                </td>
              </tr>
            ) : (
              routes.map((r) => (
                <tr key={r.id}>
                  <td>
                    <code>{r.feature}</code>
                  </td>
                  <td>
                    <code>{r.fromModel}</code> → <code>{r.toModel}</code>
                  </td>
                  <td>{percent(r.auditShare)}</td>
                  <td>
                    {formatDateTime(r.createdAt, props.timeZone)}
                    {r.createdBy ? <div className="muted small">{r.createdBy}</div> : null}
                    {r.findingId ? <div className="muted small">from a recommendation</div> : null}
                  </td>
                  <td>{r.enabled ? <span className="badge badge-ok">On</span> : <span className="badge badge-off">Off</span>}</td>
                  {props.canManage ? (
                    <td>
                      <ProxyRuleActions
                        url={`${props.url}/${encodeURIComponent(r.id)}`}
                        enabled={r.enabled}
                        confirmTurnOn={`Let the proxy send "${r.feature}" calls of ${r.fromModel} to ${r.toModel} again?`}
                        confirmDelete={`Delete the route of "${r.feature}" from ${r.fromModel} to ${r.toModel}? Its calls keep the model they ask for.`}
                      />
                    </td>
                  ) : null}
                </tr>
              ))
            )}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function ttl(seconds: number): string {
  if (seconds % 86_400 === 0) return `${seconds / 86_400} d`;
  if (seconds % 3_600 === 0) return `${seconds / 3_600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/** Cache rules: a feature's repeated requests of a model answered from the proxy's exact-match cache, with their switches. */
export async function CacheRulesPanel(props: { projectId: string; url: string; canManage: boolean; timeZone: string }) {
  const rules = await listCacheRules(props.projectId);
  const columns = props.canManage ? 7 : 6;
  return (
    <section className="card" aria-labelledby="cache-rules-heading">
      <div className="card-head">
        <h2 id="cache-rules-heading">Cache rules</h2>
        <span className="muted small">
          Cache recommendations applied in the proxy (&quot;Apply in proxy&quot; on the savings page): a feature&apos;s repeated requests of a model are answered from an exact-match cache ($0, no
          upstream request) for the rule&apos;s TTL, except an audit share of hits that still goes to the model. The cache lives in each proxy process&apos;s memory and is emptied on restart.
        </span>
      </div>
      {!props.canManage ? <p className="muted small">Only admins and owners can turn a rule on or off, or delete it.</p> : null}
      <div className="table-wrap">
        <table className="table" data-testid="cache-rules-table">
          <thead>
            <tr>
              <th>Feature</th>
              <th>Model</th>
              <th title="How long a stored answer may be served">TTL</th>
              <th title="Share of cache hits forwarded to the model anyway">Audit share</th>
              <th>Created</th>
              <th>Status</th>
              {props.canManage ? <th aria-label="Actions" /> : null}
            </tr>
          </thead>
          <tbody>
            {rules.length === 0 ? (
              <tr>
                <td colSpan={columns} className="muted">
                  No cache rules. A cache recommendation of the cache analysis can be applied in the proxy from the savings page.
                </td>
              </tr>
            ) : (
              rules.map((r) => (
                <tr key={r.id}>
                  <td>
                    <code>{r.feature}</code>
                  </td>
                  <td>
                    <code>{r.model}</code>
                  </td>
                  <td>{ttl(r.ttlSeconds)}</td>
                  <td>{percent(r.auditShare)}</td>
                  <td>
                    {formatDateTime(r.createdAt, props.timeZone)}
                    {r.createdBy ? <div className="muted small">{r.createdBy}</div> : null}
                    {r.findingId ? <div className="muted small">from a recommendation</div> : null}
                  </td>
                  <td>{r.enabled ? <span className="badge badge-ok">On</span> : <span className="badge badge-off">Off</span>}</td>
                  {props.canManage ? (
                    <td>
                      <ProxyRuleActions
                        url={`${props.url}/${encodeURIComponent(r.id)}`}
                        enabled={r.enabled}
                        confirmTurnOn={`Let the proxy answer repeated "${r.feature}" calls of ${r.model} from its cache again?`}
                        confirmDelete={`Delete the cache rule of "${r.feature}" on ${r.model}? Its stored answers are dropped and its calls all go to the model.`}
                      />
                    </td>
                  ) : null}
                </tr>
              ))
            )}
          </tbody>
        </table>
      </div>
    </section>
  );
}
