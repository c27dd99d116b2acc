// The replay harness: re-runs logged requests on another model (or with a transformed prompt) under a
// hard budget cap. Every request's worst-case cost is estimated BEFORE it is sent (input tokens with a
// safety margin + the output cap that is set on the request), and a request is only sent while
// spent + reserved (in flight) + its estimate stays within the cap. Concurrency, a request-rate
// limit and retries with exponential backoff (honouring Retry-After) are built in; failed attempts
// that may have reached the provider (timeouts, dropped connections) are counted at their estimate.
import type { AnalysisCall } from "../types";
import { callOutput, type CallOutput } from "./answers";
import { type ReplayApi, type ReplayClient, ReplayRequestError, type ReplayUsage } from "./client";
import { prepareReplayRequest } from "./request";

export type ReplayStatus = "ok" | "failed" | "not_sent_budget" | "unsupported" | "aborted";

export type ReplayOutcome = {
  callId: string;
  status: ReplayStatus;
  api?: ReplayApi;
  request?: Record<string, unknown>;
  response?: Record<string, unknown> | null;
  output?: CallOutput;
  usage?: ReplayUsage | null;
  /** What this replay cost (its usage priced; the estimate when usage is missing or an attempt may have been billed). */
  costUsd: number;
  /** Worst-case cost reserved before sending. */
  estimatedCostUsd: number;
  attempts: number;
  error?: string;
  /** HTTP status of the last failed attempt (0 = network error or timeout). */
  httpStatus?: number;
  latencyMs?: number;
  startedAt?: Date;
  notes?: string[];
};

export type ReplayProgress = { done: number; total: number; ok: number; failed: number; spentUsd: number; budgetUsd: number };

export type ReplayOptions = {
  /** Model to replay on. */
  model: string;
  client: ReplayClient;
  /** Hard cap for the whole run, in dollars. */
  budgetUsd: number;
  /** Price of a usage on `model` (lib/pricing). null = unpriced, which refuses the run: the cap could not be enforced. */
  priceUsage: (usage: ReplayUsage) => number | null;
  /** Input tokens of a request body; default: characters / 3 (deliberately high for English). */
  countInputTokens?: (body: Record<string, unknown>) => number;
  /** Multiplier on counted input tokens, covering tokenizer differences between providers. Default 1.15. */
  inputTokenMargin?: number;
  /** Output cap set on every replayed request; default max(256, 4 x the logged output tokens). */
  maxOutputTokens?: number | ((call: AnalysisCall) => number);
  /** Rewrite the logged request before replaying (prompt compression: same model, new prompt). */
  transform?: (request: Record<string, unknown>, call: AnalysisCall) => Record<string, unknown> | Promise<Record<string, unknown>>;
  concurrency?: number;
  /** Request-rate limit (requests started per second). */
  requestsPerSecond?: number;
  /** Attempts per request including the first. Default 3. */
  maxAttempts?: number;
  /** First backoff delay; doubles each retry, with jitter. Default 500 ms. */
  backoffMs?: number;
  maxBackoffMs?: number;
  onProgress?: (p: ReplayProgress) => void | Promise<void>;
  /** Called once per finished outcome (store the replayed call here). Errors fail the run. */
  onOutcome?: (outcome: ReplayOutcome, call: AnalysisCall) => void | Promise<void>;
  signal?: AbortSignal;
  /** Test hook. */
  sleep?: (ms: number) => Promise<void>;
};

export type ReplayRunResult = {
  model: string;
  /** One per input call, in input order. */
  outcomes: ReplayOutcome[];
  spentUsd: number;
  budgetUsd: number;
  stoppedByBudget: boolean;
  sent: number;
  ok: number;
  failed: number;
  notSent: number;
  unsupported: number;
};

/** The run stopped because `onOutcome` failed (e.g. storing a replay); `spentUsd` is what it had spent. */
export class ReplayRunError extends Error {
  constructor(
    message: string,
    readonly spentUsd: number,
    readonly cause: unknown,
  ) {
    super(message);
  }
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function defaultCountInputTokens(body: Record<string, unknown>): number {
  // Characters / 3 over the whole body (messages, tools, schema): above the usual ~4 chars/token.
  return Math.ceil(JSON.stringify(body).length / 3);
}

function apiFor(client: ReplayClient, endpoint: string): ReplayApi {
  if (client.provider === "anthropic") return "anthropic.messages";
  return endpoint.toLowerCase().includes("/responses") ? "openai.responses" : "openai.chat";
}

export function validateReplayOptions(opts: Pick<ReplayOptions, "budgetUsd" | "model" | "concurrency" | "requestsPerSecond" | "maxAttempts">): void {
  if (!(typeof opts.budgetUsd === "number" && opts.budgetUsd >= 0 && Number.isFinite(opts.budgetUsd))) throw new Error(`budgetUsd must be a non-negative number of dollars, got ${opts.budgetUsd}`);
  if (!opts.model) throw new Error("model is required");
  if (opts.concurrency !== undefined && !(Number.isInteger(opts.concurrency) && opts.concurrency >= 1 && opts.concurrency <= 64)) throw new Error(`concurrency must be an integer in [1, 64], got ${opts.concurrency}`);
  if (opts.requestsPerSecond !== undefined && !(opts.requestsPerSecond > 0)) throw new Error(`requestsPerSecond must be > 0, got ${opts.requestsPerSecond}`);
  if (opts.maxAttempts !== undefined && !(Number.isInteger(opts.maxAttempts) && opts.maxAttempts >= 1 && opts.maxAttempts <= 10)) throw new Error(`maxAttempts must be an integer in [1, 10], got ${opts.maxAttempts}`);
}

/** Replay `calls` on `opts.model` within `opts.budgetUsd`. Never throws for a single failed request. */
export async function replayCalls(calls: AnalysisCall[], opts: ReplayOptions): Promise<ReplayRunResult> {
  validateReplayOptions(opts);
  const probe = opts.priceUsage({ inputTokens: 1000, outputTokens: 1000, cachedInputTokens: 0 });
  if (probe === null) throw new Error(`model ${opts.model} has no price: the budget cap cannot be enforced, so it is not replayed`);
  const sleep = opts.sleep ?? defaultSleep;
  const count = opts.countInputTokens ?? defaultCountInputTokens;
  const margin = opts.inputTokenMargin ?? 1.15;
  const concurrency = opts.concurrency ?? 4;
  const maxAttempts = opts.maxAttempts ?? 3;
  const backoff = opts.backoffMs ?? 500;
  const maxBackoff = opts.maxBackoffMs ?? 20_000;
  const interval = opts.requestsPerSecond ? 1000 / opts.requestsPerSecond : 0;

  const outcomes: ReplayOutcome[] = new Array(calls.length);
  let spent = 0;
  let reserved = 0;
  // Reservations held (sent or about to be sent); the budget can only free up while one is held.
  let holders = 0;
  let stopped = false;
  let next = 0;
  let done = 0;
  let nextSlot = 0;
  let jitterState = 0x9e3779b9;
  const waiters: (() => void)[] = [];
  const release = () => waiters.splice(0).forEach((w) => w());
  const settled = () => new Promise<void>((r) => waiters.push(r));

  const jitter = () => {
    // Deterministic jitter (no Math.random) keeps runs reproducible; it only needs to spread retries.
    jitterState = (Math.imul(jitterState ^ (jitterState >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return 0.5 + (jitterState / 4294967296) * 0.5;
  };

  let outcomeError: unknown = null;
  const finish = async (i: number, outcome: ReplayOutcome) => {
    outcomes[i] = outcome;
    done++;
    try {
      await opts.onOutcome?.(outcome, calls[i]);
    } catch (err) {
      // Stop sending: replays that cannot be stored would be paid for and lost.
      outcomeError ??= err;
      stopped = true;
      return;
    }
    await opts.onProgress?.({
      done,
      total: calls.length,
      ok: outcomes.filter((o) => o?.status === "ok").length,
      failed: outcomes.filter((o) => o?.status === "failed").length,
      spentUsd: spent,
      budgetUsd: opts.budgetUsd,
    });
  };

  /** Wait until `estimate` fits in the budget (in-flight reservations may free room); false = it never will. */
  const reserve = async (estimate: number): Promise<boolean> => {
    for (;;) {
      if (stopped) return false;
      if (spent + reserved + estimate <= opts.budgetUsd + 1e-12) {
        reserved += estimate;
        holders++;
        return true;
      }
      if (holders === 0) {
        stopped = true;
        return false;
      }
      await settled();
    }
  };

  const one = async (i: number) => {
    const call = calls[i];
    const cap =
      typeof opts.maxOutputTokens === "function" ? opts.maxOutputTokens(call) : opts.maxOutputTokens ?? Math.max(256, 4 * (call.outputTokens || 0));
    let logged = call.request;
    if (opts.transform) logged = await opts.transform(structuredClone(call.request), call);
    const prepared = prepareReplayRequest(call.endpoint, logged, { model: opts.model, targetApi: apiFor(opts.client, call.endpoint), maxOutputTokens: cap });
    if (!prepared.ok) {
      await finish(i, { callId: call.id, status: "unsupported", costUsd: 0, estimatedCostUsd: 0, attempts: 0, error: prepared.reason });
      return;
    }
    const inputTokens = Math.ceil(count(prepared.body) * margin) + 16;
    const estimate = opts.priceUsage({ inputTokens, outputTokens: prepared.maxOutputTokens, cachedInputTokens: 0 }) ?? Infinity;
    let attempts = 0;
    let cost = 0;
    let lastError = "";
    const startedAt = new Date();
    for (;;) {
      if (opts.signal?.aborted) {
        await finish(i, { callId: call.id, status: "aborted", costUsd: cost, estimatedCostUsd: estimate, attempts, startedAt });
        return;
      }
      if (!(await reserve(estimate))) {
        await finish(i, {
          callId: call.id,
          status: attempts === 0 ? "not_sent_budget" : "failed",
          costUsd: cost,
          estimatedCostUsd: estimate,
          attempts,
          error: attempts === 0 ? "budget cap reached before sending" : `${lastError}; retry stopped by the budget cap`,
          api: prepared.api,
          request: prepared.body,
        });
        return;
      }
      if (interval > 0) {
        const now = Date.now();
        const slot = Math.max(now, nextSlot);
        nextSlot = slot + interval;
        if (slot > now) await sleep(slot - now);
      }
      attempts++;
      const t0 = Date.now();
      let retryAfterMs: number | null = null;
      let retry = false;
      let httpStatus = 0;
      try {
        const res = await opts.client.send(prepared.api, prepared.body, opts.signal);
        const priced = res.usage ? opts.priceUsage(res.usage) : null;
        const actual = priced ?? estimate;
        cost += actual;
        spent += actual;
        reserved -= estimate;
        holders--;
        release();
        await finish(i, {
          callId: call.id,
          status: "ok",
          api: prepared.api,
          request: prepared.body,
          response: res.body,
          output: callOutput({ outputText: null, response: res.body }),
          usage: res.usage,
          costUsd: cost,
          estimatedCostUsd: estimate,
          attempts,
          latencyMs: Date.now() - t0,
          startedAt,
          notes: prepared.notes.length ? prepared.notes : undefined,
        });
        return;
      } catch (err) {
        const e = err instanceof ReplayRequestError ? err : new ReplayRequestError((err as Error)?.message ?? String(err), null, false, false, null);
        if (e.maybeBilled) {
          cost += estimate;
          spent += estimate;
        }
        reserved -= estimate;
        holders--;
        release();
        lastError = e.status ? `HTTP ${e.status}: ${e.message}` : e.message;
        httpStatus = e.status ?? 0;
        retry = e.retryable && attempts < maxAttempts && !opts.signal?.aborted;
        retryAfterMs = e.retryAfterMs;
      }
      if (!retry) {
        await finish(i, {
          callId: call.id,
          status: opts.signal?.aborted ? "aborted" : "failed",
          api: prepared.api,
          request: prepared.body,
          costUsd: cost,
          estimatedCostUsd: estimate,
          attempts,
          error: lastError,
          httpStatus,
          latencyMs: Date.now() - t0,
          startedAt,
        });
        return;
      }
      const delay = Math.min(maxBackoff, Math.max(retryAfterMs ?? 0, backoff * 2 ** (attempts - 1) * jitter()));
      await sleep(delay);
    }
  };

  const worker = async () => {
    for (;;) {
      if (stopped || opts.signal?.aborted) return;
      const i = next++;
      if (i >= calls.length) return;
      await one(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, calls.length)) }, worker));
  if (outcomeError) throw new ReplayRunError(`replay run stopped: ${(outcomeError as Error)?.message ?? String(outcomeError)}`, spent, outcomeError);
  // Whatever was never started: the budget stopped the run (or it was aborted).
  for (let i = 0; i < calls.length; i++) {
    if (!outcomes[i]) {
      outcomes[i] = {
        callId: calls[i].id,
        status: opts.signal?.aborted ? "aborted" : "not_sent_budget",
        costUsd: 0,
        estimatedCostUsd: 0,
        attempts: 0,
        error: opts.signal?.aborted ? "run aborted" : "budget cap reached before sending",
      };
    }
  }
  return {
    model: opts.model,
    outcomes,
    spentUsd: spent,
    budgetUsd: opts.budgetUsd,
    stoppedByBudget: stopped,
    sent: outcomes.filter((o) => o.attempts > 0).length,
    ok: outcomes.filter((o) => o.status === "ok").length,
    failed: outcomes.filter((o) => o.status === "failed").length,
    notSent: outcomes.filter((o) => o.status === "not_sent_budget").length,
    unsupported: outcomes.filter((o) => o.status === "unsupported").length,
  };
}
