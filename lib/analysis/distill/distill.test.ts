// Building blocks of distillation: features, softmax training, calibration, threshold choice, artifact.
import { describe, expect, it } from "vitest";
import { seededRandom, randomNormal } from "../../stats/random";
import { banking77Rows } from "../modelfit/datasets";
import { predictDistilled, scoreText } from "./artifact";
import { expectedCalibrationError, fitTemperature } from "./calibration";
import { fitVocabulary, vectorise } from "./features";
import { logitsInto, softmaxInPlace, trainSoftmax } from "./softmax";
import { chooseThreshold, trainDistilled, type DistillExample } from "./train";

const examples = (rows: { text: string; label: string }[], start = 0): DistillExample[] =>
  rows.map((r, i) => ({ id: `e${start + i}`, timestamp: new Date(Date.UTC(2026, 10, 1) + (start + i) * 60_000), text: r.text, label: r.label, answer: r.label }));

describe("features", () => {
  it("vectorises into a unit-length sparse row and measures how much of a text is known", () => {
    const vocab = fitVocabulary(["my card has not arrived", "where is my card", "card arrived late", "top up failed", "top up by cheque"], { minDf: 1 });
    const v = vectorise("my card has not arrived yet", vocab);
    let norm = 0;
    for (const x of v.values) norm += x * x;
    expect(norm).toBeCloseTo(1, 5);
    expect([...v.indices]).toEqual([...v.indices].sort((a, b) => a - b));
    // One unseen word ("yet") out of six, weighted at the highest idf.
    expect(v.knownWordMass).toBeGreaterThan(0.5);
    expect(v.knownWordMass).toBeLessThan(1);
    expect(vectorise("my card has not arrived", vocab).knownWordMass).toBe(1);
    expect(vectorise("compose a folk melody in ABC notation", vocab).knownWordMass).toBeLessThan(0.2);
    expect(vectorise("", vocab).words).toBe(0);
  });
});

describe("trainSoftmax", () => {
  it("learns banking intents well above chance, deterministically for a seed", async () => {
    const rows = banking77Rows("train").slice(0, 3000);
    const test = banking77Rows("test").slice(0, 600);
    const labels = [...new Set(rows.map((r) => r.label))].sort();
    const idx = new Map(labels.map((l, i) => [l, i]));
    const vocab = fitVocabulary(rows.map((r) => r.text));
    const X = rows.map((r) => vectorise(r.text, vocab));
    const y = Int32Array.from(rows.map((r) => idx.get(r.label)!));
    const a = await trainSoftmax(X, y, vocab.terms.length, labels.length, { epochs: 4, seed: 3 });
    const b = await trainSoftmax(X, y, vocab.terms.length, labels.length, { epochs: 4, seed: 3 });
    expect(Buffer.from(a.weights.buffer).equals(Buffer.from(b.weights.buffer))).toBe(true);
    const p = new Float64Array(labels.length);
    let ok = 0;
    for (const r of test) {
      logitsInto(a, vectorise(r.text, vocab), p);
      if (labels[softmaxInPlace(p)] === r.label) ok++;
    }
    // 77 intents (chance ~1.3%); with 3,000 training examples TF-IDF softmax gets ~80%.
    expect(ok / test.length).toBeGreaterThan(0.7);
  });
});

describe("calibration", () => {
  it("recovers the temperature of over-confident logits", () => {
    const r = seededRandom(9);
    const rows: Float64Array[] = [];
    const labels: number[] = [];
    for (let i = 0; i < 3000; i++) {
      const base = Float64Array.from({ length: 5 }, () => randomNormal(r));
      // Sample the label from softmax(base), then make the model 3x over-confident.
      const p = Float64Array.from(base);
      softmaxInPlace(p);
      let u = r();
      let label = 0;
      while (label < 4 && u > p[label]) u -= p[label++];
      labels.push(label);
      rows.push(base.map((x) => x * 3));
    }
    expect(fitTemperature(rows, labels)).toBeCloseTo(3, 0);
    const conf = (t: number) => rows.map((row) => {
      const p = Float64Array.from(row);
      return p[softmaxInPlace(p, t)];
    });
    const correct = rows.map((row, i) => {
      const p = Float64Array.from(row);
      return softmaxInPlace(p) === labels[i];
    });
    expect(expectedCalibrationError(conf(3), correct)).toBeLessThan(expectedCalibrationError(conf(1), correct) / 2);
  });
});

describe("chooseThreshold", () => {
  it("answers the largest confident set whose Wilson lower bound clears the target, never out-of-distribution calls", () => {
    const scored = [
      ...Array.from({ length: 200 }, (_, i) => ({ confidence: 0.99 - i * 0.001, correct: true, ood: false })),
      ...Array.from({ length: 100 }, (_, i) => ({ confidence: 0.7 - i * 0.001, correct: i % 2 === 0, ood: false })),
      { confidence: 0.999, correct: false, ood: true },
    ];
    const t = chooseThreshold(scored, 0.95, 30)!;
    expect(t.answered).toBeGreaterThanOrEqual(200);
    expect(t.agreed / t.answered).toBeGreaterThan(0.95);
    expect(chooseThreshold(scored, 0.999, 30)).toBeNull();
  });
});

describe("artifact", () => {
  it("survives JSON round trips and refuses other prompts, unknown texts and low confidence", async () => {
    const rows = banking77Rows("train").slice(0, 2000);
    const { artifact } = await trainDistilled(examples(rows), { train: { epochs: 3 }, meta: { feature: "intent", promptHash: null, sourceModel: "gpt-4o" } });
    artifact.threshold = 0.5;
    const copy = JSON.parse(JSON.stringify(artifact));
    for (const r of rows.slice(0, 50)) expect(scoreText(copy, r.text)).toEqual(scoreText(artifact, r.text));
    const req = (text: string, system?: string) => ({ model: "gpt-4o", messages: [...(system ? [{ role: "system", content: system }] : []), { role: "user", content: text }] });
    const hit = predictDistilled(copy, req("My card still has not arrived, where is it?"));
    expect(hit?.label).toBe("card_arrival");
    expect(predictDistilled(copy, req("Write a haiku about autumn leaves falling"))).toBeNull();
    expect(predictDistilled(copy, req("My card still has not arrived, where is it?"), { threshold: 1.01 })).toBeNull();
    const withPrompt = { ...copy, promptHash: "0123456789abcdef" };
    expect(predictDistilled(withPrompt, req("My card still has not arrived", "another system prompt"))).toBeNull();
    expect(() => scoreText({ ...copy, weights: { ...copy.weights, data: "AAAA" } }, "x")).toThrow(/weights/);
  });
});
