// Public ingest API (project key auth). All logic lives in lib/ingest/http.ts; contract in docs/ingest.md.
import { handleIngestRequest } from "@/lib/ingest/http";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export function POST(req: Request): Promise<Response> {
  return handleIngestRequest(req);
}
