// Provider batch calls (OpenAI Batch API): when the app downloads a batch's output or error file with
// `files.content(id)`, each line becomes an event with `batch: true` (billed at the batch discount).
// - Which files are batch results is learnt from `batches.create/retrieve` (output_file_id,
//   error_file_id, endpoint) and `files.retrieve` (purpose "batch_output"); other downloads are untouched.
// - Request bodies come from the input file when this process uploaded it with `files.create` (a Blob/File
//   or a file stream with a path); otherwise the event carries the model and custom_id only.
// - The event id is the batch request id, so downloading the same results twice logs nothing twice.
// Everything here runs after the app has its data, on a clone of the response, within memory bounds.
import type { PendingCall } from "./call.js";
import { currentTags } from "./context.js";
import type { IngestEvent, Tags } from "./event.js";
import type { ClientSettings } from "./observe.js";
import { asJson, wrapMethod } from "./observe.js";

type Json = Record<string, unknown>;
type AnyFn = (this: unknown, ...args: unknown[]) => unknown;

const MAX_INPUT_CHARS = 16 * 1024 * 1024;
const MAX_KNOWN_FILES = 1000;

type BatchInput = { url?: string; body: Json };
type OutputInfo = { endpoint?: string; inputFileId?: string };

class BatchFileRegistry {
  private readonly inputs = new Map<string, { lines: Map<string, BatchInput>; chars: number }>();
  private inputChars = 0;
  /** Uploads still being read: a download of their results waits for them (or lines lose their request). */
  private readonly reading = new Map<string, Promise<void>>();
  readonly outputs = new Map<string, OutputInfo>();

  readingInput(fileId: string, read: Promise<void>): void {
    const done = read.finally(() => {
      if (this.reading.get(fileId) === done) this.reading.delete(fileId);
    });
    this.reading.set(fileId, done);
  }

  /** Resolves once the upload `fileId` (if this process uploaded it) has been read. Never rejects. */
  async inputReady(fileId: string | undefined): Promise<void> {
    const pending = fileId ? this.reading.get(fileId) : undefined;
    if (pending) await pending.catch(() => {});
  }

  rememberInput(fileId: string, text: string): void {
    if (text.length > MAX_INPUT_CHARS) return;
    const lines = new Map<string, BatchInput>();
    for (const line of text.split("\n")) {
      const row = parseLine(line);
      if (row && typeof row.custom_id === "string" && row.body && typeof row.body === "object") {
        lines.set(row.custom_id, { url: typeof row.url === "string" ? row.url : undefined, body: row.body as Json });
      }
    }
    if (lines.size === 0) return;
    this.inputs.set(fileId, { lines, chars: text.length });
    this.inputChars += text.length;
    // Oldest uploads go first when the bound is passed.
    for (const [id, entry] of this.inputs) {
      if (this.inputChars <= MAX_INPUT_CHARS) break;
      this.inputs.delete(id);
      this.inputChars -= entry.chars;
    }
  }

  rememberOutput(fileId: string, info: OutputInfo): void {
    this.outputs.set(fileId, { ...this.outputs.get(fileId), ...info });
    while (this.outputs.size > MAX_KNOWN_FILES) this.outputs.delete(this.outputs.keys().next().value as string);
  }

  input(fileId: string | undefined, customId: string): BatchInput | undefined {
    return fileId ? this.inputs.get(fileId)?.lines.get(customId) : undefined;
  }
}

function parseLine(line: string): Json | null {
  const text = line.trim();
  if (!text) return null;
  try {
    return asJson(JSON.parse(text));
  } catch {
    return null;
  }
}

/** Text of an uploaded file if it can be read without consuming what the provider SDK will send. */
async function readUpload(file: unknown): Promise<string | null> {
  if (!file || typeof file !== "object") return null;
  const f = file as { text?: () => Promise<string>; size?: number; path?: unknown; arrayBuffer?: unknown };
  if (typeof f.text === "function" && typeof f.size === "number" && typeof f.arrayBuffer === "function") {
    // A Blob or File: reading it does not consume it.
    return f.size <= MAX_INPUT_CHARS ? f.text() : null;
  }
  if (typeof f.path === "string") {
    // fs.ReadStream: read the same file from disk instead of the stream the SDK will upload.
    const fs = (await import(/* webpackIgnore: true */ "node:fs/promises")) as typeof import("node:fs/promises");
    const stat = await fs.stat(f.path);
    return stat.size <= MAX_INPUT_CHARS ? fs.readFile(f.path, "utf8") : null;
  }
  return null;
}

function inferEndpoint(body: Json | null): string {
  const object = body?.object;
  if (object === "response") return "/v1/responses";
  if (object === "list") return "/v1/embeddings";
  if (object === "text_completion") return "/v1/completions";
  return "/v1/chat/completions";
}

function outputLineEvent(row: Json, fileId: string, info: OutputInfo, registry: BatchFileRegistry, call: PendingCall): IngestEvent | null {
  const customId = typeof row.custom_id === "string" ? row.custom_id : null;
  if (!customId) return null;
  const res = asJson(row.response);
  const status = typeof res?.status_code === "number" ? res.status_code : row.error ? 500 : 200;
  const body = asJson(res?.body);
  const input = registry.input(info.inputFileId, customId);
  const created = typeof body?.created === "number" ? body.created : typeof body?.created_at === "number" ? body.created_at : null;
  const event: IngestEvent = {
    id: typeof row.id === "string" && row.id ? row.id : `${fileId}:${customId}`.slice(0, 128),
    timestamp: new Date(created ? created * 1000 : call.startedAt).toISOString(),
    provider: call.provider,
    endpoint: input?.url ?? info.endpoint ?? inferEndpoint(body),
    request: input?.body ?? (typeof body?.model === "string" ? { model: body.model, custom_id: customId } : { custom_id: customId }),
    response: status < 400 ? body : null,
    latency_ms: 0,
    batch: true,
  };
  const err = asJson(row.error) ?? (status >= 400 ? asJson(body?.error) : null);
  if (err || status >= 400) {
    event.error = { status, message: typeof err?.message === "string" ? err.message : `batch request failed with ${status}` };
  }
  if (call.tags) event.tags = call.tags;
  if (typeof body?.service_tier === "string") event.service_tier = body.service_tier;
  return event;
}

async function logOutputFile(response: Response, fileId: string, info: OutputInfo, registry: BatchFileRegistry, settings: ClientSettings, call: PendingCall): Promise<void> {
  if (!response.body) return;
  // The input file is read from disk after its upload answered; on a busy machine the results can be
  // downloaded before that read is done.
  await registry.inputReady(info.inputFileId);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let rest = "";
  const handle = (line: string) => {
    const row = parseLine(line);
    const event = row && outputLineEvent(row, fileId, info, registry, call);
    if (event) settings.spendlens.log(event);
  };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    rest += decoder.decode(value, { stream: true });
    const lines = rest.split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) handle(line);
  }
  handle(rest + decoder.decode());
}

export function observeBatchFiles(client: Record<string, unknown>, settings: ClientSettings): void {
  const registry = new BatchFileRegistry();
  const sl = settings.spendlens;
  const watch = (target: unknown, name: string, onResult: (args: unknown[], data: unknown, tags: Tags | undefined) => void) =>
    wrapMethod(target, name, (original: AnyFn) =>
      function observed(this: unknown, ...args: unknown[]) {
        const result = original.apply(this, args) as { _thenUnwrap?: (fn: (d: unknown) => unknown) => unknown } | undefined;
        if (!sl.enabled || typeof result?._thenUnwrap !== "function") return result;
        try {
          // The context's tags now: the transform runs later, in the context of whoever awaits.
          const tags = currentTags();
          return result._thenUnwrap((data) => {
            try {
              onResult(args, data, tags);
            } catch (err) {
              sl.internalError(err);
            }
            return data;
          });
        } catch (err) {
          sl.internalError(err);
          return result;
        }
      },
    );

  const onBatch = (_args: unknown[], data: unknown) => {
    const batch = asJson(data);
    if (!batch) return;
    const info: OutputInfo = {
      endpoint: typeof batch.endpoint === "string" ? batch.endpoint : undefined,
      inputFileId: typeof batch.input_file_id === "string" ? batch.input_file_id : undefined,
    };
    if (typeof batch.output_file_id === "string") registry.rememberOutput(batch.output_file_id, info);
    if (typeof batch.error_file_id === "string") registry.rememberOutput(batch.error_file_id, info);
  };
  watch(client.batches, "create", onBatch);
  watch(client.batches, "retrieve", onBatch);

  watch(client.files, "create", (args, data) => {
    const params = asJson(args[0]);
    const file = asJson(data);
    if (params?.purpose !== "batch" || typeof file?.id !== "string") return;
    const id = file.id;
    registry.readingInput(
      id,
      readUpload(params.file)
        .then((text) => {
          if (text) registry.rememberInput(id, text);
        })
        .catch((err) => sl.internalError(err)),
    );
  });
  watch(client.files, "retrieve", (_args, data) => {
    const file = asJson(data);
    if (file?.purpose === "batch_output" && typeof file.id === "string") registry.rememberOutput(file.id, {});
  });
  watch(client.files, "content", (args, data, tags) => {
    const fileId = typeof args[0] === "string" ? args[0] : null;
    const info = fileId ? registry.outputs.get(fileId) : undefined;
    if (!fileId || !info || typeof (data as Response | null)?.clone !== "function") return;
    const copy = (data as Response).clone();
    const call = sl.begin({ provider: settings.provider, endpoint: info.endpoint ?? "/v1/batches", request: {}, clientTags: settings.tags, callTags: tags, batch: true });
    if (!call) {
      void copy.body?.cancel().catch(() => {});
      return;
    }
    sl.track(logOutputFile(copy, fileId, info, registry, settings, call).catch((err) => sl.internalError(err)));
  });
}
