// Benchmark part "tokens": how much per-event CPU pricing and token counting cost on ingest.
// Goal: priceCall >= 200k calls/s on one core (<= 5 us a call: pricing 45k events/s costs under a quarter
// of a core) and countTokens fast enough for the calls without usage. Texts are real prompts from ../shared/data.
import os from "node:os";
import { arenaHard, banking77, wildchatUsers } from "../../lib/datasets/shared-data";
import { priceCall, type PriceContext, type Usage } from "../../lib/pricing/cost";
import { countChatTokens, countTokens } from "../../lib/tokens/count";

function timeIt(budgetMs: number, fn: () => number): { perSec: number; units: number; ms: number } {
  const start = performance.now();
  let units = 0;
  while (performance.now() - start < budgetMs) units += fn();
  const ms = performance.now() - start;
  return { perSec: (units / ms) * 1000, units, ms };
}

export async function run(): Promise<string> {
  const texts = [...wildchatUsers(), ...banking77("test").map((r) => r.text), ...arenaHard().map((p) => p.prompt)];
  const chars = texts.reduce((s, t) => s + t.length, 0);

  const t0 = performance.now();
  countTokens("warm up", "gpt-4o");
  const loadO200k = performance.now() - t0;
  const t1 = performance.now();
  countTokens("warm up", "gpt-4");
  const loadCl100k = performance.now() - t1;

  const models = ["gpt-4o", "gpt-4o-mini-2024-07-18", "claude-sonnet-4-5", "gemini-2.5-pro", "openai/gpt-4.1", "ft:gpt-4o-mini:acme::x", "unknown-model"];
  const ctxs: PriceContext[] = models.map((model, i) => ({ model, batch: i % 3 === 0, serviceTier: i % 4 === 1 ? "priority" : null }));
  const usages: Usage[] = Array.from({ length: 64 }, (_, i) => ({ inputTokens: 1000 + i * 5000, outputTokens: 200 + i, cachedInputTokens: i * 100, cacheWriteTokens: i % 2 ? 50 : 0, reasoningTokens: i % 5 ? 0 : 100 }));
  let k = 0;
  const pricing = timeIt(1500, () => {
    for (let i = 0; i < 1000; i++, k++) priceCall(usages[k % usages.length], ctxs[k % ctxs.length]);
    return 1000;
  });
  // Ingest reuses one (cached) override set per organization for a whole batch.
  const overrides = { "gpt-4o": { input_cost_per_token: 2e-6 } };
  const ctxsWithOverrides = ctxs.map((c) => ({ ...c, overrides }));
  const withOverrides = timeIt(1000, () => {
    for (let i = 0; i < 1000; i++, k++) priceCall(usages[k % usages.length], ctxsWithOverrides[k % ctxs.length]);
    return 1000;
  });

  let j = 0;
  let tokens = 0;
  const counting = timeIt(3000, () => {
    const t = texts[j++ % texts.length];
    tokens += countTokens(t, "gpt-4o").tokens;
    return t.length;
  });
  let c = 0;
  const chats = timeIt(1500, () => {
    const t = texts[c++ % texts.length];
    countChatTokens([{ role: "system", content: "You are a helpful assistant." }, { role: "user", content: t }], "gpt-4o");
    return 1;
  });

  const goalPrice = 200_000;
  const verdict = pricing.perSec >= goalPrice ? "met" : "NOT met";
  return [
    "## tokens — pricing and token counting cost per event",
    "",
    `Inputs: ${texts.length} real prompts (wildchat_sample, banking77 test, arena_hard v0.1), ${chars.toLocaleString("en-US")} characters; ${models.length} model names incl. prefixes, a fine-tune and an unknown one; 64 usage shapes.`,
    "",
    "| measure | figure |",
    "|---|---|",
    `| priceCall (no overrides) | ${Math.round(pricing.perSec).toLocaleString("en-US")} calls/s |`,
    `| priceCall (with an org override) | ${Math.round(withOverrides.perSec).toLocaleString("en-US")} calls/s |`,
    `| countTokens gpt-4o (o200k_base) | ${Math.round(counting.perSec / 1000).toLocaleString("en-US")}k chars/s |`,
    `| countChatTokens gpt-4o (system + real prompt) | ${Math.round(chats.perSec).toLocaleString("en-US")} chats/s |`,
    `| first-use load of o200k_base / cl100k_base | ${Math.round(loadO200k)} ms / ${Math.round(loadCl100k)} ms |`,
    "",
    `Goal: priceCall >= ${goalPrice.toLocaleString("en-US")} calls/s on one core — **${verdict}**. Token counting only runs for calls without reported usage.`,
    `Load average at the end of the run: ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores shared with other work — figures on an idle machine are higher.`,
  ].join("\n");
}
