// OTLP/HTTP trace receiver for gen_ai spans (project key auth). Logic in lib/ingest/otlp/http.ts.
import { handleOtlpRequest } from "@/lib/ingest/otlp/http";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export function POST(req: Request): Promise<Response> {
  return handleOtlpRequest(req);
}
