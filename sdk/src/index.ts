// @spendlens/sdk — the public surface. Anthropic lives in "@spendlens/sdk/anthropic".
export { observeOpenAI, type ObserveOptions } from "./openai.js";
export { withTags, currentTags } from "./context.js";
export { Spendlens, spendlens, type SpendlensOptions, type SpendlensStats, type RedactHook } from "./spendlens.js";
export { SpendlensError, type SpendlensErrorKind } from "./beacon.js";
export type { CallOptions } from "./observe.js";
export type { IngestEvent, Provider, Tags } from "./event.js";
