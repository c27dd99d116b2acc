// Browser-side call to one of the app's JSON routes, returning the field errors the route named.
export type SendResult<T> =
  | { ok: true; status: number; data: T }
  | { ok: false; status: number; error: string; fields: Record<string, string> };

export async function sendJson<T = Record<string, unknown>>(method: string, url: string, body?: unknown): Promise<SendResult<T>> {
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: body === undefined ? undefined : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch {
    return { ok: false, status: 0, error: "Could not reach the server. Check your connection and try again.", fields: {} };
  }
  const data = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (res.ok) return { ok: true, status: res.status, data: data as T };
  return {
    ok: false,
    status: res.status,
    error: typeof data.error === "string" ? data.error : `Request failed (${res.status}).`,
    fields: (data.fields as Record<string, string> | undefined) ?? {},
  };
}
