// Distilled models of a project: versioned artifacts per feature, off until an admin enables one (at
// most one enabled version per feature). Every query is scoped by projectId.
import { db } from "../../db/client";
import { ProcessNotices } from "../../runtime/process-shared";
import { assertArtifact, type DistilledArtifact } from "./artifact";

export type DistilledModelView = { id: string; feature: string; version: number; threshold: number; enabled: boolean; metrics: unknown; createdAt: Date };

const VIEW = { id: true, feature: true, version: true, threshold: true, enabled: true, metrics: true, createdAt: true } as const;

/** Listeners told when a model is enabled or disabled (serve.ts drops its cache). */
// One list per process (lib/runtime/process-shared.ts): models are switched in the Next.js bundle and
// the proxy the launcher runs listens from its own copy of this module.
const changeNotices = new ProcessNotices<[projectId: string, feature: string]>("distilled-models");
export function onDistilledModelChange(listener: (projectId: string, feature: string) => void): () => void {
  return changeNotices.on(listener);
}

/** Store a new version for the artifact's feature (disabled). Versions count up per (project, feature). */
export async function saveDistilledModel(projectId: string, artifact: DistilledArtifact, metrics: Record<string, unknown>): Promise<DistilledModelView> {
  assertArtifact(artifact);
  const feature = artifact.feature ?? "";
  for (let attempt = 0; ; attempt++) {
    const last = await db.distilledModel.findFirst({ where: { projectId, feature }, orderBy: { version: "desc" }, select: { version: true } });
    try {
      return await db.distilledModel.create({
        data: { projectId, feature, version: (last?.version ?? 0) + 1, threshold: artifact.threshold, enabled: false, metrics: metrics as object, artifact: artifact as unknown as object },
        select: VIEW,
      });
    } catch (err) {
      // Two runs saving at once: the unique (project, feature, version) key makes one retry.
      if ((err as { code?: string }).code !== "P2002" || attempt >= 3) throw err;
    }
  }
}

export async function listDistilledModels(projectId: string, feature?: string): Promise<DistilledModelView[]> {
  return db.distilledModel.findMany({ where: { projectId, ...(feature !== undefined ? { feature } : {}) }, select: VIEW, orderBy: [{ feature: "asc" }, { version: "desc" }] });
}

/** Enable one version (disabling the feature's others) or disable it. false when no such model in the project. */
export async function setDistilledModelEnabled(projectId: string, id: string, enabled: boolean): Promise<boolean> {
  const row = await db.distilledModel.findFirst({ where: { id, projectId }, select: { feature: true } });
  if (!row) return false;
  await db.$transaction([
    ...(enabled ? [db.distilledModel.updateMany({ where: { projectId, feature: row.feature, enabled: true, NOT: { id } }, data: { enabled: false } })] : []),
    db.distilledModel.updateMany({ where: { id, projectId }, data: { enabled } }),
  ]);
  changeNotices.tell(projectId, row.feature);
  return true;
}

/** The enabled model of a feature with its artifact, or null. */
export async function enabledDistilledModel(projectId: string, feature: string): Promise<{ id: string; version: number; artifact: DistilledArtifact } | null> {
  const row = await db.distilledModel.findFirst({ where: { projectId, feature, enabled: true }, orderBy: { version: "desc" }, select: { id: true, version: true, artifact: true } });
  if (!row) return null;
  const artifact = row.artifact as unknown as DistilledArtifact;
  assertArtifact(artifact);
  return { id: row.id, version: row.version, artifact };
}
