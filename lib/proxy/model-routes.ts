// Model routes: a right-size recommendation applied in the proxy. A route says "calls of feature F asking
// for model A go to model B", except a random audit share that stays on A so its spend and answers keep
// being sampled. Routes are made from a rightsize finding (lib/analysis/modelfit -> Finding) by an admin,
// or named by hand through the API; the proxy reads the enabled ones (model-router.ts).
//
// Why lib/proxy and not lib/recommend: a route is a rule the proxy enforces and the only reader of it
// is the proxy (as Project.openaiUpstream is); the finding is only where its three fields come from.
// Every query is scoped by projectId; each change is audited and told to the proxy of this process
// (the steps shared with cache rules: proxy-rules.ts).
import { db } from "../db/client";
import { ValidationError } from "../http/errors";
import { matchModel, undatedAlias } from "../pricing/match";
import { providerFamily } from "../pricing/cost";
import {
  auditRuleChange,
  DEFAULT_RULE_AUDIT_SHARE,
  deleteRule,
  findingToApply,
  RULE_COMMON_SELECT,
  ruleView,
  updateRule,
  type ProxyRuleTable,
  type RuleActor,
  type RuleCommonView,
  auditShareField,
  featureField,
} from "./proxy-rules";
import { ProcessNotices } from "../runtime/process-shared";

export type ModelRouteView = RuleCommonView & { feature: string; fromModel: string; toModel: string };

const VIEW = { ...RULE_COMMON_SELECT, feature: true, fromModel: true, toModel: true } as const;

type Row = Omit<ModelRouteView, "createdBy"> & { createdBy: { email: string } | null };
const toView = (r: Row): ModelRouteView => ruleView(r);

// ---------------------------------------------------------------- change notices

/** Listeners told when a project's routes change (the proxy's router drops its cached routes). */
const notices = new ProcessNotices<[projectId: string]>("model-routes");
export function onModelRouteChange(listener: (projectId: string) => void): () => void {
  return notices.on(listener);
}

// ---------------------------------------------------------------- models: which API, which model

/** The request format a model's calls use through the proxy (its /proxy/<api>/ route), or null when unknown. */
export type RouteApi = "openai" | "anthropic";

/** The API family of a model by the price table's provider (Azure OpenAI speaks OpenAI's format). */
export function modelApi(model: string): RouteApi | string | null {
  const entry = matchModel(model)?.entry;
  if (!entry?.litellm_provider) return null;
  const family = providerFamily(entry.litellm_provider);
  if (family === "openai" || family === "azure") return "openai";
  return family;
}

/**
 * One name for the forms of a model the pricing matcher treats alike: provider prefixes, dated
 * snapshots, "-latest" and "-0" aliases ("openai/gpt-4o", "gpt-4o-2024-08-06" -> "gpt-4o";
 * "claude-3-5-haiku-latest" -> "claude-3-5-haiku"). Never merges different models ("gpt-4o-mini").
 */
export function modelIdentity(model: string): string {
  const key = matchModel(model)?.key ?? model.trim().toLowerCase();
  return undatedAlias(key) ?? key;
}

// ---------------------------------------------------------------- reading

export async function listModelRoutes(projectId: string): Promise<ModelRouteView[]> {
  const rows = await db.modelRoute.findMany({ where: { projectId }, select: VIEW, orderBy: [{ feature: "asc" }, { fromModel: "asc" }] });
  return rows.map(toView);
}

/** What the proxy needs of a project's enabled routes. */
export async function enabledModelRoutes(projectId: string): Promise<Array<{ id: string; feature: string; fromModel: string; toModel: string; auditShare: number }>> {
  return db.modelRoute.findMany({ where: { projectId, enabled: true }, select: { id: true, feature: true, fromModel: true, toModel: true, auditShare: true } });
}

// ---------------------------------------------------------------- input checks

const MODEL_RE = /^[\x21-\x7e]{1,200}$/;

/** A model name from a request body (shared with cache rules, cache-rules.ts). */
export function modelField(field: string, value: unknown): string {
  if (typeof value !== "string" || value.trim() === "") throw ValidationError.field(field, `${field} is required: a model name.`);
  const model = value.trim();
  // It goes into a response header (x-spendlens-routed): printable ASCII, no spaces.
  if (!MODEL_RE.test(model)) throw ValidationError.field(field, `${field} must be 1-200 printable ASCII characters without spaces.`);
  return model;
}

const API_NAMES: Record<string, string> = { openai: "an OpenAI", anthropic: "an Anthropic" };

/** A route the proxy can apply: both models known, the same request format, not the same model. */
export function checkRouteModels(fromModel: string, toModel: string): void {
  const fromApi = modelApi(fromModel);
  const toApi = modelApi(toModel);
  if (fromApi === null) throw ValidationError.field("fromModel", `fromModel "${fromModel}" is not in the price table: the proxy cannot tell which API it is called through.`);
  if (fromApi !== "openai" && fromApi !== "anthropic") throw ValidationError.field("fromModel", `fromModel "${fromModel}" is a ${fromApi} model: the proxy routes OpenAI and Anthropic calls only.`);
  if (toApi === null) throw ValidationError.field("toModel", `toModel "${toModel}" is not in the price table: its calls could not be priced.`);
  if (toApi !== fromApi) {
    throw ValidationError.field(
      "toModel",
      `toModel "${toModel}" is ${API_NAMES[toApi] ?? `a ${toApi}`} model and fromModel "${fromModel}" ${API_NAMES[fromApi]} one: the request formats differ, so the proxy cannot route between them.`,
    );
  }
  if (modelIdentity(fromModel) === modelIdentity(toModel)) throw ValidationError.field("toModel", `toModel "${toModel}" is the same model as fromModel "${fromModel}".`);
}

type RouteFields = { feature: string; fromModel: string; toModel: string; findingId: string | null };

/** feature / fromModel / toModel of a rightsize finding of the project that is open or accepted. */
async function fieldsFromFinding(projectId: string, findingId: string): Promise<RouteFields> {
  const { finding, feature } = await findingToApply(projectId, findingId, { lever: "rightsize", appliedAs: "a model route", proxyDoes: "routes" });
  const settings = finding.howToApply?.settings ?? {};
  const to = typeof settings.to === "string" ? settings.to : null;
  if (!to) throw ValidationError.field("findingId", "findingId: the finding names no tested model to move to yet (re-run the model-fit analysis with a provider credential).");
  if (typeof finding.scope.model !== "string") throw ValidationError.field("findingId", "findingId: the finding names no model its calls use.");
  return { feature: featureField(feature), fromModel: modelField("fromModel", finding.scope.model), toModel: modelField("toModel", to), findingId: finding.id };
}

// ---------------------------------------------------------------- changes

/**
 * Create an enabled route from `{ findingId }` (a rightsize finding, open or accepted) or from
 * `{ feature, fromModel, toModel }`, with an optional `auditShare` (default 0.02). Applying the same
 * route again returns it (enabled); a different toModel for the same feature and model is a 409.
 */
export async function createModelRoute(actor: RuleActor, body: Record<string, unknown>): Promise<{ route: ModelRouteView; created: boolean }> {
  let fields: RouteFields;
  if (body.findingId !== undefined) {
    if (typeof body.findingId !== "string" || body.findingId.trim() === "") throw ValidationError.field("findingId", "findingId must be the id of a rightsize finding.");
    for (const f of ["feature", "fromModel", "toModel"] as const) {
      if (body[f] !== undefined) throw ValidationError.field(f, `${f} comes from the finding: leave it out when findingId is given.`);
    }
    fields = await fieldsFromFinding(actor.projectId, body.findingId.trim());
  } else {
    fields = { feature: featureField(body.feature), fromModel: modelField("fromModel", body.fromModel), toModel: modelField("toModel", body.toModel), findingId: null };
  }
  const auditShare = body.auditShare === undefined ? DEFAULT_RULE_AUDIT_SHARE : auditShareField(body.auditShare);
  checkRouteModels(fields.fromModel, fields.toModel);

  const { projectId } = actor;
  const existing = await db.modelRoute.findFirst({ where: { projectId, feature: fields.feature, fromModel: fields.fromModel }, select: VIEW });
  if (existing) {
    if (existing.toModel !== fields.toModel) {
      throw ValidationError.field("toModel", `"${fields.feature}" calls of ${fields.fromModel} are already routed to ${existing.toModel}: delete that route first.`, 409);
    }
    if (existing.enabled) return { route: toView(existing), created: false };
    return { route: await updateModelRoute(actor, existing.id, { enabled: true }), created: false };
  }
  let row: Row;
  try {
    row = await db.modelRoute.create({ data: { projectId, ...fields, auditShare, enabled: true, createdById: actor.actorUserId }, select: VIEW });
  } catch (err) {
    if ((err as { code?: string }).code === "P2002") throw ValidationError.field("fromModel", `"${fields.feature}" calls of ${fields.fromModel} already have a route.`, 409);
    throw err;
  }
  await auditRuleChange(actor, "model_route", row.id, "create", { ...fields, auditShare });
  notices.tell(projectId);
  return { route: toView(row), created: true };
}

type ModelRouteChange = { enabled?: boolean; auditShare?: number };

/** Reads `{ enabled?, auditShare? }` (at least one). */
export function parseModelRouteChange(body: Record<string, unknown>): ModelRouteChange {
  const out: ModelRouteChange = {};
  if (body.enabled !== undefined) {
    if (typeof body.enabled !== "boolean") throw ValidationError.field("enabled", "enabled must be true or false.");
    out.enabled = body.enabled;
  }
  if (body.auditShare !== undefined) out.auditShare = auditShareField(body.auditShare);
  if (out.enabled === undefined && out.auditShare === undefined) throw ValidationError.field("enabled", "enabled must be true or false.");
  return out;
}

const modelRoutes: ProxyRuleTable<Row, ModelRouteChange> = {
  kind: "model_route",
  notFound: "Model route not found.",
  find: (where) => db.modelRoute.findFirst({ where, select: VIEW }),
  update: (where, data) => db.modelRoute.updateMany({ where, data }),
  remove: (where) => db.modelRoute.deleteMany({ where }),
  changed: (projectId) => notices.tell(projectId),
};

/** Switch a route on or off and/or change its audit share. NotFoundError for a route of another project. */
export async function updateModelRoute(actor: RuleActor, routeId: string, change: ModelRouteChange): Promise<ModelRouteView> {
  const after = await updateRule(modelRoutes, actor, routeId, change, (before, data) => ({
    change: data.enabled === undefined ? "audit_share" : data.enabled ? "enable" : "disable",
    meta: { feature: before.feature, fromModel: before.fromModel, toModel: before.toModel },
  }));
  return toView(after);
}

/** Delete a route of the project. NotFoundError for a route of another project. */
export async function deleteModelRoute(actor: RuleActor, routeId: string): Promise<void> {
  await deleteRule(modelRoutes, actor, routeId, (route) => ({
    feature: route.feature,
    fromModel: route.fromModel,
    toModel: route.toModel,
    enabled: route.enabled,
    findingId: route.findingId,
  }));
}
