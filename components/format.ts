// Dates shown in the organization's time zone, formatted on the server (no hydration mismatch).
export function formatDateTime(value: Date | null | undefined, timeZone = "UTC"): string {
  if (!value) return "—";
  try {
    return new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short", timeZone }).format(value);
  } catch {
    return value.toISOString().slice(0, 16).replace("T", " ") + " UTC";
  }
}

/** A duration in its largest whole unit: "1 day", "3 days", "6 h", "90 min", "45 s" (rule TTLs and the like). */
export function formatDuration(seconds: number): string {
  if (seconds > 0 && seconds % 86_400 === 0) return `${seconds / 86_400} day${seconds === 86_400 ? "" : "s"}`;
  if (seconds > 0 && seconds % 3_600 === 0) return `${seconds / 3_600} h`;
  if (seconds > 0 && seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}
