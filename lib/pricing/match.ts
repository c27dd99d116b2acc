// Model-name matching: from the name a call reports (dated snapshot, provider prefix, Azure deployment,
// fine-tune id, Bedrock/Vertex id) to a key of the price table. An unknown model matches nothing (null):
// the caller stores it as unpriced, never as $0.
import { SNAPSHOT, type PriceEntry, type PriceTable } from "./table";

export type ModelMatch = {
  /** The price-table key that matched. */
  key: string;
  entry: PriceEntry;
  /** How it matched: exact | provider-prefix | prefix-stripped | azure-deployment | fine-tune | fine-tune-base | snapshot | alias | bedrock-id | vertex-id. */
  via: string;
};

export type Candidate = { name: string; via: string };

/** LiteLLM key prefixes tried for a call's provider (e.g. provider "google" + "gemini-2.5-pro" → "gemini/gemini-2.5-pro"). */
const PROVIDER_KEY_PREFIXES: Record<string, string[]> = {
  google: ["gemini"],
  gemini: ["gemini"],
  vertex: ["vertex_ai"],
  vertex_ai: ["vertex_ai"],
  azure: ["azure"],
  bedrock: ["bedrock"],
  mistral: ["mistral"],
  cohere: ["cohere"],
  deepseek: ["deepseek"],
  groq: ["groq"],
  cerebras: ["cerebras"],
  openrouter: ["openrouter"],
  xai: ["xai"],
};

/** Leading "<provider>/" segments that name a route, not a model, and may be stripped. */
const STRIPPABLE_PREFIXES = new Set([
  "openai",
  "anthropic",
  "azure",
  "azure_ai",
  "gemini",
  "google",
  "vertex_ai",
  "vertex",
  "bedrock",
  "bedrock_converse",
  "mistral",
  "cohere",
  "deepseek",
  "models",
  "text-completion-openai",
]);

const BEDROCK_REGION = /^(us|eu|apac|global|jp|au|ca|us-gov)\./;
const BEDROCK_VENDOR = /^(anthropic|amazon|meta|mistral|cohere|ai21|deepseek|openai|qwen|writer)\./;
const DATE_SUFFIX = /-(\d{4}-\d{2}-\d{2}|\d{8})$/;

let envDeployments: Record<string, string> | null = null;

function parseDeploymentsEnv(raw: string | undefined): Record<string, string> {
  if (!raw || !raw.trim()) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new Error(`SPENDLENS_AZURE_DEPLOYMENTS must be a JSON object {"deployment": "model"}: ${(err as Error).message}`);
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed) || !Object.values(parsed).every((v) => typeof v === "string")) {
    throw new Error('SPENDLENS_AZURE_DEPLOYMENTS must be a JSON object {"deployment": "model"} with string values');
  }
  return parsed as Record<string, string>;
}

/**
 * Re-read SPENDLENS_AZURE_DEPLOYMENTS (it is read once, on first use: process.env is slow to read per call)
 * and forget cached matches. For tests and for a process that changes its environment.
 */
export function reloadAzureDeploymentsFromEnv(): void {
  envDeployments = null;
  candidateCache = new WeakMap();
  matchCache = new WeakMap();
}

/** Azure deployment → model mapping from env SPENDLENS_AZURE_DEPLOYMENTS (JSON object), merged under `explicit`. */
export function azureDeployments(explicit?: Record<string, string>): Record<string, string> {
  if (!envDeployments) envDeployments = parseDeploymentsEnv(process.env.SPENDLENS_AZURE_DEPLOYMENTS);
  return explicit ? { ...envDeployments, ...explicit } : envDeployments;
}

/**
 * The undated alias of a snapshot name: "gpt-4o-2024-08-06" → "gpt-4o", "claude-3-5-haiku-20241022" and
 * "claude-3-5-haiku-latest" → "claude-3-5-haiku", "openai/gpt-4o-2024-08-06" → "openai/gpt-4o". null for
 * a name without a date or "-latest" suffix. Only the suffix is cut, so "gpt-4o-mini-2024-07-18" gives
 * "gpt-4o-mini", never "gpt-4o".
 */
export function undatedAlias(name: string): string | null {
  const dated = DATE_SUFFIX.exec(name);
  const alias = dated ? name.slice(0, dated.index) : /-latest$/i.test(name) ? name.slice(0, -"-latest".length) : null;
  return alias && !alias.endsWith("/") ? alias : null;
}

/** Dated table keys for an undated name ("claude-sonnet-4" → "claude-sonnet-4-20250514"), newest first. */
function datedKeys(table: PriceTable, name: string): string[] {
  const out: Array<{ key: string; date: string }> = [];
  for (const key of Object.keys(table)) {
    if (!key.startsWith(name + "-")) continue;
    const m = DATE_SUFFIX.exec(key);
    if (m && key.length === name.length + 1 + m[1].length) out.push({ key, date: m[1].replace(/-/g, "") });
  }
  return out.sort((a, b) => b.date.localeCompare(a.date)).map((x) => x.key);
}

/**
 * Names to try, in order, for a reported model. Exposed for tests and for the override lookup, which
 * uses the same order so an override keyed by a model name applies exactly where a table key would.
 */
export function modelCandidates(model: string, opts: { provider?: string | null; azureDeployments?: Record<string, string>; table?: PriceTable } = {}): readonly Candidate[] {
  const table = opts.table ?? SNAPSHOT;
  if (opts.azureDeployments) return computeCandidates(model, opts.provider ?? null, opts.azureDeployments, table);
  // Ingest prices every call: remember the candidate lists of the names seen (bounded).
  const perModel = cacheFor(candidateCache, table, opts.provider ?? "");
  const hit = perModel.get(model);
  if (hit) return hit;
  const list = computeCandidates(model, opts.provider ?? null, undefined, table);
  if (perModel.size >= CACHE_LIMIT) perModel.clear();
  perModel.set(model, list);
  return list;
}

type PerProvider<T> = Map<string, Map<string, T>>;
const CACHE_LIMIT = 5000;
let candidateCache = new WeakMap<PriceTable, PerProvider<Candidate[]>>();
let matchCache = new WeakMap<PriceTable, PerProvider<ModelMatch | null>>();

function cacheFor<T>(caches: WeakMap<PriceTable, PerProvider<T>>, table: PriceTable, provider: string): Map<string, T> {
  let perTable = caches.get(table);
  if (!perTable) caches.set(table, (perTable = new Map()));
  let perModel = perTable.get(provider);
  if (!perModel) perTable.set(provider, (perModel = new Map()));
  return perModel;
}

function computeCandidates(model: string, providerName: string | null, explicitDeployments: Record<string, string> | undefined, table: PriceTable): Candidate[] {
  const out: Candidate[] = [];
  const seen = new Set<string>();
  const add = (name: string, via: string) => {
    if (name && !seen.has(name)) {
      seen.add(name);
      out.push({ name, via });
    }
  };

  const visit = (name: string, via: string, provider: string | null, depth: number): void => {
    if (!name || depth > 6) return;
    const lower = name.toLowerCase();
    // A provider-specific key wins over the generic one ("gemini/gemini-2.5-pro" over the Vertex "gemini-2.5-pro").
    if (provider && !name.includes("/")) for (const p of PROVIDER_KEY_PREFIXES[provider] ?? []) add(`${p}/${name}`, via === "exact" ? "provider-prefix" : via);
    add(name, via);
    add(lower, via);

    if (lower.startsWith("ft:")) {
      const base = name.slice(3).split(":")[0];
      add(`ft:${base}`, "fine-tune");
      const undated = base.replace(DATE_SUFFIX, "").replace(/-\d{4}$/, "");
      add(`ft:${undated}`, "fine-tune");
      for (const k of datedKeys(table, `ft:${undated}`)) add(k, "fine-tune");
      visit(base, "fine-tune-base", provider, depth + 1);
      return;
    }

    const slash = name.indexOf("/");
    if (slash > 0) {
      const head = lower.slice(0, slash);
      const rest = name.slice(slash + 1);
      if (STRIPPABLE_PREFIXES.has(head)) visit(rest, "prefix-stripped", head === "google" || head === "models" ? provider : head, depth + 1);
      // Vertex resource names: projects/…/publishers/google/models/gemini-2.0-flash-001
      const modelsAt = lower.lastIndexOf("/models/");
      if (modelsAt >= 0) visit(name.slice(modelsAt + "/models/".length), "vertex-id", provider, depth + 1);
      return;
    }

    // Bedrock ids: us.anthropic.claude-3-5-haiku-20241022-v1:0 → claude-3-5-haiku-20241022
    if (BEDROCK_REGION.test(lower) || BEDROCK_VENDOR.test(lower)) {
      add(`bedrock/${name}`, "bedrock-id");
      const noRegion = name.replace(BEDROCK_REGION, "");
      add(noRegion, "bedrock-id");
      const bare = noRegion.replace(BEDROCK_VENDOR, "").replace(/-v\d+(:\d+)?$/, "");
      if (bare !== name) visit(bare, "bedrock-id", provider, depth + 1);
      return;
    }

    // Vertex Anthropic ids: claude-3-5-sonnet-v2@20241022, claude-sonnet-4@20250514
    const vertex = /^(.*?)(?:-v\d+)?@(\d{8}|\d{3})$/.exec(name);
    if (vertex) {
      visit(`${vertex[1]}-${vertex[2]}`, "vertex-id", provider, depth + 1);
      visit(vertex[1], "vertex-id", provider, depth + 1);
      return;
    }

    const dated = DATE_SUFFIX.exec(name);
    if (dated) {
      visit(name.slice(0, dated.index), "snapshot", provider, depth + 1);
      return;
    }
    if (/-latest$/i.test(name)) {
      visit(name.replace(/-latest$/i, ""), "alias", provider, depth + 1);
      return;
    }
    // Undated alias → newest dated key ("claude-sonnet-4" → "claude-sonnet-4-20250514").
    for (const k of datedKeys(table, name)) add(k, "alias");
    if (provider) for (const p of PROVIDER_KEY_PREFIXES[provider] ?? []) for (const k of datedKeys(table, `${p}/${name}`)) add(k, "alias");
    // Anthropic "-0" aliases (claude-sonnet-4-0) and version suffixes (gemini-2.0-flash-001, gpt-4-0613).
    const alias0 = /^(claude-.*)-0$/.exec(name);
    if (alias0) visit(alias0[1], "alias", provider, depth + 1);
    const version = /-(\d{3}|\d{4})$/.exec(name);
    if (version) visit(name.slice(0, version.index), "snapshot", provider, depth + 1);
  };

  const trimmed = model.trim();
  if (!trimmed) return out;
  const provider = providerName ? providerName.toLowerCase() : null;
  const deployments = azureDeployments(explicitDeployments);
  const deployment = deployments[trimmed] ?? (trimmed.toLowerCase().startsWith("azure/") ? deployments[trimmed.slice(6)] : undefined);
  if (deployment) visit(deployment, "azure-deployment", "azure", 0);
  visit(trimmed, "exact", provider, 0);
  // Last resort for a bare name: a provider-qualified key ("mistral-large-latest" → "mistral/mistral-large-latest").
  if (!trimmed.includes("/")) for (const p of new Set(Object.values(PROVIDER_KEY_PREFIXES).flat())) add(`${p}/${trimmed}`, "provider-prefix");
  return out;
}

/** The price-table entry for a reported model name, or null when nothing matches. */
export function matchModel(model: string, opts: { provider?: string | null; azureDeployments?: Record<string, string>; table?: PriceTable } = {}): ModelMatch | null {
  const table = opts.table ?? SNAPSHOT;
  const perModel = opts.azureDeployments ? null : cacheFor(matchCache, table, opts.provider ?? "");
  const hit = perModel?.get(model);
  if (hit !== undefined) return hit;
  let found: ModelMatch | null = null;
  for (const c of modelCandidates(model, { ...opts, table })) {
    const entry = Object.prototype.hasOwnProperty.call(table, c.name) ? table[c.name] : undefined;
    if (entry) {
      found = { key: c.name, entry, via: c.via };
      break;
    }
  }
  if (perModel) {
    if (perModel.size >= CACHE_LIMIT) perModel.clear();
    perModel.set(model, found);
  }
  return found;
}
