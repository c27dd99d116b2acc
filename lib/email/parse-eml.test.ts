// parseEml on messages our own delivery path wrote into the outbox (nodemailer), in each transfer
// encoding nodemailer picks (7bit, quoted-printable, base64), with CRLF and LF line breaks, and a
// hand-written message with the variants other mailers produce.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
const dataDir = mkdtempSync(path.join(os.tmpdir(), "sl-parse-eml-"));
process.env.SPENDLENS_DATA_DIR = dataDir;
delete process.env.SMTP_URL;

import { useTestDatabase } from "../db/testing";
import { deliverEmail, emailFrom, type OutgoingEmail } from "./deliver";
import { decodeWords, parseEml } from "./parse-eml";

useTestDatabase();

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

let n = 0;
/** Deliver into the outbox and return the .eml bytes as written. */
async function throughOutbox(m: Omit<OutgoingEmail, "dedupeKey" | "kind" | "to"> & { to?: string }): Promise<Buffer> {
  const sent = await deliverEmail({ dedupeKey: `parse-test:${++n}`, kind: "test", to: "nora@example.com", ...m });
  expect(sent.status).toBe("sent");
  return readFileSync(sent.emlPath!);
}

/** The part headers of the body part with this content type. */
function partHeaders(raw: Buffer, type: string): string {
  const at = raw.toString("latin1").indexOf(`Content-Type: ${type}`);
  expect(at, `no ${type} part`).toBeGreaterThanOrEqual(0);
  return raw.toString("latin1").slice(at, at + 200);
}

describe("parseEml on messages from deliverEmail", () => {
  it("quoted-printable: accents, '=' signs, trailing spaces, long lines and a folded UTF-8 subject come back exactly", async () => {
    const html =
      `<!DOCTYPE html><html><body style="font-family:Arial,Helvetica,sans-serif;color:#1b1f24">` +
      `<p style="font-size:16px">Réunion à Zürich — coût estimé = 12,50 €</p>` +
      `<p>${"a long paragraph without breaks ".repeat(8)}</p></body></html>`;
    const text = `Réunion à Zürich — coût = 12,50 €\nline with trailing spaces   \n${"x".repeat(120)}\n\n-- \nSpendlens\n`;
    const subject = "Rapport hebdomadaire — Zürich: dépenses de la semaine du 30 novembre au 6 décembre (équipe plateforme)";
    const raw = await throughOutbox({ subject, html, text, to: "Zoë Müller <zoe@example.com>" });
    expect(partHeaders(raw, "text/plain")).toContain("quoted-printable");
    expect(partHeaders(raw, "text/html")).toContain("quoted-printable");
    expect(raw.toString("latin1")).toMatch(/^Subject: =\?UTF-8\?Q\?.*\r?\n [^\n]*=\?UTF-8\?Q\?/m); // folded encoded-words

    const parsed = parseEml(raw);
    expect(parsed.html).toBe(html);
    expect(parsed.text).toBe(text);
    expect(parsed.subject).toBe(subject);
    expect(parsed.from).toBe(emailFrom());
    expect(parsed.to).toBe("Zoë Müller <zoe@example.com>");
    expect(parsed.messageId).toMatch(/^<.+@.+>$/);
    expect(Math.abs(parsed.date!.getTime() - Date.now())).toBeLessThan(60_000);
    expect(parsed.attachments).toEqual([]);
  });

  it("base64: mostly non-Latin bodies come back exactly", async () => {
    const html = `<html><body><h1 style="color:#0f766e">東京チームの週次レポート</h1><p>${"請求額が先週より増えました。".repeat(20)}</p></body></html>`;
    const text = `東京チームの週次レポート\n${"請求額が先週より増えました。".repeat(20)}\n絵文字 ✓ 🚀\n`;
    const raw = await throughOutbox({ subject: "週次レポート 🚀", html, text });
    expect(partHeaders(raw, "text/plain")).toContain("base64");
    expect(partHeaders(raw, "text/html")).toContain("base64");
    const parsed = parseEml(raw);
    expect(parsed.html).toBe(html);
    expect(parsed.text).toBe(text);
    expect(parsed.subject).toBe("週次レポート 🚀");
  });

  it("7bit: plain ASCII with short lines", async () => {
    const html = "<p>Hello</p>\n<p>Two lines</p>";
    const text = "Hello\nTwo lines\n";
    const raw = await throughOutbox({ subject: "Plain", html, text });
    expect(partHeaders(raw, "text/plain")).toContain("7bit");
    const parsed = parseEml(raw);
    expect([parsed.html, parsed.text, parsed.subject]).toEqual([html, text, "Plain"]);
  });

  it("reads the message with CRLF line breaks (as written) and with LF line breaks (as some tools save .eml files)", async () => {
    const html = `<p style="color:#5c6470">Coût = 3 €, ${"long line ".repeat(12)}</p>`;
    const text = "Coût = 3 €\nsecond line\n";
    const raw = await throughOutbox({ subject: "Line — breaks", html, text });
    expect(raw.toString("latin1")).toContain("\r\n");
    const lf = Buffer.from(raw.toString("latin1").replace(/\r\n/g, "\n"), "latin1");
    for (const form of [raw, lf]) {
      const parsed = parseEml(form);
      expect([parsed.html, parsed.text, parsed.subject]).toEqual([html, text, "Line — breaks"]);
    }
  });
});

describe("parseEml on other mailers' variants", () => {
  it("nested multipart with an attachment, a Latin-1 part, RFC 2231 filename and a preamble", () => {
    const raw = [
      "From: =?ISO-8859-1?Q?Andr=E9?= <andre@example.com>",
      "To: a@example.com,",
      " b@example.com",
      "Subject: =?utf-8?B?w4lsw6luYQ==?= =?utf-8?Q?_et_Zo=C3=AB?=",
      "Date: not a date",
      "MIME-Version: 1.0",
      'Content-Type: multipart/mixed; boundary="outer"',
      "",
      "This is a multi-part message in MIME format.",
      "--outer",
      "Content-Type: multipart/alternative; boundary=inner",
      "",
      "--inner",
      "Content-Type: text/plain; charset=ISO-8859-1",
      "Content-Transfer-Encoding: quoted-printable",
      "",
      "Caf=E9 cr=E8me",
      "--inner",
      'Content-Type: text/html; charset="utf-8"',
      "Content-Transfer-Encoding: 8bit",
      "",
      "<p>Café crème</p>",
      "--inner--",
      "--outer",
      "Content-Type: application/pdf",
      "Content-Disposition: attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf",
      "Content-Transfer-Encoding: base64",
      "",
      Buffer.from("%PDF-1.4 tiny").toString("base64"),
      "--outer--",
      "epilogue",
    ].join("\r\n");
    const parsed = parseEml(Buffer.from(raw, "utf8"));
    expect(parsed.from).toBe("André <andre@example.com>");
    expect(parsed.to).toBe("a@example.com, b@example.com");
    expect(parsed.subject).toBe("Éléna et Zoë");
    expect(parsed.dateHeader).toBe("not a date");
    expect(parsed.date).toBeNull();
    expect(parsed.text).toBe("Café crème");
    expect(parsed.html).toBe("<p>Café crème</p>");
    expect(parsed.attachments).toEqual([{ filename: "résumé.pdf", contentType: "application/pdf", size: "%PDF-1.4 tiny".length }]);
  });

  it("a single-part text message, and a cut file without its closing boundary", () => {
    const single = parseEml("Subject: hi\nContent-Type: text/plain\n\nbody\n");
    expect([single.text, single.html]).toEqual(["body\n", null]);
    const cut = parseEml('Content-Type: multipart/alternative; boundary="b"\n\n--b\nContent-Type: text/html\n\n<p>partial');
    expect(cut.html).toBe("<p>partial");
  });

  it("decodes adjacent encoded-words without the whitespace between them, and keeps plain words", () => {
    expect(decodeWords("=?UTF-8?Q?a?= =?UTF-8?Q?b?= c =?UTF-8?Q?d_e?=")).toBe("ab c d e");
    expect(decodeWords("no words here")).toBe("no words here");
  });
});
