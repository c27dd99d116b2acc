// RFC 4180 CSV: quoted fields with embedded commas, quotes ("") and newlines.

export function parseCsv(text: string, opts: { header?: boolean; delimiter?: string } = {}): string[][] {
  const delim = opts.delimiter ?? ",";
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += ch;
    } else if (ch === '"' && field === "") quoted = true;
    else if (ch === delim) {
      row.push(field);
      field = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else field += ch;
  }
  if (field !== "" || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  const nonEmpty = rows.filter((r) => !(r.length === 1 && r[0] === ""));
  return opts.header ? nonEmpty.slice(1) : nonEmpty;
}

/** Rows as objects keyed by the header line. */
export function parseCsvObjects(text: string, opts: { delimiter?: string } = {}): Record<string, string>[] {
  const rows = parseCsv(text, { delimiter: opts.delimiter });
  const [header, ...rest] = rows;
  if (!header) return [];
  return rest.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ""])));
}
