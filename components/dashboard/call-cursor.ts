// The calls explorer's page cursor as one opaque URL value (server side: the calls page and route).
import type { CallCursor } from "@/lib/dashboard/calls";

export function encodeCallCursor(c: CallCursor): string {
  return Buffer.from(JSON.stringify([c.timestamp, c.eventId])).toString("base64url");
}

/** null when the value is not a cursor this app made (an edited URL). */
export function decodeCallCursor(v: string): CallCursor | null {
  try {
    const [timestamp, eventId] = JSON.parse(Buffer.from(v, "base64url").toString("utf8")) as [unknown, unknown];
    if (typeof timestamp === "string" && typeof eventId === "string" && !Number.isNaN(new Date(timestamp).getTime())) return { timestamp, eventId };
  } catch {
    // fall through
  }
  return null;
}
