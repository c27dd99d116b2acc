// The demo project, built from the real public data in ../shared/data: a support-ticket classifier on a
// flagship model with a bloated prompt (banking77 queries, answers = intents), a ticket router (bitext
// requests -> intents), a reply drafter (bitext responses), a nightly batch summariser, and chat traffic
// (arena-hard and WildChat prompts). Deterministic for a given (seed, count, end). Token counts come from
// the tokenizer; costs are left to the server (the same price table as real traffic).
import type { IngestEvent } from "../ingest/event";
import { arenaHard, banking77, bitextSupport, wildchatUsers } from "../datasets/shared-data";
import { seededRandom, randomInt, type Random } from "../stats/random";
import { countChatTokens, countTokens } from "../tokens/count";
import { classifierSystemPrompt, drafterSystemPrompt, ROUTER_SYSTEM_PROMPT, SUMMARISER_SYSTEM_PROMPT } from "./prompts";

export type DemoOptions = {
  /** Number of events (default 50,000). */
  count?: number;
  seed?: number;
  /** Last moment of the window (default: now, rounded down to the minute). */
  end?: Date;
  days?: number;
};

type Msg = { role: "system" | "user" | "assistant"; content: string };

const FEATURE_SHARES: Array<[string, number]> = [
  ["support-classifier", 0.42],
  ["ticket-router", 0.1],
  ["reply-drafter", 0.2],
  ["nightly-summary", 0.08],
  ["chat", 0.2],
];

function pick<T>(random: Random, items: readonly T[]): T {
  return items[randomInt(random, items.length)];
}

/** Interactive traffic follows office hours (UTC) with quieter weekends. */
function interactiveTime(random: Random, start: number, days: number): number {
  for (;;) {
    const day = randomInt(random, days);
    const hour = random() * 24;
    const weekday = new Date(start + day * 86_400_000).getUTCDay();
    const weekend = weekday === 0 || weekday === 6;
    const load = Math.exp(-((hour - 14) ** 2) / 18) * (weekend ? 0.35 : 1) + 0.05;
    if (random() < load) return start + day * 86_400_000 + hour * 3_600_000;
  }
}

// The same texts recur (system prompts, dataset rows): count each once. By OpenAI's chat format a
// conversation costs 3 tokens of reply priming plus each message on its own, so per-message counts add up.
const messageTokens = new Map<string, number>();
const textTokens = new Map<string, number>();
const REPLY_PRIMING = 3;

function chatTokens(messages: Msg[], model: string): number {
  let total = REPLY_PRIMING;
  for (const m of messages) {
    const key = `${model}\u0001${m.role}\u0001${m.content}`;
    let n = messageTokens.get(key);
    if (n === undefined) {
      n = countChatTokens([m], model).tokens - REPLY_PRIMING;
      messageTokens.set(key, n);
    }
    total += n;
  }
  return total;
}

function textTokenCount(text: string, model: string): number {
  const key = `${model}\u0001${text}`;
  let n = textTokens.get(key);
  if (n === undefined) {
    n = countTokens(text, model).tokens;
    textTokens.set(key, n);
  }
  return n;
}

function usageFor(model: string, messages: Msg[], output: string) {
  return { input: chatTokens(messages, model), out: textTokenCount(output, model) };
}

function openAiChat(
  id: string,
  ts: number,
  model: string,
  messages: Msg[],
  output: string,
  random: Random,
  extra: { temperature?: number; max_tokens?: number; cachedShare?: number } = {},
) {
  const { input, out } = usageFor(model, messages, output);
  const cached = extra.cachedShare && random() < extra.cachedShare ? Math.floor((input - 64) / 128) * 128 : 0;
  const request: Record<string, unknown> = { model, messages, temperature: extra.temperature ?? 0 };
  if (extra.max_tokens) request.max_tokens = extra.max_tokens;
  const response = {
    id: `chatcmpl-${id}`,
    object: "chat.completion",
    created: Math.floor(ts / 1000),
    model: model === "gpt-4o" ? "gpt-4o-2024-08-06" : model,
    choices: [{ index: 0, message: { role: "assistant", content: output }, finish_reason: "stop" }],
    usage: {
      prompt_tokens: input,
      completion_tokens: out,
      total_tokens: input + out,
      prompt_tokens_details: { cached_tokens: Math.max(cached, 0) },
    },
  };
  return { request, response, out };
}

function latency(random: Random, outTokens: number, perToken: number) {
  const ttft = Math.round(180 + random() * 420);
  return { ttft, total: Math.round(ttft + outTokens * perToken * (0.8 + random() * 0.4)) };
}

/** Yields the demo events in time order. */
export function* generateDemoEvents(opts: DemoOptions = {}): Generator<IngestEvent> {
  const count = opts.count ?? 50_000;
  const seed = opts.seed ?? 42;
  const days = opts.days ?? 30;
  const end = Math.floor((opts.end ?? new Date()).getTime() / 60_000) * 60_000;
  const start = end - days * 86_400_000;
  const random = seededRandom(seed);

  const bankTrain = banking77("train");
  const bankTest = banking77("test");
  const bitext = bitextSupport();
  const chatPrompts = [...arenaHard("v0.1").map((a) => a.prompt), ...wildchatUsers()];
  const classifierPrompt = classifierSystemPrompt([...new Set(bankTrain.map((r) => r.label))].sort());
  const drafterPrompt = drafterSystemPrompt();
  const users = Array.from({ length: 400 }, (_, i) => `user_${(i * 7919) % 100_003}`);

  type Planned = { ts: number; feature: string; i: number };
  const planned: Planned[] = [];
  for (let i = 0; i < count; i++) {
    let r = random();
    let feature = FEATURE_SHARES[FEATURE_SHARES.length - 1][0];
    for (const [f, share] of FEATURE_SHARES) {
      if (r < share) {
        feature = f;
        break;
      }
      r -= share;
    }
    let ts: number;
    if (feature === "nightly-summary") {
      // A batch job at 02:00 UTC every night, firing its calls within ~20 minutes.
      const day = randomInt(random, days);
      ts = start + day * 86_400_000 + 2 * 3_600_000 + random() * 20 * 60_000;
    } else ts = interactiveTime(random, start, days);
    planned.push({ ts: Math.min(Math.floor(ts), end - 1), feature, i });
  }
  planned.sort((a, b) => a.ts - b.ts || a.i - b.i);

  // The classifier sees banking77 train queries in the first 3 weeks and test queries after, so
  // "past" and "future" calls differ as they would in production.
  const cut = start + Math.round(days * 0.7) * 86_400_000;
  let chatSession = 0;
  for (const p of planned) {
    const id = `demo-${seed}-${p.i}`;
    const timestamp = new Date(p.ts).toISOString();
    const user = pick(random, users);
    const failed = random() < 0.008;
    let event: IngestEvent;
    if (p.feature === "support-classifier") {
      const q = pick(random, p.ts < cut ? bankTrain : bankTest);
      const messages: Msg[] = [
        { role: "system", content: classifierPrompt },
        { role: "user", content: q.text },
      ];
      const { request, response, out } = openAiChat(id, p.ts, "gpt-4o", messages, q.label, random);
      const l = latency(random, out, 12);
      event = { id, timestamp, provider: "openai", endpoint: "/v1/chat/completions", request, response, latency_ms: l.total, tags: { feature: p.feature, user, environment: "production" } };
    } else if (p.feature === "ticket-router") {
      const q = pick(random, bitext);
      const messages: Msg[] = [
        { role: "system", content: ROUTER_SYSTEM_PROMPT },
        { role: "user", content: q.instruction },
      ];
      const { request, response, out } = openAiChat(id, p.ts, "gpt-4.1", messages, q.intent, random, { max_tokens: 20 });
      const l = latency(random, out, 12);
      event = { id, timestamp, provider: "openai", endpoint: "/v1/chat/completions", request, response, latency_ms: l.total, tags: { feature: p.feature, user, environment: "production" } };
    } else if (p.feature === "reply-drafter") {
      const q = pick(random, bitext);
      const messages: Msg[] = [
        { role: "system", content: drafterPrompt },
        { role: "user", content: q.instruction },
      ];
      const { request, response, out } = openAiChat(id, p.ts, "gpt-4o", messages, q.response, random, { temperature: 0.3, cachedShare: 0.5 });
      const l = latency(random, out, 14);
      event = { id, timestamp, provider: "openai", endpoint: "/v1/chat/completions", request, response, latency_ms: l.total, ttft_ms: l.ttft, tags: { feature: p.feature, user, environment: "production" } };
    } else if (p.feature === "nightly-summary") {
      const convs = Array.from({ length: 6 }, () => pick(random, bitext));
      const body = convs.map((c, k) => `Conversation ${k + 1}\nCustomer: ${c.instruction}\nAgent: ${c.response}`).join("\n\n");
      const output = convs.map((c, k) => `${k + 1}. ${c.intent.replace(/_/g, " ")}: ${c.response.split(/(?<=[.!?])\s/)[0]}`).join("\n");
      const messages: Msg[] = [
        { role: "system", content: SUMMARISER_SYSTEM_PROMPT },
        { role: "user", content: body },
      ];
      const { request, response, out } = openAiChat(id, p.ts, "gpt-4o", messages, output, random, { temperature: 0.2 });
      const l = latency(random, out, 15);
      event = { id, timestamp, provider: "openai", endpoint: "/v1/chat/completions", request, response, latency_ms: l.total, tags: { feature: p.feature, environment: "batch-job" } };
    } else {
      const prompt = pick(random, chatPrompts);
      const answer = pick(random, bitext).response; // real text of realistic length
      const anthropic = random() < 0.4;
      const session = `s_${Math.floor(chatSession++ / 3)}`;
      if (anthropic) {
        const model = "claude-sonnet-4-20250514";
        const messages: Msg[] = [{ role: "user", content: prompt }];
        const input = chatTokens(messages, model);
        const out = textTokenCount(answer, model);
        const l = latency(random, out, 18);
        event = {
          id,
          timestamp,
          provider: "anthropic",
          endpoint: "/v1/messages",
          request: { model, max_tokens: 1024, system: "You are a helpful assistant.", messages },
          response: {
            id: `msg_${id}`,
            type: "message",
            role: "assistant",
            model,
            content: [{ type: "text", text: answer }],
            stop_reason: "end_turn",
            usage: { input_tokens: input + 6, output_tokens: out, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 },
          },
          latency_ms: l.total,
          ttft_ms: l.ttft,
          tags: { feature: p.feature, user, session, environment: "production" },
        };
      } else {
        const messages: Msg[] = [
          { role: "system", content: "You are a helpful assistant." },
          { role: "user", content: prompt },
        ];
        const { request, response, out } = openAiChat(id, p.ts, "gpt-4o", messages, answer, random, { temperature: 0.7 });
        const l = latency(random, out, 14);
        event = { id, timestamp, provider: "openai", endpoint: "/v1/chat/completions", request, response, latency_ms: l.total, ttft_ms: l.ttft, tags: { feature: p.feature, user, session, environment: "production" } };
      }
    }
    if (failed) {
      const status = random() < 0.7 ? 429 : 500;
      event = {
        ...event,
        response: null,
        error: { status, message: status === 429 ? "Rate limit reached for requests" : "The server had an error while processing your request." },
        latency_ms: Math.round(50 + random() * 300),
        ttft_ms: undefined,
      };
    }
    yield event;
  }
}
