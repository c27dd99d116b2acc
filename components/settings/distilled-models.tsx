// What the proxy does for the project beyond logging: distilled models (issue 9; each version the
// distillation analysis trained, how it measured on the calls it never saw, and the switch that lets the
// proxy answer its feature with it), model routes (right-size recommendations applied in the proxy,
// lib/proxy/model-routes.ts), cache rules (cache recommendations applied in the proxy,
// lib/proxy/cache-rules.ts) and prompt rules (verified prompt compressions applied in the proxy,
// lib/proxy/prompt-rules.ts). Rendered on the server (dates in the organization's time zone); the
// switches are small client parts.
import { listDistilledModels, type DistilledModelView } from "@/lib/analysis/distill/models";
import { listCacheRules } from "@/lib/proxy/cache-rules";
import { listModelRoutes } from "@/lib/proxy/model-routes";
import { listPromptRules } from "@/lib/proxy/prompt-rules";
import { formatDateTime, formatDuration } from "../format";
import { DistilledModelToggle } from "./distilled-model-toggle";
import { ProxyRuleActions } from "./proxy-rule-actions";
import { EnabledBadge, ProxyRulesTable, RuleCreated } from "./proxy-rules-table";

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
 * The distilled models, followed by the model routes, the cache rules and the prompt rules (`routesUrl` /
 * `cacheRulesUrl` / `promptRulesUrl` default to the model-routes / cache-rules / prompt-rules APIs next to
 * `url`, the distilled API).
 */
export async function DistilledModelsPanel(props: { projectId: string; url: string; routesUrl?: string; cacheRulesUrl?: string; promptRulesUrl?: string; canManage: boolean; timeZone: string }) {
  const models: DistilledModelView[] = await listDistilledModels(props.projectId);
  const routesUrl = props.routesUrl ?? props.url.replace(/\/distilled$/, "/model-routes");
  const cacheRulesUrl = props.cacheRulesUrl ?? props.url.replace(/\/distilled$/, "/cache-rules");
  const promptRulesUrl = props.promptRulesUrl ?? props.url.replace(/\/distilled$/, "/prompt-rules");
  return (
    <>
      <ProxyRulesTable
        headingId="distilled-heading"
        testId="distilled-models-table"
        title="Distilled models"
        about={
          <>
            Small local models trained on this project&apos;s own classification calls. When one is on, the proxy answers its feature&apos;s confident calls itself ($0) and sends the others, plus a small audit share, to the LLM.
          </>
        }
        viewerNote="Only admins and owners can turn a model on or off."
        canManage={props.canManage}
        columns={[
          { label: "Feature" },
          { label: "Version" },
          { label: "Trained" },
          { label: "Answers locally", title: "Share of unseen calls the model answered at its threshold" },
          { label: "Agreement", title: "Agreement with the LLM's answers on unseen calls (95% lower bound)" },
          { label: "Threshold" },
          { label: "Status" },
        ]}
        rules={models}
        empty="No distilled models yet. The distillation analysis trains one for a feature whose calls pick answers from a small label set."
        cells={(m) => {
          const fig = measured(m.metrics);
          return (
            <>
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
                <EnabledBadge enabled={m.enabled} />
                {fig.recommended === false ? <span className="muted small"> not recommended</span> : null}
              </td>
            </>
          );
        }}
        actions={(m) => <DistilledModelToggle url={`${props.url}/${m.id}`} enabled={m.enabled} feature={m.feature} version={m.version} />}
      />
      <ModelRoutesPanel projectId={props.projectId} url={routesUrl} canManage={props.canManage} timeZone={props.timeZone} />
      <CacheRulesPanel projectId={props.projectId} url={cacheRulesUrl} canManage={props.canManage} timeZone={props.timeZone} />
      <PromptRulesPanel projectId={props.projectId} url={promptRulesUrl} canManage={props.canManage} timeZone={props.timeZone} />
    </>
  );
}

/** Model routes: a feature's calls of one model sent to a cheaper one by the proxy, with their switches. */
export async function ModelRoutesPanel(props: { projectId: string; url: string; canManage: boolean; timeZone: string }) {
  const routes = await listModelRoutes(props.projectId);
  return (
    <ProxyRulesTable
      headingId="model-routes-heading"
      testId="model-routes-table"
      title="Model routes"
      about={
        <>
          Right-size recommendations applied in the proxy (&quot;Apply in proxy&quot; on the savings page): a feature&apos;s calls of one model go to a cheaper one, except an audit share that keeps
          the original model&apos;s answers and spend measured.
        </>
      }
      viewerNote="Only admins and owners can turn a route on or off, or delete it."
      canManage={props.canManage}
      columns={[
        { label: "Feature" },
        { label: "Model" },
        { label: "Audit share", title: "Share of the matched calls kept on the original model" },
        { label: "Created" },
        { label: "Status" },
      ]}
      rules={routes}
      empty="No model routes. A right-size recommendation of the model-fit analysis can be applied in the proxy from the savings page."
      cells={(r) => (
        <>
          <td>
            <code>{r.feature}</code>
          </td>
          <td>
            <code>{r.fromModel}</code> → <code>{r.toModel}</code>
          </td>
          <td>{percent(r.auditShare)}</td>
          <RuleCreated rule={r} timeZone={props.timeZone} />
          <td>
            <EnabledBadge enabled={r.enabled} />
          </td>
        </>
      )}
      actions={(r) => (
        <ProxyRuleActions
          url={`${props.url}/${encodeURIComponent(r.id)}`}
          enabled={r.enabled}
          confirmTurnOn={`Let the proxy send "${r.feature}" calls of ${r.fromModel} to ${r.toModel} again?`}
          confirmDelete={`Delete the route of "${r.feature}" from ${r.fromModel} to ${r.toModel}? Its calls keep the model they ask for.`}
        />
      )}
    />
  );
}

/** Cache rules: a feature's repeated requests of a model answered from the proxy's exact-match cache, with their switches. */
export async function CacheRulesPanel(props: { projectId: string; url: string; canManage: boolean; timeZone: string }) {
  const rules = await listCacheRules(props.projectId);
  return (
    <ProxyRulesTable
      headingId="cache-rules-heading"
      testId="cache-rules-table"
      title="Cache rules"
      about={
        <>
          Cache recommendations applied in the proxy (&quot;Apply in proxy&quot; on the savings page): a feature&apos;s repeated requests of a model are answered from an exact-match cache ($0, no
          upstream request) for the rule&apos;s TTL, except an audit share of hits that still goes to the model. The cache lives in each proxy process&apos;s memory and is emptied on restart.
        </>
      }
      viewerNote="Only admins and owners can turn a rule on or off, or delete it."
      canManage={props.canManage}
      columns={[
        { label: "Feature" },
        { label: "Model" },
        { label: "TTL", title: "How long a stored answer may be served" },
        { label: "Audit share", title: "Share of cache hits forwarded to the model anyway" },
        { label: "Created" },
        { label: "Status" },
      ]}
      rules={rules}
      empty="No cache rules. A cache recommendation of the cache analysis can be applied in the proxy from the savings page."
      cells={(r) => (
        <>
          <td>
            <code>{r.feature}</code>
          </td>
          <td>
            <code>{r.model}</code>
          </td>
          <td>{formatDuration(r.ttlSeconds)}</td>
          <td>{percent(r.auditShare)}</td>
          <RuleCreated rule={r} timeZone={props.timeZone} />
          <td>
            <EnabledBadge enabled={r.enabled} />
          </td>
        </>
      )}
      actions={(r) => (
        <ProxyRuleActions
          url={`${props.url}/${encodeURIComponent(r.id)}`}
          enabled={r.enabled}
          confirmTurnOn={`Let the proxy answer repeated "${r.feature}" calls of ${r.model} from its cache again?`}
          confirmDelete={`Delete the cache rule of "${r.feature}" on ${r.model}? Its stored answers are dropped and its calls all go to the model.`}
        />
      )}
    />
  );
}

/** The start of a replacement prompt, for the table (the whole text is in the cell's title). */
function excerpt(text: string, max = 120): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Prompt rules: a feature's calls with one fixed prompt sent with a verified compressed one, with their switches. */
export async function PromptRulesPanel(props: { projectId: string; url: string; canManage: boolean; timeZone: string }) {
  const rules = await listPromptRules(props.projectId);
  return (
    <ProxyRulesTable
      headingId="prompt-rules-heading"
      testId="prompt-rules-table"
      title="Prompt rules"
      about={
        <>
          Verified prompt-compression recommendations applied in the proxy (&quot;Apply in proxy&quot; on the savings page): a feature&apos;s calls that send the original fixed prompt are sent
          with the compressed one, except an audit share that keeps the original prompt&apos;s answers measured.
        </>
      }
      viewerNote="Only admins and owners can turn a rule on or off, or delete it."
      canManage={props.canManage}
      columns={[
        { label: "Feature" },
        { label: "Prompt", title: "sha256 of the original fixed prompt, and the compressed prompt sent instead" },
        { label: "Audit share", title: "Share of the matched calls sent with the original prompt" },
        { label: "Created" },
        { label: "Status" },
      ]}
      rules={rules}
      empty="No prompt rules. A prompt-compression recommendation whose replay check passed can be applied in the proxy from the savings page."
      cells={(r) => (
        <>
          <td>
            <code>{r.feature}</code>
          </td>
          <td title={r.replacement}>
            <code>{r.promptHash.slice(0, 12)}</code> → <span className="small">{excerpt(r.replacement)}</span>
          </td>
          <td>{percent(r.auditShare)}</td>
          <RuleCreated rule={r} timeZone={props.timeZone} />
          <td>
            <EnabledBadge enabled={r.enabled} />
          </td>
        </>
      )}
      actions={(r) => (
        <ProxyRuleActions
          url={`${props.url}/${encodeURIComponent(r.id)}`}
          enabled={r.enabled}
          confirmTurnOn={`Let the proxy send "${r.feature}" calls with this prompt with the compressed one again?`}
          confirmDelete={`Delete the prompt rule of "${r.feature}"? Its calls are sent with the prompt they carry.`}
        />
      )}
    />
  );
}
