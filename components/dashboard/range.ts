// Time ranges of the overview and the calls explorer: presets (last 24 h, 7 d, 30 d) ending at the end
// of the current hour, or a custom [from, to). Shared by the range picker and the routes.
export const RANGE_PRESETS = { "24h": 1, "7d": 7, "30d": 30 } as const;
export type RangePreset = keyof typeof RANGE_PRESETS;
export type RangeChoice = { preset: RangePreset } | { preset: "custom"; from: string; to: string };

const HOUR = 3_600_000;
const DAY = 86_400_000;
/** Longest custom range (the overview bins by day past 3 days; a year stays a few hundred points). */
export const MAX_RANGE_DAYS = 400;

export class RangeInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export function isPreset(v: unknown): v is RangePreset {
  return typeof v === "string" && v in RANGE_PRESETS;
}

/** Reads ?range=24h|7d|30d or ?from=&to= (ISO dates or YYYY-MM-DD; `to` of a plain date is inclusive). */
export function parseRange(params: URLSearchParams, now: Date = new Date()): { from: Date; to: Date; choice: RangeChoice } {
  const fromRaw = params.get("from");
  const toRaw = params.get("to");
  const preset = params.get("range");
  if (!fromRaw && !toRaw) {
    const p: RangePreset = preset === null || preset === "" ? "7d" : isPreset(preset) ? preset : (() => {
      throw new RangeInputError("range", "range must be one of 24h, 7d, 30d (or give from and to).");
    })();
    const to = new Date(Math.ceil(now.getTime() / HOUR) * HOUR);
    return { from: new Date(to.getTime() - RANGE_PRESETS[p] * DAY), to, choice: { preset: p } };
  }
  if (!fromRaw) throw new RangeInputError("from", "from is required with to.");
  if (!toRaw) throw new RangeInputError("to", "to is required with from.");
  const from = parseDate(fromRaw, "from", false);
  const to = parseDate(toRaw, "to", true);
  if (!(to > from)) throw new RangeInputError("to", "to must be after from.");
  if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * DAY) throw new RangeInputError("from", `The range may span at most ${MAX_RANGE_DAYS} days.`);
  return { from, to, choice: { preset: "custom", from: fromRaw, to: toRaw } };
}

function parseDate(v: string, field: string, endOfDay: boolean): Date {
  const plain = /^\d{4}-\d{2}-\d{2}$/.test(v);
  const d = new Date(plain ? `${v}T00:00:00Z` : v);
  if (Number.isNaN(d.getTime())) throw new RangeInputError(field, `${field} must be a date (YYYY-MM-DD or ISO 8601).`);
  return plain && endOfDay ? new Date(d.getTime() + DAY) : d;
}

export function rangeQuery(choice: RangeChoice): string {
  return choice.preset === "custom" ? `from=${encodeURIComponent(choice.from)}&to=${encodeURIComponent(choice.to)}` : `range=${choice.preset}`;
}
