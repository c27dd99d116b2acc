// Dates shown in the organization's time zone, formatted on the server (no hydration mismatch).
export function formatDateTime(value: Date | null | undefined, timeZone = "UTC"): string {
  if (!value) return "—";
  try {
    return new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short", timeZone }).format(value);
  } catch {
    return value.toISOString().slice(0, 16).replace("T", " ") + " UTC";
  }
}
