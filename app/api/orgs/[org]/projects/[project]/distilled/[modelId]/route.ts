import { requireProject } from "@/lib/auth/guards";
import { NotFoundError, ValidationError } from "@/lib/http/errors";
import { readJsonObject } from "@/lib/http/fields";
import { jsonRoute } from "@/lib/http/route";
import { listDistilledModels, setDistilledModelEnabled } from "@/lib/analysis/distill/models";
import { writeAuditLog } from "@/lib/orgs/audit";

type P = { org: string; project: string; modelId: string };

/**
 * PATCH { enabled: boolean } (ADMIN+): let the proxy answer the model's feature with this version (the
 * feature's other versions are switched off), or stop it. The proxy of this process follows at once,
 * others within seconds. Audited as a project change.
 */
export const PATCH = jsonRoute<P>(async (req, ctx) => {
  const { org, project, modelId } = await ctx.params;
  const access = await requireProject(org, project, "ADMIN", req);
  const { enabled } = await readJsonObject(req);
  if (typeof enabled !== "boolean") throw ValidationError.field("enabled", "enabled must be true or false.");

  const models = await listDistilledModels(access.project.id);
  const model = models.find((m) => m.id === modelId);
  if (!model) throw new NotFoundError("Distilled model not found.");
  const replaced = enabled ? models.filter((m) => m.feature === model.feature && m.enabled && m.id !== model.id) : [];
  if (!(await setDistilledModelEnabled(access.project.id, model.id, enabled))) throw new NotFoundError("Distilled model not found.");
  if (model.enabled !== enabled || replaced.length > 0) {
    await writeAuditLog({
      organizationId: access.organization.id,
      actorUserId: access.user.id,
      action: "project.update",
      target: `distilled_model:${model.id}`,
      meta: {
        change: enabled ? "distilled_model.enable" : "distilled_model.disable",
        projectId: access.project.id,
        feature: model.feature,
        version: model.version,
        ...(replaced.length > 0 ? { disabledVersions: replaced.map((m) => m.version) } : {}),
      },
    });
  }
  return { model: { ...model, enabled } };
});
