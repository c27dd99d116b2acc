// The proxy's "route to another model" step: a call of a feature with an enabled model route
// (model-routes.ts), asking for the route's fromModel, is sent to its toModel instead; a random audit
// share stays on fromModel. Off by default.
//
// Speed: a project's enabled routes are cached for a few seconds (changes made in this process apply
// at once), so a call of a project (or feature) without a route costs a Map look-up; the body is parsed
// only for a feature that has one.
import { onModelRouteChange, enabledModelRoutes, modelApi, modelIdentity } from "./model-routes";

type Json = Record<string, unknown>;

/** What happens to one call: sent to toModel, or kept on its model as an audit. */
export type ModelRouteDecision =
  | { routed: true; routeId: string; fromModel: string; toModel: string; tags: { routed_from: string; model_route: string } }
  | { routed: false; routeId: string; tags: { route_audit: string } };

export type ModelRouterStats = {
  /** Calls sent to the route's toModel. */
  routed: number;
  /** Matched calls kept on their model (the audit share). */
  audited: number;
  /** Calls forwarded unchanged because the routes could not be read (the step fails open). */
  errors: number;
};

export type ModelRouterOptions = {
  /** How long a project's enabled routes are cached. */
  ttlMs: number;
  /** Draws for the audit share. */
  random: () => number;
  /** Told when the step failed and the call was forwarded unchanged. */
  onError: (message: string) => void;
};

/** A rule for calls of one model, with what `matchRequestModel` compares precomputed. */
export type ModelMatchable = {
  /** modelIdentity() of the rule's model. */
  identity: string;
  /** modelApi() of the rule's model: only calls through that API's endpoints match. */
  api: string | null;
};

/**
 * The rule among `candidates` for a call asking for `model` through endpoint family `api`
 * ("openai.chat" / "anthropic.messages"): same API, then the same name, else the same model as the
 * pricing matcher reads it (dated snapshot, provider prefix, alias). Shared by model routes and cache rules.
 */
export function matchRequestModel<T extends ModelMatchable>(candidates: readonly T[], api: string, model: string, nameOf: (rule: T) => string): T | undefined {
  const provider = api.slice(0, api.indexOf("."));
  const usable = candidates.filter((r) => r.api === provider);
  if (usable.length === 0) return undefined;
  return usable.find((r) => nameOf(r) === model) ?? usable.find((r) => r.identity === modelIdentity(model));
}

type CompiledRoute = { id: string; fromModel: string; toModel: string; auditShare: number; identity: string; api: string | null };

export class ModelRouter {
  /** projectId -> feature -> routes of that feature. */
  private readonly routes = new Map<string, { at: number; value: Promise<ReadonlyMap<string, CompiledRoute[]>> }>();
  private readonly stopListening: () => void;
  private readonly counters: ModelRouterStats = { routed: 0, audited: 0, errors: 0 };

  constructor(private readonly options: ModelRouterOptions) {
    this.stopListening = onModelRouteChange((projectId) => this.routes.delete(projectId));
  }

  /**
   * The route decision for one call, or null when no enabled route of the call's feature matches its
   * model. `api` is the endpoint family ("openai.chat" / "anthropic.messages", null for other endpoints);
   * `body` parses the request body (only called when the feature has a route).
   */
  async decide(projectId: string, feature: string | undefined, api: string | null, body: () => Json | null): Promise<ModelRouteDecision | null> {
    if (!api || !feature) return null;
    let candidates: CompiledRoute[] | undefined;
    try {
      candidates = (await this.projectRoutes(projectId)).get(feature);
    } catch (err) {
      this.counters.errors++;
      this.options.onError(`model routes of feature "${feature}" not read, call forwarded unchanged: ${String((err as Error)?.message ?? err).slice(0, 200)}`);
      return null;
    }
    if (!candidates) return null;
    const model = body()?.model;
    if (typeof model !== "string" || model === "") return null;
    const route = matchRequestModel(candidates, api, model, (r) => r.fromModel);
    if (!route) return null;
    if (this.options.random() < route.auditShare) {
      this.counters.audited++;
      return { routed: false, routeId: route.id, tags: { route_audit: route.id } };
    }
    this.counters.routed++;
    return { routed: true, routeId: route.id, fromModel: route.fromModel, toModel: route.toModel, tags: { routed_from: route.fromModel, model_route: route.id } };
  }

  stats(): ModelRouterStats {
    return { ...this.counters };
  }

  close(): void {
    this.stopListening();
    this.routes.clear();
  }

  private projectRoutes(projectId: string): Promise<ReadonlyMap<string, CompiledRoute[]>> {
    const now = Date.now();
    const hit = this.routes.get(projectId);
    if (hit && now - hit.at < this.options.ttlMs) return hit.value;
    const value = enabledModelRoutes(projectId).then((rows) => {
      const byFeature = new Map<string, CompiledRoute[]>();
      for (const r of rows) {
        const list = byFeature.get(r.feature) ?? [];
        list.push({ id: r.id, fromModel: r.fromModel, toModel: r.toModel, auditShare: r.auditShare, identity: modelIdentity(r.fromModel), api: modelApi(r.fromModel) });
        byFeature.set(r.feature, list);
      }
      return byFeature;
    });
    // Concurrent calls share one query; a failed query is not cached.
    this.routes.set(projectId, { at: now, value });
    value.catch(() => this.routes.delete(projectId));
    return value;
  }
}
