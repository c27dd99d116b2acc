// Serving a distilled model in the proxy: `answerLocally` decides, for one incoming request of a
// feature, whether the project's enabled distilled model answers it ($0, no upstream call) or the
// request goes to the LLM. Off by default (no enabled model = always forward). A small random share
// of confident calls is still forwarded ("audit") so agreement keeps being measured on live traffic.
import { randomUUID } from "node:crypto";
import { db } from "../../db/client";
import { enabledDistilledModel, onDistilledModelChange } from "./models";
import { predictDistilled, scoreText, type DistilledArtifact } from "./artifact";
import { lastUserText } from "../messages";
import { staticPromptHash } from "../modelfit/groups";

export type LocalAnswerApi = "openai.chat" | "anthropic.messages";

export type LocalAnswer =
  | {
      answered: true;
      label: string;
      confidence: number;
      /** The response body to return to the client, in the request's API format (usage 0). */
      response: Record<string, unknown>;
      /** Tags the proxy adds to the logged call so it shows as answered locally and is never trained on. */
      tags: { distilled: string };
      distilledModelId: string;
      version: number;
    }
  | {
      answered: false;
      reason: "no_model" | "unsupported_request" | "prompt_mismatch" | "out_of_distribution" | "not_confident" | "audit";
      /** Audit calls: what the model would have answered, for the proxy to tag on the forwarded call. */
      tags?: { distilled_audit: string };
    };

export type AnswerLocallyOptions = {
  /** Response format; default: Anthropic when the request looks like a Messages request, else OpenAI chat. */
  api?: LocalAnswerApi;
  /** Share of confident calls forwarded anyway. Default 0.02. */
  auditShare?: number;
  random?: () => number;
};

const CACHE_MS = 5_000;
type EnabledModel = { id: string; version: number; artifact: DistilledArtifact } | null;
type Cached = { at: number; value: Promise<EnabledModel> };
const cache = new Map<string, Cached>();
onDistilledModelChange((projectId, feature) => cache.delete(`${projectId}\u0000${feature}`));

/** Forget cached models (tests; other processes pick up changes within CACHE_MS). */
export function clearDistilledModelCache(): void {
  cache.clear();
}

function modelFor(projectId: string, feature: string): Promise<EnabledModel> {
  const key = `${projectId}\u0000${feature}`;
  const hit = cache.get(key);
  if (hit && Date.now() - hit.at < CACHE_MS) return hit.value;
  const value = hit ? recheck(projectId, feature, hit.value) : enabledDistilledModel(projectId, feature);
  cache.set(key, { at: Date.now(), value });
  value.catch(() => cache.delete(key));
  return value;
}

/**
 * After the cache expires, ask only which version is enabled: the artifact (megabytes of JSON, decoded
 * once per object) is read again only when that changed, so serving calls do not stall every few seconds.
 */
async function recheck(projectId: string, feature: string, previous: Promise<EnabledModel>): Promise<EnabledModel> {
  const [current, known] = await Promise.all([
    db.distilledModel.findFirst({ where: { projectId, feature, enabled: true }, orderBy: { version: "desc" }, select: { id: true } }),
    previous.catch(() => null),
  ]);
  if (!current) return null;
  if (known && known.id === current.id) return known;
  return enabledDistilledModel(projectId, feature);
}

function looksAnthropic(request: Record<string, unknown>): boolean {
  return typeof request.system === "string" || Array.isArray(request.system) || (typeof request.max_tokens === "number" && typeof request.model === "string" && request.model.startsWith("claude"));
}

function responseBody(api: LocalAnswerApi, request: Record<string, unknown>, answer: string): Record<string, unknown> {
  // The client gets the model it asked for, with zero usage: the logged call prices at $0.
  const model = typeof request.model === "string" ? request.model : "distilled";
  if (api === "anthropic.messages") {
    return { id: `msg_local_${randomUUID()}`, type: "message", role: "assistant", model, content: [{ type: "text", text: answer }], stop_reason: "end_turn", stop_sequence: null, usage: { input_tokens: 0, output_tokens: 0 } };
  }
  return {
    id: `chatcmpl-local-${randomUUID()}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message: { role: "assistant", content: answer, refusal: null }, logprobs: null, finish_reason: "stop" }],
    usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
  };
}

/**
 * What the proxy calls before forwarding a request of `feature` (the x-spendlens-feature tag).
 * answered: return `response` to the client and log the call with `tags` (cost $0). Otherwise forward
 * as usual (adding `tags` to the logged call when present).
 */
export async function answerLocally(projectId: string, feature: string | null | undefined, request: Record<string, unknown>, opts: AnswerLocallyOptions = {}): Promise<LocalAnswer> {
  if (!feature) return { answered: false, reason: "no_model" };
  const model = await modelFor(projectId, feature);
  if (!model) return { answered: false, reason: "no_model" };
  // Streams, several choices and tool use (tools, or OpenAI's older `functions`) need the LLM (the
  // model only knows one label per call).
  const listed = (field: unknown) => Array.isArray(field) && field.length > 0;
  if (request.stream === true || (typeof request.n === "number" && request.n > 1) || listed(request.tools) || listed(request.functions)) {
    return { answered: false, reason: "unsupported_request" };
  }
  const { artifact } = model;
  if (artifact.promptHash !== null && staticPromptHash({ request }) !== artifact.promptHash) return { answered: false, reason: "prompt_mismatch" };
  const prediction = predictDistilled(artifact, request);
  if (!prediction) {
    const score = scoreText(artifact, lastUserText({ request }));
    return { answered: false, reason: score.ood ? "out_of_distribution" : "not_confident" };
  }
  const random = opts.random ?? Math.random;
  if (random() < (opts.auditShare ?? 0.02)) return { answered: false, reason: "audit", tags: { distilled_audit: prediction.label } };
  const answer = artifact.answers[artifact.labels.indexOf(prediction.label)];
  const api = opts.api ?? (looksAnthropic(request) ? "anthropic.messages" : "openai.chat");
  return {
    answered: true,
    label: prediction.label,
    confidence: prediction.confidence,
    response: responseBody(api, request, answer),
    tags: { distilled: `${model.id}@v${model.version}` },
    distilledModelId: model.id,
    version: model.version,
  };
}
