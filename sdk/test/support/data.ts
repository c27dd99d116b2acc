// Real prompts and answers for the fake provider: the Bitext customer-support set (instruction, response)
// from ../shared/data (see its README). Read once per process.
import { bitextSupport } from "../../../lib/datasets/shared-data";

export type SupportPair = { instruction: string; response: string; intent: string };

let cached: SupportPair[] | undefined;

export function supportPairs(): SupportPair[] {
  cached ??= bitextSupport().map((r) => ({ instruction: r.instruction, response: r.response, intent: r.intent }));
  return cached;
}
