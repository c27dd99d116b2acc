/** ?week=YYYY-MM-DD previews the report of the week containing that day (default: the latest complete week). */
export function previewMoment(week: unknown, now: Date = new Date()): Date {
  if (typeof week === "string" && /^\d{4}-\d{2}-\d{2}$/.test(week)) {
    const d = new Date(`${week}T12:00:00Z`);
    // A report built "at" a moment covers the complete week before it: step a week past the chosen day.
    if (!Number.isNaN(d.getTime())) return new Date(Math.min(d.getTime() + 7 * 86_400_000, now.getTime()));
  }
  return now;
}
