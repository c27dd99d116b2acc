// Test set-up shared by the prompt rule tests (proxy and API): a prompt-compression finding as the bloat
// analysis stores it (lib/analysis/bloat/analyse.ts compressFindings), verified by a replay or not, and
// the PromptBlob the ingest wrote for its original prompt (so the proxy can recognise the calls).
import { db } from "../db/client";
import { sha256Hex } from "../ingest/prompts";

const VERIFIED = {
  status: "verified",
  model: "gpt-4o-mini",
  method: "label",
  sampled: 40,
  compared: 40,
  agreed: 40,
  agreement: { point: 1, low: 0.91, high: 1 },
  target: 0.9,
  replayCostUsd: 0.02,
  disagreements: [],
};

/** A compress finding of `projectId` replacing `original` by `candidate` for `feature`; `verified: false` leaves it unverified. */
export async function seedCompressFinding(projectId: string, opts: { feature: string; original: string; candidate: string; verified?: boolean; blob?: boolean }) {
  const hash = sha256Hex(opts.original);
  if (opts.blob !== false) {
    await db.promptBlob.upsert({ where: { projectId_hash: { projectId, hash } }, create: { projectId, hash, text: opts.original }, update: {} });
  }
  const verified = opts.verified !== false;
  const finding = await db.finding.create({
    data: {
      projectId,
      lever: "compress",
      title: "Compress the fixed prompt",
      scope: { feature: opts.feature, model: "gpt-4o", promptHash: hash.slice(0, 16) },
      monthlySavingsUsd: 50,
      evidence: {
        kind: "prompt_compression",
        groupId: hash.slice(0, 16),
        method: "deterministic",
        recommended: verified,
        verification: verified ? VERIFIED : { status: "unverified", reason: "no replay provider configured for this project" },
        original: opts.original,
        candidate: opts.candidate,
      },
      howToApply: { summary: "Replace the fixed prompt with the candidate.", snippet: opts.candidate },
    },
  });
  return { findingId: finding.id, promptHash: hash };
}
