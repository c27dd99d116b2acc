// Reads a stored .eml back into what the recipient sees: the address headers, the subject, the HTML and
// plain-text bodies. Written for the messages lib/email/deliver.ts writes through nodemailer
// (multipart/alternative with text/plain + text/html, or a single text part; 7bit, quoted-printable or
// base64; RFC 2047 encoded-word headers), and tolerant of the usual variants (CRLF or LF lines, nested
// multiparts, attachments, other charsets). Not a general mail parser: no S/MIME, no uuencode,
// no message/rfc822 unpacking. mailparser is not a dependency; nodemailer only encodes.

export type EmlAttachment = { filename: string | null; contentType: string; size: number };

export type ParsedEml = {
  from: string | null;
  to: string | null;
  cc: string | null;
  replyTo: string | null;
  subject: string | null;
  /** The Date header as written, and parsed (null when missing or unreadable). */
  dateHeader: string | null;
  date: Date | null;
  messageId: string | null;
  /** The first text/html body that is not an attachment, decoded to a string. */
  html: string | null;
  /** The first text/plain body that is not an attachment, decoded to a string. */
  text: string | null;
  attachments: EmlAttachment[];
};

type Headers = Map<string, string[]>;
type Part = { headers: Headers; body: string };

/** Nested multiparts deeper than this are not opened (a hostile or broken file must not recurse forever). */
const MAX_DEPTH = 8;
const MAX_PARTS = 200;

/**
 * Parse a raw message. Give the file's bytes (a Buffer): bodies are decoded from bytes with their own
 * charset. Line breaks that are MIME framing (CRLF or LF) come back as "\n" in text bodies; a base64 body
 * comes back byte for byte.
 */
export function parseEml(raw: Buffer | Uint8Array | string): ParsedEml {
  // latin1 maps each byte to one char and back, so the structure can be parsed as a string without
  // losing 8-bit bytes; every body is turned back into bytes before its charset is applied.
  const bytes = typeof raw === "string" ? Buffer.from(raw, "utf8") : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const top = splitPart(bytes.toString("latin1"));
  const out: ParsedEml = {
    from: headerText(top.headers, "from"),
    to: headerText(top.headers, "to"),
    cc: headerText(top.headers, "cc"),
    replyTo: headerText(top.headers, "reply-to"),
    subject: headerText(top.headers, "subject"),
    dateHeader: headerText(top.headers, "date"),
    date: null,
    messageId: headerText(top.headers, "message-id"),
    html: null,
    text: null,
    attachments: [],
  };
  if (out.dateHeader) {
    const d = new Date(out.dateHeader);
    out.date = Number.isNaN(d.getTime()) ? null : d;
  }
  const state = { parts: 0 };
  walk(top, out, 0, state);
  return out;
}

function walk(part: Part, out: ParsedEml, depth: number, state: { parts: number }): void {
  if (++state.parts > MAX_PARTS) return;
  const type = parseHeaderValue(first(part.headers, "content-type") ?? "text/plain; charset=us-ascii");
  const mime = type.value.toLowerCase() || "text/plain";
  if (mime.startsWith("multipart/")) {
    const boundary = type.params.boundary;
    if (!boundary || depth >= MAX_DEPTH) return;
    for (const child of splitMultipart(part.body, boundary)) walk(splitPart(child), out, depth + 1, state);
    return;
  }
  const disposition = parseHeaderValue(first(part.headers, "content-disposition") ?? "");
  const filename = disposition.params.filename ?? type.params.name ?? null;
  const body = decodeTransfer(part.body, (first(part.headers, "content-transfer-encoding") ?? "7bit").trim().toLowerCase());
  const isAttachment = disposition.value.toLowerCase() === "attachment" || (filename !== null && disposition.value.toLowerCase() !== "inline");
  if (!isAttachment && mime === "text/html" && out.html === null) out.html = decodeCharset(body, type.params.charset);
  else if (!isAttachment && mime === "text/plain" && out.text === null) out.text = decodeCharset(body, type.params.charset);
  else out.attachments.push({ filename: filename === null ? null : decodeWords(filename), contentType: mime, size: body.length });
}

/** Headers and body of one entity (the whole message or a MIME part); the body stays in latin1 form. */
function splitPart(entity: string): Part {
  const m = /\r?\n\r?\n/.exec(entity);
  // A part that starts with an empty line has no headers.
  const startsBlank = /^\r?\n/.exec(entity);
  const headerEnd = startsBlank ? 0 : m ? m.index : entity.length;
  const bodyStart = startsBlank ? startsBlank[0].length : m ? m.index + m[0].length : entity.length;
  const headers: Headers = new Map();
  const unfolded = entity.slice(0, headerEnd).replace(/\r?\n(?=[ \t])/g, "");
  for (const line of unfolded.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const list = headers.get(name) ?? [];
    list.push(line.slice(colon + 1).trim());
    headers.set(name, list);
  }
  return { headers, body: entity.slice(bodyStart) };
}

function first(headers: Headers, name: string): string | null {
  return headers.get(name)?.[0] ?? null;
}

/** A header for display: encoded-words decoded, raw 8-bit bytes read as UTF-8 (RFC 6532). */
function headerText(headers: Headers, name: string): string | null {
  const v = first(headers, name);
  return v === null ? null : decodeWords(Buffer.from(v, "latin1").toString("utf8"));
}

/** The bodies between the delimiter lines of a multipart body (preamble and epilogue dropped). */
function splitMultipart(body: string, boundary: string): string[] {
  const escaped = boundary.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  // The line break before a delimiter belongs to the delimiter (RFC 2046 5.1.1).
  const delimiter = new RegExp(`(?:^|\\r?\\n)--${escaped}(--)?[ \\t]*(?=\\r?\\n|$)`, "g");
  const parts: string[] = [];
  let start: number | null = null;
  for (let m = delimiter.exec(body); m; m = delimiter.exec(body)) {
    if (start !== null) parts.push(body.slice(start, m.index));
    if (m[1]) return parts;
    // Skip the line break that ends the delimiter line.
    const after = m.index + m[0].length;
    start = body.startsWith("\r\n", after) ? after + 2 : body.startsWith("\n", after) ? after + 1 : after;
  }
  // No closing delimiter (a cut file): keep what the last part has.
  if (start !== null) parts.push(body.slice(start));
  return parts;
}

/** Content-Transfer-Encoding → bytes. Unknown encodings are passed through as they are. */
function decodeTransfer(body: string, encoding: string): Buffer {
  if (encoding === "base64") return Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ""), "base64");
  // Text framing: a MIME line break is CRLF (as nodemailer writes it); some tools save .eml files with LF.
  const lines = body.replace(/\r\n/g, "\n");
  if (encoding === "quoted-printable") return decodeQuotedPrintable(lines);
  return Buffer.from(lines, "latin1");
}

function decodeQuotedPrintable(s: string): Buffer {
  // Trailing whitespace on a line was added in transport (RFC 2045 6.7 rule 3); "=" at the end is a soft break.
  const joined = s.replace(/[ \t]+(?=\n|$)/g, "").replace(/=\n/g, "");
  const out = Buffer.alloc(joined.length);
  let n = 0;
  for (let i = 0; i < joined.length; i++) {
    const c = joined.charCodeAt(i);
    if (c === 0x3d && /^[0-9A-Fa-f]{2}$/.test(joined.slice(i + 1, i + 3))) {
      out[n++] = parseInt(joined.slice(i + 1, i + 3), 16);
      i += 2;
    } else {
      out[n++] = c & 0xff;
    }
  }
  return out.subarray(0, n);
}

function decodeCharset(bytes: Uint8Array, charset: string | undefined): string {
  const label = (charset ?? "utf-8").trim().toLowerCase();
  try {
    return new TextDecoder(label === "us-ascii" || label === "ascii" ? "utf-8" : label).decode(bytes);
  } catch {
    // An unknown charset label: UTF-8 is the best guess for mail written this century.
    return new TextDecoder("utf-8").decode(bytes);
  }
}

/** RFC 2047 encoded-words ("=?UTF-8?Q?Z=C3=BCrich?=", "=?utf-8?B?…?="); whitespace between two of them is dropped. */
export function decodeWords(value: string): string {
  const word = /=\?([^?\s]+)\?([QqBb])\?([^?\s]*)\?=/g;
  return value.replace(/(=\?[^?\s]+\?[QqBb]\?[^?\s]*\?=)\s+(?==\?[^?\s]+\?[QqBb]\?[^?\s]*\?=)/g, "$1").replace(word, (whole, charset: string, enc: string, text: string) => {
    const bytes =
      enc.toUpperCase() === "B"
        ? Buffer.from(text, "base64")
        : decodeQuotedPrintable(text.replace(/_/g, "=20"));
    // "UTF-8*en": RFC 2231 language suffix.
    return decodeCharset(bytes, charset.split("*")[0]) || whole;
  });
}

/** `type/subtype; a=b; c="d e"` → value and lower-cased params (RFC 2231 continuations and charsets joined). */
function parseHeaderValue(header: string): { value: string; params: Record<string, string> } {
  const [value, ...rest] = splitParams(header);
  const simple: Record<string, string> = {};
  const extended = new Map<string, Array<{ index: number; text: string; encoded: boolean }>>();
  for (const p of rest) {
    const eq = p.indexOf("=");
    if (eq <= 0) continue;
    const key = p.slice(0, eq).trim().toLowerCase();
    let val = p.slice(eq + 1).trim();
    if (val.startsWith('"') && val.endsWith('"') && val.length >= 2) val = val.slice(1, -1).replace(/\\(.)/g, "$1");
    const ext = /^([^*]+)\*(?:(\d+)\*?|)$/.exec(key);
    if (ext && key.includes("*")) {
      const list = extended.get(ext[1]) ?? [];
      list.push({ index: ext[2] === undefined ? 0 : Number(ext[2]), text: val, encoded: key.endsWith("*") });
      extended.set(ext[1], list);
    } else {
      simple[key] = val;
    }
  }
  for (const [key, pieces] of extended) {
    pieces.sort((a, b) => a.index - b.index);
    let charset = "utf-8";
    const bytes: number[] = [];
    pieces.forEach((piece, i) => {
      let text = piece.text;
      if (piece.encoded && i === 0) {
        const m = /^([^']*)'[^']*'(.*)$/.exec(text);
        if (m) {
          charset = m[1] || charset;
          text = m[2];
        }
      }
      if (piece.encoded) {
        for (let j = 0; j < text.length; j++) {
          if (text[j] === "%" && /^[0-9A-Fa-f]{2}$/.test(text.slice(j + 1, j + 3))) {
            bytes.push(parseInt(text.slice(j + 1, j + 3), 16));
            j += 2;
          } else bytes.push(text.charCodeAt(j) & 0xff);
        }
      } else for (const b of Buffer.from(text, "utf8")) bytes.push(b);
    });
    simple[key] = decodeCharset(Uint8Array.from(bytes), charset);
  }
  return { value: (value ?? "").trim(), params: simple };
}

/** Split on ";" outside double quotes. */
function splitParams(header: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < header.length; i++) {
    const c = header[i];
    if (c === "\\" && quoted && i + 1 < header.length) {
      cur += c + header[++i];
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === ";" && !quoted) {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  out.push(cur);
  return out;
}
