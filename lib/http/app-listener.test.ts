// The launcher's listener on a real node:http server: ingest answered directly (stored, with the API
// security headers), everything else handed to the Next.js handle, every request stamped with its
// socket address whatever the client wrote under that header.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PEER_ADDRESS_HEADER } from "../auth/sign-in-rate-limit";
import { db } from "../db/client";
import { useTestDatabase } from "../db/testing";
import { createProjectWithKey, openAIChatEvent, type ProjectFixture } from "../ingest/test-fixtures";
import { appListener } from "./app-listener";

useTestDatabase();

let server: http.Server;
let base = "";
let p: ProjectFixture;
const seenByNext: Array<{ method: string; url: string; peer: unknown }> = [];

beforeAll(async () => {
  p = await createProjectWithKey("listener");
  server = http.createServer(
    appListener((req, res) => {
      seenByNext.push({ method: req.method!, url: req.url!, peer: req.headers[PEER_ADDRESS_HEADER] });
      res.writeHead(299, { "content-type": "text/plain" });
      res.end("next");
    }),
  );
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
});

describe("appListener", () => {
  it("answers POST /api/v1/ingest itself: the events are stored and the answer carries the API security headers", async () => {
    const res = await fetch(`${base}/api/v1/ingest?source=test`, {
      method: "POST",
      headers: { authorization: `Bearer ${p.key}`, "content-type": "application/json" },
      body: JSON.stringify({ events: [openAIChatEvent({ id: "direct-1" }), openAIChatEvent({ id: "direct-2" })] }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ accepted: 2, duplicates: 0 });
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(await db.call.count({ where: { projectId: p.projectId } })).toBe(2);
    expect(seenByNext).toHaveLength(0);
  });

  it("answers the OTLP endpoint itself too (a bad key is its own 401, not Next.js)", async () => {
    const res = await fetch(`${base}/api/v1/otel/v1/traces`, { method: "POST", headers: { authorization: "Bearer nope", "content-type": "application/json" }, body: "{}" });
    expect(res.status).toBe(401);
    expect(seenByNext).toHaveLength(0);
  });

  it("hands every other request to Next.js, GET on the ingest path included, with the socket address stamped over the client's copy", async () => {
    const page = await fetch(`${base}/overview`, { headers: { [PEER_ADDRESS_HEADER]: "203.0.113.9" } });
    expect(page.status).toBe(299);
    const get = await fetch(`${base}/api/v1/ingest`);
    expect(get.status).toBe(299);
    const prefix = await fetch(`${base}/api/v1/ingestion`, { method: "POST", body: "{}" });
    expect(prefix.status).toBe(299);
    expect(seenByNext.map((s) => `${s.method} ${s.url}`)).toEqual(["GET /overview", "GET /api/v1/ingest", "POST /api/v1/ingestion"]);
    expect(seenByNext[0].peer).toMatch(/127\.0\.0\.1$/);
  });
});
