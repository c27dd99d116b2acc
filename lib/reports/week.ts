// Calendar weeks in an organization's time zone (reports go out Monday 08:00 local time).

/** Offset (ms) of `timeZone` from UTC at instant `at`. */
export function tzOffsetMs(at: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(at);
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  const asUtc = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
  return asUtc - Math.floor(at.getTime() / 1000) * 1000;
}

/** Local calendar fields of an instant in a zone. */
export function localParts(at: Date, timeZone: string) {
  const local = new Date(at.getTime() + tzOffsetMs(at, timeZone));
  return { year: local.getUTCFullYear(), month: local.getUTCMonth(), day: local.getUTCDate(), weekday: local.getUTCDay(), hour: local.getUTCHours() };
}

/** UTC instant of local midnight starting the Monday of the week containing `at`. */
export function weekStart(at: Date, timeZone: string): Date {
  const p = localParts(at, timeZone);
  const daysSinceMonday = (p.weekday + 6) % 7;
  const localMidnight = Date.UTC(p.year, p.month, p.day - daysSinceMonday);
  // Convert local midnight back to UTC using the offset in force at that moment.
  const guess = localMidnight - tzOffsetMs(new Date(localMidnight), timeZone);
  return new Date(localMidnight - tzOffsetMs(new Date(guess), timeZone));
}

/** The last complete week before `at`: [start, end). */
export function previousWeek(at: Date, timeZone: string): { start: Date; end: Date; label: string } {
  const end = weekStart(at, timeZone);
  const start = weekStart(new Date(end.getTime() - 3 * 86_400_000), timeZone);
  return { start, end, label: isoWeekLabel(new Date(start.getTime() + 3 * 86_400_000)) };
}

/** ISO week label like 2026-W49 (of the UTC date given). */
export function isoWeekLabel(d: Date): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = (t.getUTCDay() + 6) % 7;
  t.setUTCDate(t.getUTCDate() - day + 3);
  const firstThursday = new Date(Date.UTC(t.getUTCFullYear(), 0, 4));
  const week = 1 + Math.round(((t.getTime() - firstThursday.getTime()) / 86_400_000 - 3 + ((firstThursday.getUTCDay() + 6) % 7)) / 7);
  return `${t.getUTCFullYear()}-W${String(week).padStart(2, "0")}`;
}

/** True when it is Monday between 08:00 and 08:59 local time: the weekly report's hour. */
export function isReportHour(at: Date, timeZone: string): boolean {
  const p = localParts(at, timeZone);
  return p.weekday === 1 && p.hour === 8;
}
