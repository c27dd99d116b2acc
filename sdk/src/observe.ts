// The one wrapper every observed `create` method gets (OpenAI and Anthropic alike): strip the per-call
// `spendlens` option, start a call, call the provider SDK exactly as the app did, and watch the result
// without changing it. Any failure inside the wrapper falls back to the plain call.
import { describeError, type PendingCall } from "./call.js";
import { cleanTags } from "./context.js";
import type { Provider, Tags } from "./event.js";
import type { Spendlens } from "./spendlens.js";
import { patchStream, type StreamAssembler } from "./stream.js";

type Json = Record<string, unknown>;
type AnyFn = (this: unknown, ...args: unknown[]) => unknown;

/** The per-call option, passed in the request body and removed before the provider sees it. */
export type CallOptions = {
  /** Tags of this call; merged over withTags() and client tags. */
  tags?: Tags;
};

export type ClientSettings = {
  spendlens: Spendlens;
  provider: Provider;
  tags?: Tags;
  sampleRate?: number;
  /** Ask for usage in chat/completion streams (stream_options.include_usage), hidden from the caller. */
  streamUsage: boolean;
};

export type MethodSpec = {
  endpoint: string;
  /** Chat/legacy completions: the stream has usage only if asked for it. */
  injectStreamUsage?: boolean;
  /** Builds an assembler for a streamed response; absent: the method never streams. */
  streamAssembler?: (hideUsageChunk: boolean) => StreamAssembler;
  /** The response as logged (default: as returned). */
  responseBody?: (data: unknown) => Json | null;
};

const OBSERVED = Symbol.for("spendlens.observed");

/** Replace `target[name]` (own property on the instance) by an observed version, once. */
export function wrapMethod(target: unknown, name: string, makeWrapper: (original: AnyFn) => AnyFn): boolean {
  if (!target || typeof target !== "object") return false;
  const original = (target as Record<string, unknown>)[name];
  if (typeof original !== "function") return false;
  if ((original as unknown as Record<symbol, unknown>)[OBSERVED]) return true;
  const wrapped = makeWrapper(original as AnyFn);
  Object.defineProperty(wrapped, OBSERVED, { value: original });
  Object.defineProperty(target, name, { value: wrapped, configurable: true, writable: true, enumerable: false });
  return true;
}

/** True when `client` was already observed (wrapping twice would log every call twice). */
export function isObserved(client: object): boolean {
  return (client as Record<symbol, unknown>)[OBSERVED] === true;
}

export function markObserved(client: object): void {
  Object.defineProperty(client, OBSERVED, { value: true, configurable: true });
}

export function observedCreate(original: AnyFn, spec: MethodSpec, settings: ClientSettings): AnyFn {
  const sl = settings.spendlens;
  return function observed(this: unknown, ...args: unknown[]): unknown {
    let call: PendingCall | null = null;
    let hideUsage = false;
    const body = args[0];
    try {
      if (body && typeof body === "object" && !Array.isArray(body)) {
        let request = body as Json;
        let callTags: Tags | undefined;
        if ("spendlens" in request) {
          const { spendlens: perCall, ...rest } = request;
          request = rest;
          callTags = cleanTags((perCall as CallOptions | undefined)?.tags);
          args[0] = request;
        }
        call = sl.begin({ provider: settings.provider, endpoint: spec.endpoint, request, callTags, clientTags: settings.tags, sampleRate: settings.sampleRate });
        if (call && spec.injectStreamUsage && settings.streamUsage && request.stream === true) {
          const so = request.stream_options as Json | null | undefined;
          if (!so?.include_usage) {
            request = { ...request, stream_options: { ...(so ?? {}), include_usage: true } };
            call.request = request;
            args[0] = request;
            hideUsage = true;
          }
        }
      }
    } catch (err) {
      sl.internalError(err);
      call = null;
    }
    let result: unknown;
    try {
      result = original.apply(this, args);
    } catch (err) {
      if (call) sl.finish(call, { response: null, error: describeError(err) });
      throw err;
    }
    if (!call) return result;
    try {
      return observeResult(result, call, spec, hideUsage, sl);
    } catch (err) {
      sl.internalError(err);
      return result;
    }
  };
}

type ProviderPromise = PromiseLike<unknown> & {
  _thenUnwrap?: (fn: (data: unknown) => unknown) => unknown;
  asResponse?: () => Promise<unknown>;
};

function observeResult(result: unknown, call: PendingCall, spec: MethodSpec, hideUsage: boolean, sl: Spendlens): unknown {
  const onError = (err: unknown) => sl.finish(call, { response: null, error: describeError(err) });
  const onData = (data: unknown): unknown => {
    try {
      if (call.request.stream === true && spec.streamAssembler && data && typeof data === "object") {
        // The app may reuse its message arrays while the stream runs: freeze the request as sent.
        call.requestJson = JSON.stringify(call.request);
        const asm = spec.streamAssembler(hideUsage);
        const patched = patchStream(data, asm, (end) =>
          sl.finish(call, {
            response: asm.result(),
            error: end.error ? describeError(end.error) : undefined,
            firstTokenAt: asm.firstTokenAt,
            endedAt: end.endedAt,
          }),
        );
        if (!patched) sl.finish(call, { response: null });
      } else {
        sl.finish(call, { response: spec.responseBody ? spec.responseBody(data) : asJson(data) });
      }
    } catch (err) {
      sl.internalError(err);
    }
    return data;
  };
  const promise = result as ProviderPromise | null;
  if (promise && typeof promise._thenUnwrap === "function") {
    // The provider SDKs' APIPromise: return a derived APIPromise (keeps .withResponse(), .asResponse() and
    // the helpers built on _thenUnwrap); its transform sees the data when the app awaits it. Errors
    // (HTTP or network) reject the raw response, which we watch without parsing the body.
    const observed = promise._thenUnwrap(onData);
    if (typeof promise.asResponse === "function") promise.asResponse().then(undefined, onError);
    return observed;
  }
  if (promise && typeof promise.then === "function") {
    promise.then(onData, onError);
    return result;
  }
  onData(result);
  return result;
}

export function asJson(data: unknown): Json | null {
  return data && typeof data === "object" && !Array.isArray(data) ? (data as Json) : null;
}
