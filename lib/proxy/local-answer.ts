// The proxy's "answer locally" step (issue 9). A classification call of a feature for which an admin
// enabled a distilled model (lib/analysis/distill) is answered by that model when it is confident: $0,
// no upstream request. Everything else is forwarded as before, and a small random share of confident
// calls is forwarded anyway (audit) so agreement with the LLM keeps being measured. Off by default.
//
// Speed: which features of a project have an enabled model is cached per project for a few seconds,
// so a call of a project (or feature) without one costs a Map look-up; the body is parsed and the model
// run only for a feature that has one.
import { onDistilledModelChange } from "../analysis/distill/models";
import { answerLocally, type LocalAnswer, type LocalAnswerApi } from "../analysis/distill/serve";
import { db } from "../db/client";
import type { ProxyRoute } from "./routes";

type Json = Record<string, unknown>;

/** The endpoints a distilled model can answer, with the response format each one expects. */
export function localAnswerApi(method: string, route: ProxyRoute): LocalAnswerApi | null {
  if (method !== "POST") return null;
  if (route.provider === "openai" && route.apiPath === "/v1/chat/completions") return "openai.chat";
  if (route.provider === "anthropic" && route.apiPath === "/v1/messages") return "anthropic.messages";
  return null;
}

export type LocalAnswerStats = {
  /** Calls answered by a distilled model (not sent upstream). */
  answered: number;
  /** Confident calls forwarded anyway to keep measuring agreement. */
  audited: number;
  /** Calls forwarded because the model could not be looked up or run (the step fails open). */
  errors: number;
};

export type LocalAnswersOptions = {
  /** How long a project's set of features with an enabled model is cached. */
  ttlMs: number;
  /** Share of confident calls forwarded anyway. */
  auditShare: number;
  /** Draws for the audit share (tests make it deterministic). */
  random: () => number;
  /** Told when the step failed and the call was forwarded instead (rate-limited by the caller's choice). */
  onError: (message: string) => void;
};

export class LocalAnswers {
  private readonly features = new Map<string, { at: number; value: Promise<ReadonlySet<string>> }>();
  private readonly stopListening: () => void;
  private readonly counters: LocalAnswerStats = { answered: 0, audited: 0, errors: 0 };

  constructor(private readonly options: LocalAnswersOptions) {
    // Enabling or disabling in this process (the admin API) applies at once; elsewhere within ttlMs.
    this.stopListening = onDistilledModelChange((projectId) => this.features.delete(projectId));
  }

  /**
   * The distilled model's decision for one call, or null when the step does not apply (no enabled model
   * for the call's feature, an endpoint or request a model cannot answer, or a failure: then forward).
   * `body` parses the request body (only called when a model may answer).
   */
  async decide(projectId: string, feature: string | undefined, api: LocalAnswerApi | null, streaming: boolean, body: () => Json | null): Promise<LocalAnswer | null> {
    if (!api || !feature || streaming) return null;
    try {
      if (!(await this.enabledFeatures(projectId)).has(feature)) return null;
      const request = body();
      if (!request) return null;
      const local = await answerLocally(projectId, feature, request, { api, auditShare: this.options.auditShare, random: this.options.random });
      if (local.answered) this.counters.answered++;
      else if (local.reason === "audit") this.counters.audited++;
      return local;
    } catch (err) {
      this.counters.errors++;
      this.options.onError(`distilled model for feature "${feature}" not used, call forwarded: ${String((err as Error)?.message ?? err).slice(0, 200)}`);
      return null;
    }
  }

  stats(): LocalAnswerStats {
    return { ...this.counters };
  }

  close(): void {
    this.stopListening();
    this.features.clear();
  }

  private enabledFeatures(projectId: string): Promise<ReadonlySet<string>> {
    const now = Date.now();
    const hit = this.features.get(projectId);
    if (hit && now - hit.at < this.options.ttlMs) return hit.value;
    const value = db.distilledModel
      .findMany({ where: { projectId, enabled: true }, select: { feature: true } })
      .then((rows) => new Set(rows.map((r) => r.feature)));
    // Concurrent calls share one query; a failed query is not cached.
    this.features.set(projectId, { at: now, value });
    value.catch(() => this.features.delete(projectId));
    return value;
  }
}
