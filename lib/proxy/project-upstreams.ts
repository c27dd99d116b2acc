// Per-project upstream overrides (Project.openaiUpstream / anthropicUpstream), cached briefly so the
// proxy does not query the database per call. A changed setting applies within `ttlMs` on every process.
import { db } from "../db/client";
import type { ProxyProvider } from "./upstreams";

export type ProjectUpstreams = Record<ProxyProvider, string | null>;

export class ProjectUpstreamCache {
  private readonly entries = new Map<string, { at: number; value: Promise<ProjectUpstreams> }>();

  constructor(private readonly ttlMs: number) {}

  get(projectId: string, organizationId: string): Promise<ProjectUpstreams> {
    const now = Date.now();
    const hit = this.entries.get(projectId);
    if (hit && now - hit.at < this.ttlMs) return hit.value;
    const value = db.project
      .findFirst({ where: { id: projectId, organizationId }, select: { openaiUpstream: true, anthropicUpstream: true } })
      .then((row) => ({ openai: row?.openaiUpstream ?? null, anthropic: row?.anthropicUpstream ?? null }));
    // Concurrent calls share one query; a failed query is not cached.
    this.entries.set(projectId, { at: now, value });
    value.catch(() => this.entries.delete(projectId));
    return value;
  }

  clear(): void {
    this.entries.clear();
  }
}
