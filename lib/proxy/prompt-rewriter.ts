// The proxy's "send the compressed prompt" step: a call of a feature with an enabled prompt rule
// (prompt-rules.ts) whose static prompt (the first system/developer message of a chat completion, the
// `system` of an Anthropic message) hashes to the rule's promptHash is sent with the rule's replacement
// in that prompt's place; a random audit share is sent as the client wrote it. Off by default.
//
// The static prompt is found and hashed by the ingest's own extractStaticPrompt (lib/ingest/prompts.ts),
// so a rule's hash — the one stored in PromptBlob / Call.promptHash — matches exactly the calls whose
// stored prompt it is; the replacement goes back where the prompt was by restoreStaticPrompt.
//
// Speed: a project's enabled rules are cached for a few seconds (changes made in this process apply at
// once), so a call of a project (or feature) without a rule costs a Map look-up; the body is parsed and
// its prompt hashed only for a feature that has one.
import { extractStaticPrompt, restoreStaticPrompt } from "../ingest/prompts";
import { enabledPromptRules, onPromptRuleChange } from "./prompt-rules";

type Json = Record<string, unknown>;

/** The endpoint families whose static prompt the step rewrites (as localAnswerApi names them). */
export type PromptApi = "openai.chat" | "anthropic.messages";

/** What happens to one call whose prompt has a rule: sent rewritten, or as written (an audit). */
export type PromptRewriteDecision =
  | { rewritten: true; ruleId: string; body: Json; tags: { prompt_rule: string } }
  | { rewritten: false; ruleId: string; tags: { prompt_audit: string } };

export type PromptRewriterStats = {
  /** Calls sent with a rule's replacement. */
  rewritten: number;
  /** Matched calls sent as written (the audit share). */
  audited: number;
  /** Calls forwarded unchanged because the rules could not be read (the step fails open). */
  errors: number;
};

export type PromptRewriterOptions = {
  /** How long a project's enabled rules are cached. */
  ttlMs: number;
  /** Draws for the audit share. */
  random: () => number;
  /** Told when the step failed and the call was forwarded unchanged. */
  onError: (message: string) => void;
};

type CompiledRule = { id: string; replacement: string; auditShare: number };

export class PromptRewriter {
  /** projectId -> feature -> promptHash -> rule. */
  private readonly rules = new Map<string, { at: number; value: Promise<ReadonlyMap<string, ReadonlyMap<string, CompiledRule>>> }>();
  private readonly stopListening: () => void;
  private readonly counters: PromptRewriterStats = { rewritten: 0, audited: 0, errors: 0 };

  constructor(private readonly options: PromptRewriterOptions) {
    this.stopListening = onPromptRuleChange((projectId) => this.rules.delete(projectId));
  }

  /**
   * The rewrite decision for one call, or null when no enabled rule of the call's feature matches its
   * static prompt. `api` is the endpoint family (null for other endpoints); `body` parses the request
   * body (only called when the feature has a rule).
   */
  async decide(projectId: string, feature: string | undefined, api: PromptApi | null, body: () => Json | null): Promise<PromptRewriteDecision | null> {
    if (!api || !feature) return null;
    let byHash: ReadonlyMap<string, CompiledRule> | undefined;
    try {
      byHash = (await this.projectRules(projectId)).get(feature);
    } catch (err) {
      this.counters.errors++;
      this.options.onError(`prompt rules of feature "${feature}" not read, call forwarded unchanged: ${String((err as Error)?.message ?? err).slice(0, 200)}`);
      return null;
    }
    if (!byHash) return null;
    const json = body();
    if (!json) return null;
    const prompt = extractStaticPrompt(api, json);
    if (!prompt) return null;
    const rule = byHash.get(prompt.hash);
    if (!rule) return null;
    if (this.options.random() < rule.auditShare) {
      this.counters.audited++;
      return { rewritten: false, ruleId: rule.id, tags: { prompt_audit: rule.id } };
    }
    this.counters.rewritten++;
    return { rewritten: true, ruleId: rule.id, body: restoreStaticPrompt(prompt.request, prompt.hash, rule.replacement), tags: { prompt_rule: rule.id } };
  }

  stats(): PromptRewriterStats {
    return { ...this.counters };
  }

  close(): void {
    this.stopListening();
    this.rules.clear();
  }

  private projectRules(projectId: string): Promise<ReadonlyMap<string, ReadonlyMap<string, CompiledRule>>> {
    const now = Date.now();
    const hit = this.rules.get(projectId);
    if (hit && now - hit.at < this.options.ttlMs) return hit.value;
    const value = enabledPromptRules(projectId).then((rows) => {
      const byFeature = new Map<string, Map<string, CompiledRule>>();
      for (const r of rows) {
        const byHash = byFeature.get(r.feature) ?? new Map<string, CompiledRule>();
        byHash.set(r.promptHash, { id: r.id, replacement: r.replacement, auditShare: r.auditShare });
        byFeature.set(r.feature, byHash);
      }
      return byFeature;
    });
    // Concurrent calls share one query; a failed query is not cached.
    this.rules.set(projectId, { at: now, value });
    value.catch(() => this.rules.delete(projectId));
    return value;
  }
}
