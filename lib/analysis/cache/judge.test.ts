import { describe, expect, it } from "vitest";
import { createResponseJudge, parseJsonResponse } from "./judge";

describe("response judge", () => {
  it("compares labels exactly after normalising case, spacing and trailing punctuation", () => {
    const j = createResponseJudge(["card_arrival", "Card_Arrival.", "card_linking", " card_arrival "]);
    expect(j.agree(0, 1)).toBe(true);
    expect(j.agree(0, 3)).toBe(true);
    expect(j.agree(0, 2)).toBe(false);
    expect(j.kindCounts.label).toBe(4);
  });

  it("compares JSON by content, whatever the key order, spacing or code fence", () => {
    const j = createResponseJudge(['{"intent":"refund","amount":12}', '```json\n{ "amount": 12, "intent": "Refund" }\n```', '{"intent":"refund","amount":13}']);
    expect(j.agree(0, 1)).toBe(true);
    expect(j.agree(0, 2)).toBe(false);
    expect(parseJsonResponse("not json")).toBeNull();
  });

  it("compares free text by meaning against the agreement threshold", () => {
    const a = "To cancel your order, log in to your account, open Order History, pick the order and press Cancel Order. You will get a confirmation email.";
    const b = "You can cancel the order from your account: go to Order History, choose the order, then click Cancel Order and wait for the confirmation email.";
    const c = "Our shipping options are standard (3-5 days), express (1-2 days) and same-day delivery in selected cities; prices are shown at checkout.";
    const j = createResponseJudge([a, b, c]);
    const ab = j.compare(0, 1) as number;
    const ac = j.compare(0, 2) as number;
    expect(ab).toBeGreaterThan(ac);
    expect(j.agree(0, 1, (ab + ac) / 2)).toBe(true);
    expect(j.agree(0, 2, (ab + ac) / 2)).toBe(false);
    expect(j.kindCounts.free).toBe(3);
  });

  it("never lets a label agree with a different label or with free text", () => {
    const j = createResponseJudge(["yes", "no", "Yes, because both sentences describe the same merger announced on Monday by the two companies."]);
    expect(j.compare(0, 1)).toBe("different");
    expect(j.compare(0, 2)).toBe("different");
  });
});
