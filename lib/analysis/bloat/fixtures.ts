// Fixtures with known bloat: prompts assembled from pieces, some "planted" (a repeat, a persona line, an
// extra example, ...), so tests know the exact span every finding must point at. The calls around them
// come from the real data sets (banking77 queries and labels, bitext requests and responses) through
// the model-fit fixture builder (lib/analysis/modelfit/datasets.ts).
import { banking77Rows, bitextRows, chatCalls, type ChatFixtureOptions } from "../modelfit/datasets";
import type { AnalysisCall } from "../types";
import type { BloatKind } from "./types";

export type PlantedSpan = { id: string; kind: BloatKind; start: number; end: number; text: string };
export type PlantedPrompt = { text: string; planted: PlantedSpan[] };
type Piece = string | { plant: BloatKind; id: string; text: string };

/** Joins pieces verbatim and records where each planted piece landed. */
export function plantedPrompt(pieces: Piece[]): PlantedPrompt {
  let text = "";
  const planted: PlantedSpan[] = [];
  for (const p of pieces) {
    if (typeof p === "string") text += p;
    else {
      planted.push({ id: p.id, kind: p.plant, start: text.length, end: text.length + p.text.length, text: p.text });
      text += p.text;
    }
  }
  return { text, planted };
}

const plant = (plant: BloatKind, id: string, text: string): Piece => ({ plant, id, text });

/** The 77 banking77 intents, in first-seen order of the training file. */
export function banking77Labels(): string[] {
  return [...new Set(banking77Rows("train", 1).map((r) => r.label))].sort();
}

/**
 * A support-inbox intent classifier grown by appending fixes (~820 tokens): persona, repeated rules,
 * contradicted limits and greetings, formats the outputs never use, three examples of one format, heavy
 * markdown and blank lines.
 */
export function supportClassifierPrompt(): PlantedPrompt {
  const labels = banking77Labels().join(", ");
  return plantedPrompt([
    plant("markdown", "h-role", "### "),
    "ROLE\n\n",
    plant("persona", "persona-1", "You are Ava, the empathetic virtual assistant of Northwind Bank."),
    " ",
    plant("persona", "persona-2", "Northwind Bank was founded in 1987 and is trusted by millions of customers across Europe."),
    "\n",
    plant("persona", "persona-3", "You love helping people and take pride in every conversation."),
    "\n",
    "You are the intent classifier for the bank's support inbox. Read the customer's message and decide which intent it expresses.",
    plant("whitespace", "trailing-1", "   "),
    "\n",
    "Customers write in English, often informally and with typos. Messages may mention amounts, dates, countries or card types; those details matter only when they decide the intent.",
    plant("whitespace", "trailing-2", "  "),
    "\n",
    "When a message is unclear, choose the intent that best matches the customer's main problem rather than a side remark.",
    plant("whitespace", "blank-1", "\n\n\n\n"),
    plant("markdown", "rule-1", "---\n"),
    plant("markdown", "h-rules", "### "),
    "RULES\n\n",
    plant("whitespace", "indent-1", "    "),
    "- Respond with ",
    plant("markdown", "bold-only", "**only**"),
    " the intent label, exactly as written in the list below.\n",
    plant("whitespace", "indent-2", "    "),
    "- Do not add explanations, greetings or punctuation.\n",
    plant("whitespace", "indent-3", "    "),
    "- ",
    plant("contradicted_instruction", "limit-50", "Keep your answer under 50 words."),
    "\n",
    plant("whitespace", "indent-4", "    "),
    "- If the message matches several intents, pick the one the customer asks about first.\n",
    plant("whitespace", "indent-5", "    "),
    "- ",
    plant("contradicted_instruction", "greet-always", "Always greet the customer warmly before giving the label."),
    "\n",
    plant("whitespace", "indent-6", "    "),
    "- ",
    plant("unused_output_format", "escalate", "If the customer reports fraud or a stolen card, reply with ESCALATE: followed by a one-line reason."),
    "\n",
    plant("whitespace", "indent-7", "    "),
    "- ",
    plant(
      "unused_output_format",
      "multi-json",
      'If the message contains more than one request, return a JSON object such as {"intents": ["card_arrival", "pin_blocked"]} instead of a single label.',
    ),
    "\n\n",
    `Intent labels: ${labels}. Copy labels exactly, in lowercase with underscores.`,
    plant("whitespace", "blank-2", "\n\n\n\n"),
    plant("markdown", "rule-2", "---\n"),
    plant("markdown", "h-examples", "### "),
    "EXAMPLES\n\n",
    "Example 1:\n",
    'Message: "I still have not received my new card."\n',
    "Intent: card_arrival\n\n",
    plant(
      "extra_example",
      "example-2",
      'Example 2:\nMessage: "Can I top up my account with a bank transfer, and is there a fee for doing that?"\nIntent: top_up_by_bank_transfer_charge',
    ),
    "\n\n",
    plant(
      "extra_example",
      "example-3",
      'Example 3:\nMessage: "My card payment was declined at the supermarket this morning. I have plenty of money in my account and this has never happened before, so what is going on?"\nIntent: declined_card_payment',
    ),
    plant("whitespace", "blank-3", "\n\n\n\n"),
    plant("markdown", "rule-3", "---\n"),
    plant("markdown", "h-reminders", "### "),
    "REMINDERS\n\n",
    plant("repeated_instruction", "repeat-label", "**Remember:** respond with only the intent label."),
    "\n",
    plant("repeated_instruction", "repeat-explanations", "Do not add explanations, greetings or punctuation."),
    "\n",
    "Your answer must be under 5 words.\n",
    "Never greet the customer.\n",
  ]);
}

/** The planted spans the classifier prompt must yield, by kind (whitespace/markdown planted pieces are a subset of what is found). */
export const SUPPORT_CLASSIFIER_FEATURE = "support-intent";

/** Banking77 queries sent to the bloated classifier prompt; the logged answer is the intent (or a sentence around it). */
export function supportClassifierCalls(opts: Partial<ChatFixtureOptions> & { limit?: number; verboseAnswers?: boolean } = {}): AnalysisCall[] {
  const system = supportClassifierPrompt().text;
  const rows = banking77Rows("test").slice(0, opts.limit ?? 300);
  return chatCalls(
    rows.map((r) => ({
      system,
      user: r.text,
      answer: opts.verboseAnswers ? `The customer is asking about ${r.label.replace(/_/g, " ")}, so the intent of this message is ${r.label}.` : r.label,
    })),
    { model: "gpt-4o", feature: SUPPORT_CLASSIFIER_FEATURE, idPrefix: "b77", ...opts },
  );
}

function oneParagraph(text: string): string {
  return text.replace(/\s*\n+\s*/g, " ").trim();
}

/** A bitext-style support-reply prompt: persona, near-repeated tone rule, contradicted length, unused table format, two long prose examples. */
export function supportReplyPrompt(): PlantedPrompt {
  const rows = bitextRows();
  // Both examples are long prose; the shorter one is kept (and still flagged as long), the other removed.
  const invoice = rows.find((r) => r.intent === "get_invoice" && r.response.length >= 700 && r.response.length < 760)!;
  const cancel = rows.find((r) => r.intent === "cancel_order" && r.response.length > 880)!;
  return plantedPrompt([
    plant("persona", "persona-max", "You are Max, a cheerful support agent at ShopWave, an award-winning online retailer headquartered in Austin since 2009."),
    "\n",
    "Help customers with orders, refunds, accounts, invoices, shipping and payments.\n",
    "Always answer in a warm, polite and professional tone.\n",
    "Use the customer's name when you know it.\n",
    "Never promise a delivery date or a refund amount.\n",
    plant("contradicted_instruction", "limit-120", "Keep every reply under 120 words."),
    "\n",
    "Write short paragraphs and numbered steps when you explain a process.\n",
    "If the customer wants to speak to a human, tell them how to reach customer support.\n",
    plant("repeated_instruction", "repeat-tone", "Always answer in a polite and professional tone."),
    "\n",
    plant("unused_output_format", "table", "If the customer asks to compare products, respond with a markdown table of the differences."),
    "\n",
    "Replies may be up to 200 words for complicated issues.\n\n",
    plant("long_example", "example-invoice", `Example:\nCustomer: ${invoice.instruction}\nAssistant: ${oneParagraph(invoice.response)}`),
    "\n\n",
    plant("extra_example", "example-cancel", `Customer: ${cancel.instruction}\nAssistant: ${oneParagraph(cancel.response)}`),
    "\n",
  ]);
}

export const SUPPORT_REPLY_USER_PREFIX = "Customer message:\n";
export const SUPPORT_REPLY_USER_SUFFIX = "\n\nReply to the customer.";

/** Bitext requests through the support-reply prompt, with a fixed template around the customer's text. */
export function supportReplyCalls(opts: Partial<ChatFixtureOptions> & { limit?: number } = {}): AnalysisCall[] {
  const system = supportReplyPrompt().text;
  return chatCalls(
    bitextRows()
      .slice(50, 50 + (opts.limit ?? 200))
      .map((r) => ({ system, user: `${SUPPORT_REPLY_USER_PREFIX}${r.instruction}${SUPPORT_REPLY_USER_SUFFIX}`, answer: r.response })),
    { model: "gpt-4o-mini", feature: "support-reply", idPrefix: "btx", ...opts },
  );
}
