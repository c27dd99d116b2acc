import { describe, expect, it } from "vitest";
import { banking77, bitextSupport, wildchatUsers } from "../../datasets/shared-data";
import { extractTemplates } from "./template";

const MIDJOURNEY = 'As a prompt generator for a generative AI called "Midjourney"';

describe("extractTemplates", () => {
  it("strips WildChat's shared 3.7k-character template down to the slot", () => {
    const texts = wildchatUsers();
    const x = extractTemplates(texts);
    expect(x.templates).toHaveLength(1);
    const [t] = x.templates;
    expect(t.members).toBe(18);
    expect(t.prefix.startsWith(MIDJOURNEY)).toBe(true);
    expect(t.prefix.endsWith("[1] = ")).toBe(true);
    expect(t.suffix.length).toBeGreaterThan(3000);
    const slots = texts.filter((u) => u.startsWith(MIDJOURNEY)).map((u) => x.split(u));
    expect(slots.map((s) => s.templateId)).toEqual(Array(18).fill(t.id));
    expect(slots.map((s) => s.varying)).toContain("火影忍者女性角色，纲手，雏田，3D");
    expect(slots.map((s) => s.varying)).toContain("Heart shaped clouds");
    for (const s of slots) {
      expect(s.varying.length).toBeLessThan(500);
      expect(s.varying).not.toContain("Midjourney");
      expect(s.varying).not.toContain("/imagine prompt");
    }
    // The other 82 prompts stay whole.
    const other = texts.find((u) => !u.startsWith(MIDJOURNEY))!;
    expect(x.split(other)).toEqual({ templateId: null, varying: other });
  });

  it("leaves natural requests whole even when some start or end alike", () => {
    expect(extractTemplates([...banking77("train"), ...banking77("test")].map((r) => r.text)).templates).toEqual([]);
    expect(extractTemplates(bitextSupport().map((r) => r.instruction)).templates).toEqual([]);
  });

  it("takes as suffix what every member shares, however short, once the prefix makes a template", () => {
    const queries = banking77("test").slice(0, 200).map((r) => r.text);
    const texts = queries.map((q) => `Classify the customer message into one of the banking intents. Answer with the intent only.\n\nMessage: ${q}\nIntent:`);
    const x = extractTemplates(texts);
    expect(x.templates).toHaveLength(1);
    expect(x.templates[0].suffix).toBe("\nIntent:");
    texts.forEach((t, i) => expect(x.split(t).varying).toBe(queries[i].trim()));
  });

  it("finds a template whose slot comes first, and never cuts a word of the slot", () => {
    const items = ["order 1201 arrived damaged", "order 1209 never came", "refund for 1201?", "where is parcel 77", "card was charged twice", "the app crashes on login"];
    const texts = items.map((s) => `${s}\n\nReply to the customer above in a warm, brief tone, and end with a question that moves the case forward.`);
    const x = extractTemplates(texts);
    expect(x.templates).toHaveLength(1);
    expect(x.templates[0].prefix).toBe("");
    texts.forEach((t, i) => expect(x.split(t).varying).toBe(items[i]));
    // Shared characters inside the slot ("order 120") stay with the slot.
    const ids = ["12011", "12019", "12024", "12031", "12048", "12052"].map((id) => `Please look up the shipping status for order number ${id} and summarise it.`);
    const y = extractTemplates(ids);
    expect(y.templates[0].prefix).toBe("Please look up the shipping status for order number ");
    expect(y.split(ids[0]).varying).toBe("12011");
  });

  it("removes fixed lines between two slots", () => {
    const rows = ["Paris", "Berlin", "Madrid", "Rome", "Vienna", "Lisbon"].map((city, i) =>
      `Write a two-sentence travel tip for the city below, for the reader below.\nCity: ${city}\nUse British spelling and avoid superlatives in every sentence.\nReader: traveller ${i}`,
    );
    const x = extractTemplates(rows);
    expect(x.templates).toHaveLength(1);
    expect(x.templates[0].sharedLines).toEqual(["Use British spelling and avoid superlatives in every sentence."]);
    expect(x.split(rows[0]).varying).toBe("Paris\nReader: traveller 0");
  });

  it("needs enough distinct members", () => {
    const base = "You are a careful assistant. Answer the question below in one short paragraph, citing no sources.\n\nQ: ";
    expect(extractTemplates([`${base}a`, `${base}b`, `${base}c`, `${base}d`]).templates).toEqual([]);
    expect(extractTemplates([`${base}a`, `${base}b`, `${base}c`, `${base}d`, `${base}e`]).templates).toHaveLength(1);
    // Repeats of one text are duplicates, not a template.
    expect(extractTemplates(Array(50).fill(`${base}a`)).templates).toEqual([]);
  });
});
