// Prompt rules: a verified prompt-compression recommendation applied in the proxy. A rule says "calls of
// feature F whose static prompt is P (by its sha256, as the ingest stores it) are sent with the shorter
// prompt R instead", except a random audit share that is sent as the client wrote it, so the original
// prompt's answers keep being sampled. Rules are made from a compress finding (lib/analysis/bloat ->
// Finding, evidence.kind "prompt_compression") by an admin, and only when a replay verified the
// candidate: an unverified rewrite of every call's prompt is not something the proxy does on a guess.
// The proxy reads the enabled ones (prompt-rewriter.ts).
// Same shape as model routes and cache rules: every query is scoped by projectId; each change is audited
// and told to the proxy of this process (the shared steps: proxy-rules.ts).
import { db } from "../db/client";
import { ValidationError } from "../http/errors";
import { sha256Hex } from "../ingest/prompts";
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

export type PromptRuleView = RuleCommonView & { feature: string; promptHash: string; replacement: string };

const VIEW = { ...RULE_COMMON_SELECT, feature: true, promptHash: true, replacement: true } as const;

type Row = Omit<PromptRuleView, "createdBy"> & { createdBy: { email: string } | null };
const toView = (r: Row): PromptRuleView => ruleView(r);

// ---------------------------------------------------------------- change notices

/** Listeners told when a project's prompt rules change (the proxy's rewriter drops its cached rules). */
const notices = new ProcessNotices<[projectId: string]>("prompt-rules");
export function onPromptRuleChange(listener: (projectId: string) => void): () => void {
  return notices.on(listener);
}

// ---------------------------------------------------------------- reading

export async function listPromptRules(projectId: string): Promise<PromptRuleView[]> {
  const rows = await db.promptRule.findMany({ where: { projectId }, select: VIEW, orderBy: [{ feature: "asc" }, { createdAt: "asc" }] });
  return rows.map(toView);
}

/** What the proxy needs of a project's enabled rules. */
export async function enabledPromptRules(projectId: string): Promise<Array<{ id: string; feature: string; promptHash: string; replacement: string; auditShare: number }>> {
  return db.promptRule.findMany({ where: { projectId, enabled: true }, select: { id: true, feature: true, promptHash: true, replacement: true, auditShare: true } });
}

// ---------------------------------------------------------------- from a finding

type RuleFields = { feature: string; promptHash: string; replacement: string; findingId: string };

/** Why a candidate is not verified, in a sentence, from the finding's stored verification. */
function notVerifiedBecause(verification: unknown): string {
  const v = (verification && typeof verification === "object" ? verification : {}) as Record<string, unknown>;
  const status = typeof v.status === "string" ? v.status : "unverified";
  if (status === "unverified") return `it was not replayed (${typeof v.reason === "string" ? v.reason : "no replay ran"})`;
  const agreement = v.agreement as { low?: unknown } | undefined;
  const low = typeof agreement?.low === "number" ? ` (agreement at least ${(agreement.low * 100).toFixed(1)}%, target ${typeof v.target === "number" ? (v.target * 100).toFixed(0) : "?"}%)` : "";
  return `the replay check came out ${status}${low}`;
}

/**
 * feature / prompt hash / replacement of a compress finding of the project that is open or accepted,
 * about one fixed system prompt, whose candidate a replay verified.
 */
async function fieldsFromFinding(projectId: string, findingId: string): Promise<RuleFields> {
  const { finding, feature } = await findingToApply(projectId, findingId, { lever: "compress", appliedAs: "a prompt rule", proxyDoes: "rewrites prompts of" });
  const evidence = finding.evidence;
  if (evidence.kind !== "prompt_compression") {
    throw ValidationError.field("findingId", "findingId: only a compressed fixed prompt can be applied in the proxy (this compress finding is about conversation history or answer length: change the calling code).");
  }
  if (evidence.recommended !== true || (evidence.verification as { status?: unknown } | undefined)?.status !== "verified") {
    throw ValidationError.field(
      "findingId",
      `findingId: the compressed prompt was not verified by a replay: ${notVerifiedBecause(evidence.verification)}. The proxy rewrites prompts only with a candidate whose answers a replay showed to agree with the original's; configure a provider for the project and re-run the analysis.`,
    );
  }
  const original = evidence.original;
  const replacement = typeof finding.howToApply?.snippet === "string" ? finding.howToApply.snippet : evidence.candidate;
  if (typeof original !== "string" || original === "" || typeof replacement !== "string" || replacement.trim() === "") {
    throw ValidationError.field("findingId", "findingId: the finding holds no original and compressed prompt text.");
  }
  if (replacement === original) throw ValidationError.field("findingId", "findingId: the compressed prompt is the same as the original.");
  // The proxy matches a call by the sha256 of its static prompt exactly as the ingest extracts it: the
  // finding's fixed text must be such a prompt (not a template, not several messages joined).
  const promptHash = sha256Hex(original);
  const stored = finding.scope.promptHash ? await db.promptBlob.findUnique({ where: { projectId_hash: { projectId, hash: promptHash } }, select: { hash: true } }) : null;
  if (!stored) {
    throw ValidationError.field(
      "findingId",
      "findingId: the finding's fixed text is not one static prompt the project's calls send (it varies between calls, spans several messages or includes a user-message template), so the proxy cannot recognise the calls to rewrite.",
    );
  }
  return { feature: featureField(feature, "the x-spendlens-feature tag of the calls to rewrite"), promptHash, replacement, findingId: finding.id };
}

// ---------------------------------------------------------------- changes

/**
 * Create an enabled rule from `{ findingId }` (a verified prompt-compression finding, open or accepted)
 * with an optional `auditShare` (default 0.02). Applying the same finding again returns the rule
 * (switched back on); another replacement for the same feature and prompt is a 409.
 */
export async function createPromptRule(actor: RuleActor, body: Record<string, unknown>): Promise<{ rule: PromptRuleView; created: boolean }> {
  if (typeof body.findingId !== "string" || body.findingId.trim() === "") {
    throw ValidationError.field("findingId", "findingId is required: the id of a verified prompt-compression finding (prompt rules are made from findings only).");
  }
  for (const f of ["feature", "promptHash", "replacement"] as const) {
    if (body[f] !== undefined) throw ValidationError.field(f, `${f} comes from the finding: leave it out.`);
  }
  const auditShare = body.auditShare === undefined ? DEFAULT_RULE_AUDIT_SHARE : auditShareField(body.auditShare, "the share of calls sent with the original prompt");
  const fields = await fieldsFromFinding(actor.projectId, body.findingId.trim());

  const { projectId } = actor;
  const existing = await db.promptRule.findFirst({ where: { projectId, feature: fields.feature, promptHash: fields.promptHash }, select: VIEW });
  if (existing) {
    if (existing.replacement !== fields.replacement) {
      throw ValidationError.field("findingId", `"${fields.feature}" calls with this prompt are already rewritten by rule ${existing.id} with another text: delete that rule first.`, 409);
    }
    if (existing.enabled) return { rule: toView(existing), created: false };
    return { rule: await updatePromptRule(actor, existing.id, { enabled: true }), created: false };
  }
  let row: Row;
  try {
    row = await db.promptRule.create({ data: { projectId, ...fields, auditShare, enabled: true, createdById: actor.actorUserId }, select: VIEW });
  } catch (err) {
    if ((err as { code?: string }).code === "P2002") throw ValidationError.field("findingId", `"${fields.feature}" calls with this prompt already have a prompt rule.`, 409);
    throw err;
  }
  await auditRuleChange(actor, "prompt_rule", row.id, "create", {
    feature: fields.feature,
    promptHash: fields.promptHash,
    findingId: fields.findingId,
    replacementChars: fields.replacement.length,
    auditShare,
  });
  notices.tell(projectId);
  return { rule: toView(row), created: true };
}

type PromptRuleChange = { enabled?: boolean; auditShare?: number };

/** Reads `{ enabled?, auditShare? }` (at least one). */
export function parsePromptRuleChange(body: Record<string, unknown>): PromptRuleChange {
  const out: PromptRuleChange = {};
  if (body.enabled !== undefined) {
    if (typeof body.enabled !== "boolean") throw ValidationError.field("enabled", "enabled must be true or false.");
    out.enabled = body.enabled;
  }
  if (body.auditShare !== undefined) out.auditShare = auditShareField(body.auditShare, "the share of calls sent with the original prompt");
  if (out.enabled === undefined && out.auditShare === undefined) throw ValidationError.field("enabled", "Send enabled (true or false) or auditShare.");
  return out;
}

const promptRules: ProxyRuleTable<Row, PromptRuleChange> = {
  kind: "prompt_rule",
  notFound: "Prompt rule not found.",
  find: (where) => db.promptRule.findFirst({ where, select: VIEW }),
  update: (where, data) => db.promptRule.updateMany({ where, data }),
  remove: (where) => db.promptRule.deleteMany({ where }),
  changed: (projectId) => notices.tell(projectId),
};

/** Switch a rule on or off and/or change its audit share. NotFoundError for a rule of another project. */
export async function updatePromptRule(actor: RuleActor, ruleId: string, change: PromptRuleChange): Promise<PromptRuleView> {
  const after = await updateRule(promptRules, actor, ruleId, change, (before, data) => ({
    change: data.enabled === undefined ? "audit_share" : data.enabled ? "enable" : "disable",
    meta: { feature: before.feature, promptHash: before.promptHash },
  }));
  return toView(after);
}

/** Delete a rule of the project: the feature's calls are sent with their own prompt again. */
export async function deletePromptRule(actor: RuleActor, ruleId: string): Promise<void> {
  await deleteRule(promptRules, actor, ruleId, (rule) => ({
    feature: rule.feature,
    promptHash: rule.promptHash,
    enabled: rule.enabled,
    findingId: rule.findingId,
  }));
}
