// What model routes (model-routes.ts), cache rules (cache-rules.ts) and prompt rules (prompt-rules.ts) do alike when an admin changes
// one: find the rule in the actor's project (404 otherwise), write only what differs, audit the change
// as "project.update" on "<kind>:<id>", and tell the proxy of this process. Each module keeps its own
// fields, checks and audit details; the table object is how it hands its Prisma model to these steps.
import { NotFoundError, ValidationError } from "../http/errors";
import { EVENT_LIMITS } from "../ingest/validate";
import { writeAuditLog } from "../orgs/audit";
import { getFinding, type FindingView } from "../recommend/findings";

/** What every kind of rule has and shows, beside its own fields. */
export type RuleCommonView = {
  id: string;
  enabled: boolean;
  auditShare: number;
  findingId: string | null;
  /** Email of who created it. */
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
};

/** The Prisma select for RuleCommonView (spread into each kind's select with its own fields). */
export const RULE_COMMON_SELECT = {
  id: true,
  enabled: true,
  auditShare: true,
  findingId: true,
  createdAt: true,
  updatedAt: true,
  createdBy: { select: { email: true } },
} as const;

/** A rule row as selected with RULE_COMMON_SELECT, as shown (createdBy as the email). */
export function ruleView<Row extends { createdBy: { email: string } | null }>(row: Row): Omit<Row, "createdBy"> & { createdBy: string | null } {
  return { ...row, createdBy: row.createdBy?.email ?? null };
}

/** Share of matched calls a new rule leaves as they were, so what it changes stays measured. */
export const DEFAULT_RULE_AUDIT_SHARE = 0.02;

// ---------------------------------------------------------------- fields every kind of rule has

/** The x-spendlens-feature tag a proxy rule applies to (every kind of rule). */
export function featureField(value: unknown, purpose = "the x-spendlens-feature tag of the calls to route"): string {
  if (typeof value !== "string" || value.trim() === "") throw ValidationError.field("feature", `feature is required: ${purpose}.`);
  const feature = value.trim();
  if (feature.length > EVENT_LIMITS.tagValueMaxChars) throw ValidationError.field("feature", `feature must be at most ${EVENT_LIMITS.tagValueMaxChars} characters.`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(feature)) throw ValidationError.field("feature", "feature must not contain control characters.");
  return feature;
}

/** A rule's audit share, 0-1 (`meaning` says what the share is for). */
export function auditShareField(value: unknown, meaning = "the share of calls kept on the original model"): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value > 1) {
    throw ValidationError.field("auditShare", `auditShare must be a number from 0 to 1 (${meaning}).`);
  }
  return value;
}

/** Who changes a rule, and in which project (every query is scoped by projectId). */
export type RuleActor = { projectId: string; organizationId: string; actorUserId: string };

/** The audit target prefix and change prefix: "model_route:<id>", "model_route.enable". */
export type RuleKind = "model_route" | "cache_rule" | "prompt_rule";

/** The where clause of every query on one rule: its id within the actor's project. */
type RuleWhere = { id: string; projectId: string };

/** One kind of rule's table, as the shared steps need it. */
export type ProxyRuleTable<Row, Change> = {
  kind: RuleKind;
  /** The 404 message: "Model route not found." */
  notFound: string;
  find(where: RuleWhere): Promise<Row | null>;
  update(where: RuleWhere, data: Partial<Change>): Promise<unknown>;
  remove(where: RuleWhere): Promise<unknown>;
  /** Tells the proxy of this process (ruleId for the listeners that need it). */
  changed(projectId: string, ruleId: string): void;
};

/** Audit a change of a rule: `change` is the verb ("create", "enable", ...), `meta` what it is about. */
export async function auditRuleChange(actor: RuleActor, kind: RuleKind, ruleId: string, change: string, meta: Record<string, unknown>): Promise<void> {
  await writeAuditLog({
    organizationId: actor.organizationId,
    actorUserId: actor.actorUserId,
    action: "project.update",
    target: `${kind}:${ruleId}`,
    meta: { change: `${kind}.${change}`, projectId: actor.projectId, ...meta },
  });
}

/**
 * The finding a rule is made from: one of the project (else 404 on findingId), of `lever`, open or
 * accepted, about calls with a feature tag. `appliedAs` and `proxyDoes` word the errors ("a cache
 * rule", "caches"). The feature is returned as the finding has it: the caller checks it as a field.
 */
export async function findingToApply(
  projectId: string,
  findingId: string,
  want: { lever: string; appliedAs: string; proxyDoes: string },
): Promise<{ finding: FindingView; feature: string }> {
  let finding;
  try {
    finding = await getFinding(projectId, findingId);
  } catch (err) {
    if (err instanceof NotFoundError) throw ValidationError.field("findingId", "findingId: no such finding in this project.", 404);
    throw err;
  }
  if (finding.lever !== want.lever) {
    throw ValidationError.field("findingId", `findingId: a ${finding.lever} finding cannot be applied as ${want.appliedAs} (only ${want.lever} findings).`);
  }
  if (finding.status !== "open" && finding.status !== "accepted") throw ValidationError.field("findingId", `findingId: the finding is ${finding.status}; reopen it to apply it.`);
  const feature = finding.scope.feature;
  if (typeof feature !== "string" || feature.trim() === "") {
    throw ValidationError.field("findingId", `findingId: the finding covers calls without a feature tag; the proxy ${want.proxyDoes} calls by their x-spendlens-feature tag.`);
  }
  return { finding, feature };
}

/** A rule of the actor's project, or NotFoundError (also for a rule of another project). */
export async function findRule<Row, Change>(table: ProxyRuleTable<Row, Change>, actor: RuleActor, ruleId: string): Promise<Row> {
  const rule = await table.find({ id: ruleId, projectId: actor.projectId });
  if (!rule) throw new NotFoundError(table.notFound);
  return rule;
}

/**
 * Write the fields of `change` that differ from the rule's, audit them (`describe` names the change
 * and what the audit entry says besides the changed fields) and tell the proxy. Nothing differs:
 * the rule as it is, nothing written. NotFoundError for a rule of another project.
 */
export async function updateRule<Row extends { [K in keyof Change]: unknown }, Change extends object>(
  table: ProxyRuleTable<Row, Change>,
  actor: RuleActor,
  ruleId: string,
  change: Change,
  describe: (before: Row, data: Partial<Change>) => { change: string; meta: Record<string, unknown> },
): Promise<Row> {
  const before = await findRule(table, actor, ruleId);
  const data: Partial<Change> = {};
  for (const key of Object.keys(change) as Array<keyof Change>) {
    if (change[key] !== undefined && change[key] !== before[key]) data[key] = change[key];
  }
  if (Object.keys(data).length === 0) return before;
  const where = { id: ruleId, projectId: actor.projectId };
  await table.update(where, data);
  const after = await findRule(table, actor, ruleId);
  const audit = describe(before, data);
  await auditRuleChange(actor, table.kind, ruleId, audit.change, { ...audit.meta, ...data });
  table.changed(actor.projectId, ruleId);
  return after;
}

/** Delete a rule of the actor's project, audited with `meta` of the rule. NotFoundError for a rule of another project. */
export async function deleteRule<Row, Change>(
  table: ProxyRuleTable<Row, Change>,
  actor: RuleActor,
  ruleId: string,
  meta: (rule: Row) => Record<string, unknown>,
): Promise<void> {
  const rule = await findRule(table, actor, ruleId);
  await table.remove({ id: ruleId, projectId: actor.projectId });
  await auditRuleChange(actor, table.kind, ruleId, "delete", meta(rule));
  table.changed(actor.projectId, ruleId);
}
