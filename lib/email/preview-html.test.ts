import { describe, expect, it } from "vitest";
import { withLinksInNewWindow } from "./preview-html";

describe("withLinksInNewWindow", () => {
  it("puts the base element in the head, after the doctype, whatever the document has", () => {
    expect(withLinksInNewWindow('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"></head><body>x</body></html>')).toBe(
      '<!DOCTYPE html><html lang="en"><head><base target="_blank"><meta charset="utf-8"></head><body>x</body></html>',
    );
    // The invitation email: no head.
    expect(withLinksInNewWindow("<!DOCTYPE html><html><body>x</body></html>")).toBe('<!DOCTYPE html><html><head><base target="_blank"></head><body>x</body></html>');
    expect(withLinksInNewWindow("<!doctype html>\n<body>x</body>")).toBe('<!doctype html><head><base target="_blank"></head>\n<body>x</body>');
    expect(withLinksInNewWindow("<p>fragment</p>")).toBe('<base target="_blank"><p>fragment</p>');
    // <header> is not <head>.
    expect(withLinksInNewWindow("<html><body><header>h</header></body></html>")).toBe('<html><head><base target="_blank"></head><body><header>h</header></body></html>');
  });
});
