// A loopback OpenAI-compatible + Anthropic-compatible server that tests control: it answers each
// request with whatever `answer` returns (text, tool calls, or an HTTP error), reports usage, and
// records what it received. Real providers are unreachable from tests; this stands in for them.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { requestMessages } from "../messages";

export type FakeRequest = { api: "openai.chat" | "openai.responses" | "anthropic.messages"; path: string; model: string; body: Record<string, unknown>; lastUserText: string; authorization: string };

export type FakeAnswer =
  | string
  | { text?: string; toolCalls?: { name: string; arguments: Record<string, unknown> }[]; usage?: { input: number; output: number } }
  | { status: number; message?: string; headers?: Record<string, string> }
  | { dropConnection: true };

export type FakeProvider = {
  /** Base URL for the openai SDK (ends in /v1). */
  openaiBaseUrl: string;
  /** Base URL for the Anthropic SDK. */
  anthropicBaseUrl: string;
  requests: FakeRequest[];
  /** Highest number of requests in flight at once. */
  maxConcurrent: number;
  close(): Promise<void>;
};

const tokens = (text: string) => Math.max(1, Math.ceil(text.length / 4));

export async function startFakeProvider(opts: { answer: (req: FakeRequest) => FakeAnswer | Promise<FakeAnswer>; delayMs?: number }): Promise<FakeProvider> {
  const requests: FakeRequest[] = [];
  let inFlight = 0;
  const state = { maxConcurrent: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      inFlight++;
      state.maxConcurrent = Math.max(state.maxConcurrent, inFlight);
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<string, unknown>;
        const path = (req.url ?? "").split("?")[0];
        const api = path.endsWith("/messages") ? "anthropic.messages" : path.endsWith("/responses") ? "openai.responses" : "openai.chat";
        const msgs = requestMessages(body);
        const lastUser = [...msgs].reverse().find((m) => m.role === "user")?.text ?? "";
        const fr: FakeRequest = {
          api,
          path,
          model: String(body.model ?? ""),
          body,
          lastUserText: lastUser,
          authorization: String(req.headers.authorization ?? req.headers["x-api-key"] ?? ""),
        };
        requests.push(fr);
        if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
        const answer = await opts.answer(fr);
        if (typeof answer === "object" && "dropConnection" in answer) {
          req.socket.destroy();
          return;
        }
        if (typeof answer === "object" && "status" in answer) {
          res.writeHead(answer.status, { "content-type": "application/json", ...(answer.headers ?? {}) });
          res.end(JSON.stringify({ error: { message: answer.message ?? `fake error ${answer.status}`, type: "fake_error" } }));
          return;
        }
        const a = typeof answer === "string" ? { text: answer } : answer;
        const text = a.text ?? "";
        const input = a.usage?.input ?? tokens(JSON.stringify(body.messages ?? body.input ?? ""));
        const output = a.usage?.output ?? tokens(text + JSON.stringify(a.toolCalls ?? ""));
        let payload: Record<string, unknown>;
        if (api === "anthropic.messages") {
          payload = {
            id: `msg_fake_${requests.length}`,
            type: "message",
            role: "assistant",
            model: fr.model,
            content: [
              ...(text ? [{ type: "text", text }] : []),
              ...(a.toolCalls ?? []).map((t, k) => ({ type: "tool_use", id: `toolu_${k}`, name: t.name, input: t.arguments })),
            ],
            stop_reason: a.toolCalls?.length ? "tool_use" : "end_turn",
            usage: { input_tokens: input, output_tokens: output },
          };
        } else if (api === "openai.responses") {
          payload = {
            id: `resp_fake_${requests.length}`,
            object: "response",
            model: fr.model,
            output: [{ type: "message", role: "assistant", content: [{ type: "output_text", text }] }],
            usage: { input_tokens: input, output_tokens: output, total_tokens: input + output },
          };
        } else {
          payload = {
            id: `chatcmpl_fake_${requests.length}`,
            object: "chat.completion",
            model: fr.model,
            choices: [
              {
                index: 0,
                message: {
                  role: "assistant",
                  content: a.toolCalls?.length ? null : text,
                  ...(a.toolCalls?.length
                    ? { tool_calls: a.toolCalls.map((t, k) => ({ id: `call_${k}`, type: "function", function: { name: t.name, arguments: JSON.stringify(t.arguments) } })) }
                    : {}),
                },
                finish_reason: a.toolCalls?.length ? "tool_calls" : "stop",
              },
            ],
            usage: { prompt_tokens: input, completion_tokens: output, total_tokens: input + output },
          };
        }
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(payload));
      } catch (err) {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { message: (err as Error).message } }));
      } finally {
        inFlight--;
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    openaiBaseUrl: `http://127.0.0.1:${port}/v1`,
    anthropicBaseUrl: `http://127.0.0.1:${port}`,
    requests,
    get maxConcurrent() {
      return state.maxConcurrent;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
