// Watching a provider stream without changing it: the caller iterates the same Stream object and gets the
// same chunks at the same pace; each chunk is also handed to an assembler that rebuilds the full response.
import { clock } from "./call.js";

/** Rebuilds a response from stream chunks. */
export interface StreamAssembler {
  /** Take one chunk; return false to hide it from the caller (only chunks the wrapper itself asked for). */
  add(chunk: unknown): boolean;
  /** The response assembled so far (complete after the stream ended). */
  result(): Record<string, unknown> | null;
  /** performance.now() when the first content arrived. */
  firstTokenAt: number | undefined;
}

export type StreamEnd = { error?: unknown; cancelled?: boolean; endedAt: number };

/** An async iterator that forwards `inner` and reports every chunk to `assembler`, then calls `onEnd` once. */
export function observeIterator<T>(
  inner: AsyncIterator<T>,
  assembler: StreamAssembler,
  onEnd: (end: StreamEnd) => void,
): AsyncIterator<T> & AsyncIterable<T> {
  let ended = false;
  const end = (e: Omit<StreamEnd, "endedAt">) => {
    if (ended) return;
    ended = true;
    try {
      onEnd({ ...e, endedAt: clock() });
    } catch {
      // observing must never break the caller's stream
    }
  };
  // Plain promise chaining rather than an async function: one less promise per chunk on the caller's path.
  const onError = (error: unknown): never => {
    end({ error });
    throw error;
  };
  const onResult = (r: IteratorResult<T>): IteratorResult<T> | Promise<IteratorResult<T>> => {
    if (r.done) {
      end({});
      return r;
    }
    let keep = true;
    try {
      keep = assembler.add(r.value);
    } catch {
      keep = true;
    }
    // A chunk only the wrapper asked for: skip it and give the caller the next one instead.
    return keep ? r : inner.next().then(onResult, onError);
  };
  const iterator: AsyncIterator<T> & AsyncIterable<T> = {
    next(...args: [] | [undefined]) {
      return inner.next(...args).then(onResult, onError);
    },
    async return(value?: unknown) {
      end({ cancelled: true });
      if (inner.return) return inner.return(value as never);
      return { done: true, value: value as never };
    },
    async throw(error?: unknown) {
      end({ error });
      if (inner.throw) return inner.throw(error);
      throw error;
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

/**
 * Make `stream` (an openai or @anthropic-ai/sdk Stream) report to `assembler` when iterated, in place, so
 * the object the caller holds — and its tee(), toReadableStream() — stay what the provider SDK returned.
 * Returns false when the object does not look like a stream.
 */
export function patchStream(stream: unknown, assembler: StreamAssembler, onEnd: (end: StreamEnd) => void): boolean {
  if (!stream || typeof stream !== "object") return false;
  const target = stream as Record<string | symbol, unknown>;
  // Both SDKs keep a private `iterator` factory that [Symbol.asyncIterator]() and tee() call.
  const key: string | symbol = typeof target.iterator === "function" ? "iterator" : Symbol.asyncIterator;
  const original = target[key];
  if (typeof original !== "function") return false;
  let started = false;
  Object.defineProperty(stream, key, {
    configurable: true,
    writable: true,
    value(this: unknown) {
      const inner = (original as () => AsyncIterator<unknown>).call(this);
      // A Stream can be iterated once; a second iteration throws in the SDK and is not observed twice.
      if (started) return inner;
      started = true;
      return observeIterator(inner, assembler, onEnd);
    },
  });
  return true;
}
