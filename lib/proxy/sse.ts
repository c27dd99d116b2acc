// Incremental Server-Sent Events splitter. The proxy feeds it the upstream bytes as they arrive and
// gets back whole events with their exact raw text, so it can forward an event unchanged, drop one
// (the usage chunk it asked for on the client's behalf) and parse a copy for logging.
// Line endings may be \n, \r\n or \r (the SSE spec allows all three).
import { StringDecoder } from "node:string_decoder";

export type SseEvent = {
  /** The event's text exactly as received, including its terminating blank line. */
  raw: string;
  /** The `event:` field, or null for the default "message" type. */
  event: string | null;
  /** The `data:` lines joined with "\n", or null when the event has none (comments, keep-alives). */
  data: string | null;
};

export class SseSplitter {
  private readonly decoder = new StringDecoder("utf8");
  private buffer = "";

  /** Feed bytes; returns the events they complete (possibly none). */
  push(chunk: Buffer): SseEvent[] {
    this.buffer += this.decoder.write(chunk);
    return this.drain(false);
  }

  /** The stream ended: returns a last event that had no terminating blank line, if any. */
  end(): SseEvent[] {
    this.buffer += this.decoder.end();
    return this.drain(true);
  }

  private drain(final: boolean): SseEvent[] {
    const out: SseEvent[] = [];
    const text = this.buffer;
    let eventStart = 0;
    let lineStart = 0;
    const fields: EventFields = { event: null, data: null };
    let i = lineStart;
    // Most streams use \n only: find the next \r once, not per line.
    let cr = text.indexOf("\r");
    for (;;) {
      const lf = text.indexOf("\n", i);
      if (cr !== -1 && cr < i) cr = text.indexOf("\r", i);
      const at = cr === -1 ? lf : lf === -1 ? cr : Math.min(cr, lf);
      if (at === -1) break;
      let next = at + 1;
      if (text.charCodeAt(at) === 13) {
        // A lone \r at the end of the buffer may be the first half of \r\n: wait for more.
        if (at + 1 >= text.length && !final) break;
        if (text.charCodeAt(at + 1) === 10) next = at + 2;
      }
      const line = text.slice(lineStart, at);
      if (line.length === 0) {
        out.push(finishEvent(text.slice(eventStart, next), fields));
        eventStart = next;
      } else {
        applyLine(line, fields);
      }
      lineStart = next;
      i = next;
    }
    if (final && eventStart < text.length) {
      const rest = text.slice(eventStart);
      const tail = rest.slice(lineStart - eventStart);
      if (tail.length > 0) applyLine(tail, fields);
      out.push(finishEvent(rest, fields));
      eventStart = text.length;
    }
    this.buffer = eventStart === 0 ? text : text.slice(eventStart);
    return out;
  }
}

type EventFields = { event: string | null; data: string[] | null };

function applyLine(line: string, fields: EventFields): void {
  if (line.charCodeAt(0) === 58 /* ":" starts a comment */) return;
  const colon = line.indexOf(":");
  const field = colon === -1 ? line : line.slice(0, colon);
  let value = colon === -1 ? "" : line.slice(colon + 1);
  if (value.charCodeAt(0) === 32) value = value.slice(1);
  if (field === "data") (fields.data ??= []).push(value);
  else if (field === "event") fields.event = value;
}

function finishEvent(raw: string, fields: EventFields): SseEvent {
  const done: SseEvent = { raw, event: fields.event, data: fields.data ? fields.data.join("\n") : null };
  fields.event = null;
  fields.data = null;
  return done;
}

/** Rebuilds, from a provider's stream events, the response a non-streaming call would have returned. */
export interface StreamAssembler {
  /**
   * Take one event. `output`: it carries model output (the first one sets time-to-first-token).
   * `hide`: the client must not see it (an event the proxy asked for on its own behalf).
   */
  accept(event: SseEvent): { output: boolean; hide: boolean };
  /** The assembled response from what was seen so far, or null when nothing usable arrived. */
  response(): Record<string, unknown> | null;
  /** An error the upstream reported inside the stream (after a 200 status line), if any. */
  error(): { status: number; message: string } | null;
}

/** For streams the proxy does not understand: forwards everything, counts any data as output. */
export class OpaqueStreamAssembler implements StreamAssembler {
  accept(event: SseEvent) {
    return { output: event.data !== null, hide: false };
  }
  response() {
    return null;
  }
  error() {
    return null;
  }
}

export function parseJsonObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
