// Cache rules: a cache recommendation applied in the proxy. A rule says "calls of feature F asking for
// model M are answered from an exact-match response cache for ttlSeconds", except a random audit share
// of hits that still go upstream so the cached answers keep being compared with fresh ones. Rules are
// made from a cache finding (lib/analysis/cache -> Finding) by an admin, or named by hand through the
// API; the proxy reads the enabled ones (response-cache.ts).
//
// A semantic finding (threshold < 1) is applied in exact mode too: the proxy only ever matches the
// normalised request exactly, so such a rule realises the finding's exact-duplicate share only.
// Same shape as model routes (model-routes.ts): every query is scoped by projectId; each change is
// audited and told to the proxy of this process (the shared steps: proxy-rules.ts).
import { db } from "../db/client";
import { ValidationError } from "../http/errors";
import { modelApi, modelField } from "./model-routes";
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

export type CacheRuleView = RuleCommonView & { feature: string; model: string; ttlSeconds: number };

export const DEFAULT_CACHE_TTL_SECONDS = 86_400;
export const MIN_CACHE_TTL_SECONDS = 60;
export const MAX_CACHE_TTL_SECONDS = 30 * 86_400;

const VIEW = { ...RULE_COMMON_SELECT, feature: true, model: true, ttlSeconds: true } as const;

type Row = Omit<CacheRuleView, "createdBy"> & { createdBy: { email: string } | null };
const toView = (r: Row): CacheRuleView => ruleView(r);

// ---------------------------------------------------------------- change notices

/**
 * Listeners told when a rule of a project changes (the proxy drops its cached rules of the project and
 * the stored answers of the rule).
 */
const notices = new ProcessNotices<[projectId: string, ruleId: string]>("cache-rules");
export function onCacheRuleChange(listener: (projectId: string, ruleId: string) => void): () => void {
  return notices.on(listener);
}

// ---------------------------------------------------------------- reading

export async function listCacheRules(projectId: string): Promise<CacheRuleView[]> {
  const rows = await db.cacheRule.findMany({ where: { projectId }, select: VIEW, orderBy: [{ feature: "asc" }, { model: "asc" }] });
  return rows.map(toView);
}

/** What the proxy needs of a project's enabled rules (updatedAt: any change starts the rule's cache afresh). */
export async function enabledCacheRules(
  projectId: string,
): Promise<Array<{ id: string; feature: string; model: string; ttlSeconds: number; auditShare: number; updatedAt: Date }>> {
  return db.cacheRule.findMany({ where: { projectId, enabled: true }, select: { id: true, feature: true, model: true, ttlSeconds: true, auditShare: true, updatedAt: true } });
}

// ---------------------------------------------------------------- input checks

function ttlField(value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < MIN_CACHE_TTL_SECONDS || value > MAX_CACHE_TTL_SECONDS) {
    throw ValidationError.field(
      "ttlSeconds",
      `ttlSeconds must be a whole number of seconds from ${MIN_CACHE_TTL_SECONDS} to ${MAX_CACHE_TTL_SECONDS} (30 days): how long a stored answer may be served.`,
    );
  }
  return value;
}

/** A model whose calls the proxy can cache: in the price table, called through the OpenAI or Anthropic API. */
function checkCacheModel(model: string): void {
  const api = modelApi(model);
  if (api === null) throw ValidationError.field("model", `model "${model}" is not in the price table: the proxy cannot tell which API it is called through.`);
  if (api !== "openai" && api !== "anthropic") throw ValidationError.field("model", `model "${model}" is a ${api} model: the proxy caches OpenAI and Anthropic calls only.`);
}

/** The analysis's TTL (null: no expiry seen) as a rule's: whole seconds within the allowed range. */
function ttlFromFinding(value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) return DEFAULT_CACHE_TTL_SECONDS;
  return Math.min(Math.max(Math.round(value), MIN_CACHE_TTL_SECONDS), MAX_CACHE_TTL_SECONDS);
}

type RuleFields = { feature: string; model: string; findingId: string | null };

/** feature / model / TTL of a cache finding of the project that is open or accepted. */
async function fieldsFromFinding(projectId: string, findingId: string): Promise<RuleFields & { ttlSeconds: number }> {
  const { finding, feature } = await findingToApply(projectId, findingId, { lever: "cache", appliedAs: "a cache rule", proxyDoes: "caches" });
  if (typeof finding.scope.model !== "string") throw ValidationError.field("findingId", "findingId: the finding names no model its calls use.");
  const settings = finding.howToApply?.settings ?? {};
  return { feature: featureField(feature), model: modelField("model", finding.scope.model), findingId: finding.id, ttlSeconds: ttlFromFinding(settings.ttlSeconds) };
}

// ---------------------------------------------------------------- changes

/**
 * Create an enabled rule from `{ findingId }` (a cache finding, open or accepted; its TTL unless
 * `ttlSeconds` is given) or from `{ feature, model, ttlSeconds? }`, with an optional `auditShare`
 * (default 0.02). Applying the same (feature, model) again returns the rule, switched back on.
 */
export async function createCacheRule(actor: RuleActor, body: Record<string, unknown>): Promise<{ rule: CacheRuleView; created: boolean }> {
  let fields: RuleFields;
  let ttlSeconds: number;
  if (body.findingId !== undefined) {
    if (typeof body.findingId !== "string" || body.findingId.trim() === "") throw ValidationError.field("findingId", "findingId must be the id of a cache finding.");
    for (const f of ["feature", "model"] as const) {
      if (body[f] !== undefined) throw ValidationError.field(f, `${f} comes from the finding: leave it out when findingId is given.`);
    }
    const fromFinding = await fieldsFromFinding(actor.projectId, body.findingId.trim());
    fields = { feature: fromFinding.feature, model: fromFinding.model, findingId: fromFinding.findingId };
    ttlSeconds = body.ttlSeconds === undefined ? fromFinding.ttlSeconds : ttlField(body.ttlSeconds);
  } else {
    fields = { feature: featureField(body.feature, "the x-spendlens-feature tag of the calls to cache"), model: modelField("model", body.model), findingId: null };
    ttlSeconds = body.ttlSeconds === undefined ? DEFAULT_CACHE_TTL_SECONDS : ttlField(body.ttlSeconds);
  }
  const auditShare = body.auditShare === undefined ? DEFAULT_RULE_AUDIT_SHARE : auditShareField(body.auditShare, "the share of cache hits forwarded anyway");
  checkCacheModel(fields.model);

  const { projectId } = actor;
  const existing = await db.cacheRule.findFirst({ where: { projectId, feature: fields.feature, model: fields.model }, select: VIEW });
  if (existing) {
    if (existing.enabled) return { rule: toView(existing), created: false };
    return { rule: await updateCacheRule(actor, existing.id, { enabled: true }), created: false };
  }
  let row: Row;
  try {
    row = await db.cacheRule.create({ data: { projectId, ...fields, ttlSeconds, auditShare, enabled: true, createdById: actor.actorUserId }, select: VIEW });
  } catch (err) {
    if ((err as { code?: string }).code === "P2002") throw ValidationError.field("model", `"${fields.feature}" calls of ${fields.model} already have a cache rule.`, 409);
    throw err;
  }
  await auditRuleChange(actor, "cache_rule", row.id, "create", { ...fields, ttlSeconds, auditShare });
  notices.tell(projectId, row.id);
  return { rule: toView(row), created: true };
}

export type CacheRuleChange = { enabled?: boolean; ttlSeconds?: number; auditShare?: number };

/** Reads `{ enabled?, ttlSeconds?, auditShare? }` (at least one). */
export function parseCacheRuleChange(body: Record<string, unknown>): CacheRuleChange {
  const out: CacheRuleChange = {};
  if (body.enabled !== undefined) {
    if (typeof body.enabled !== "boolean") throw ValidationError.field("enabled", "enabled must be true or false.");
    out.enabled = body.enabled;
  }
  if (body.ttlSeconds !== undefined) out.ttlSeconds = ttlField(body.ttlSeconds);
  if (body.auditShare !== undefined) out.auditShare = auditShareField(body.auditShare, "the share of cache hits forwarded anyway");
  if (out.enabled === undefined && out.ttlSeconds === undefined && out.auditShare === undefined) {
    throw ValidationError.field("enabled", "Send enabled (true or false), ttlSeconds or auditShare.");
  }
  return out;
}

const cacheRules: ProxyRuleTable<Row, CacheRuleChange> = {
  kind: "cache_rule",
  notFound: "Cache rule not found.",
  find: (where) => db.cacheRule.findFirst({ where, select: VIEW }),
  update: (where, data) => db.cacheRule.updateMany({ where, data }),
  remove: (where) => db.cacheRule.deleteMany({ where }),
  changed: (projectId, ruleId) => notices.tell(projectId, ruleId),
};

/**
 * Switch a rule on or off and/or change its TTL or audit share. Any change drops the rule's stored
 * answers (they were stored under the old settings). NotFoundError for a rule of another project.
 */
export async function updateCacheRule(actor: RuleActor, ruleId: string, change: CacheRuleChange): Promise<CacheRuleView> {
  const after = await updateRule(cacheRules, actor, ruleId, change, (before, data) => ({
    change: data.enabled !== undefined ? (data.enabled ? "enable" : "disable") : data.ttlSeconds !== undefined ? "ttl" : "audit_share",
    meta: { feature: before.feature, model: before.model },
  }));
  return toView(after);
}

/** Delete a rule of the project (its stored answers go with it). NotFoundError for a rule of another project. */
export async function deleteCacheRule(actor: RuleActor, ruleId: string): Promise<void> {
  await deleteRule(cacheRules, actor, ruleId, (rule) => ({
    feature: rule.feature,
    model: rule.model,
    enabled: rule.enabled,
    ttlSeconds: rule.ttlSeconds,
    findingId: rule.findingId,
  }));
}
