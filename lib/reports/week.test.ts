import { describe, expect, it } from "vitest";
import { isoWeekLabel, isReportHour, previousWeek, weekStart } from "./week";

describe("weeks in a time zone", () => {
  it("starts the week at local Monday midnight", () => {
    // Wed 2026-12-02 15:00 UTC; Monday 2026-11-30 00:00 in New York is 05:00 UTC (EST)
    expect(weekStart(new Date("2026-12-02T15:00:00Z"), "America/New_York").toISOString()).toBe("2026-11-30T05:00:00.000Z");
    expect(weekStart(new Date("2026-12-02T15:00:00Z"), "UTC").toISOString()).toBe("2026-11-30T00:00:00.000Z");
    // Tokyo is UTC+9: Monday 00:00 local = Sunday 15:00 UTC
    expect(weekStart(new Date("2026-12-02T15:00:00Z"), "Asia/Tokyo").toISOString()).toBe("2026-11-29T15:00:00.000Z");
  });

  it("handles a daylight-saving change inside the week", () => {
    // Europe/Berlin switches to CET on Sun 2026-10-25; the week of Mon 2026-10-19 starts at 22:00 UTC on the 18th (CEST)
    const w = previousWeek(new Date("2026-10-27T09:00:00Z"), "Europe/Berlin");
    expect(w.start.toISOString()).toBe("2026-10-18T22:00:00.000Z");
    expect(w.end.toISOString()).toBe("2026-10-25T23:00:00.000Z");
    expect(w.label).toBe("2026-W43");
  });

  it("knows the report hour and ISO week labels", () => {
    expect(isReportHour(new Date("2026-11-30T08:30:00Z"), "UTC")).toBe(true);
    expect(isReportHour(new Date("2026-11-30T08:30:00Z"), "America/New_York")).toBe(false);
    expect(isReportHour(new Date("2026-11-30T13:05:00Z"), "America/New_York")).toBe(true);
    expect(isoWeekLabel(new Date("2027-01-01T00:00:00Z"))).toBe("2026-W53");
    expect(isoWeekLabel(new Date("2026-12-04T00:00:00Z"))).toBe("2026-W49");
  });
});
