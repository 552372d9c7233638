/** The scale-to-zero window: where the weekly schedule stands at a given instant, and its cron expressions. */
import {
  cronExpression,
  localMinuteOfWeek,
  scaledDownOnSchedule,
  scalePhase,
  scaleTimesProblems,
  type ScaleWindow,
} from "../../../hooks/lib/scale-window";

const W: ScaleWindow = {
  downAt: "19:00",
  upAt: "07:00",
  weekdays: ["MON", "TUE", "WED", "THU", "FRI"],
  timezone: "Europe/Berlin",
  upMinutes: 60,
};
/** 2026-12-07 is a Monday; Berlin is UTC+1 in December. */
const utc = (day: number, hh: number, mm = 0) => new Date(Date.UTC(2026, 11, day, hh, mm));

describe("scalePhase", () => {
  test.each([
    ["Monday 05:59 Berlin (after Friday's scale-down)", utc(7, 4, 59), "down"],
    ["Monday 07:00 Berlin (scale-up starts)", utc(7, 6, 0), "scaling-up"],
    ["Monday 07:59 Berlin (its chain may still run)", utc(7, 6, 59), "scaling-up"],
    ["Monday 08:00 Berlin (the chain is over: HSMs expected)", utc(7, 7, 0), "up"],
    ["Monday 18:59 Berlin", utc(7, 17, 59), "up"],
    ["Monday 19:00 Berlin (scale-down)", utc(7, 18, 0), "down"],
    ["Wednesday 03:00 Berlin (night)", utc(9, 2, 0), "down"],
    ["Saturday noon Berlin (weekend)", utc(12, 11, 0), "down"],
    ["Sunday 23:59 Berlin", utc(13, 22, 59), "down"],
  ])("%s: %s", (_, at, phase) => {
    expect(scalePhase(W, at).phase).toBe(phase);
    expect(scaledDownOnSchedule(W, at)).toBe(phase !== "up");
  });

  test("follows the time zone's daylight saving time (Berlin is UTC+2 in July)", () => {
    // 2026-07-06 is a Monday: 07:30 Berlin is 05:30 UTC.
    expect(localMinuteOfWeek(new Date(Date.UTC(2026, 6, 6, 5, 30)), "Europe/Berlin")).toBe(7 * 60 + 30);
    expect(scalePhase(W, new Date(Date.UTC(2026, 6, 6, 6, 30))).phase).toBe("up");
    expect(scalePhase(W, new Date(Date.UTC(2026, 6, 6, 5, 30))).phase).toBe("scaling-up");
  });

  test("a window inside one day (down 01:00, up 05:00, every day)", () => {
    const night: ScaleWindow = {
      ...W,
      downAt: "01:00",
      upAt: "05:00",
      weekdays: ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"],
      timezone: "UTC",
      upMinutes: 30,
    };
    expect(scalePhase(night, utc(8, 0, 59)).phase).toBe("up");
    expect(scalePhase(night, utc(8, 1, 0)).phase).toBe("down");
    expect(scalePhase(night, utc(8, 5, 10)).phase).toBe("scaling-up");
    expect(scalePhase(night, utc(8, 5, 30)).phase).toBe("up");
  });
});

describe("cronExpression", () => {
  test("the configured time and days", () => {
    expect(cronExpression("19:00", W.weekdays)).toBe("cron(0 19 ? * MON,TUE,WED,THU,FRI *)");
  });
  test("a later invocation past midnight moves to the next day (Sunday wraps to Monday)", () => {
    expect(cronExpression("23:50", ["FRI", "SUN"], 15)).toBe("cron(5 0 ? * SAT,MON *)");
    expect(cronExpression("07:00", ["MON"], 45)).toBe("cron(45 7 ? * MON *)");
  });
});

describe("scaleTimesProblems", () => {
  test("every problem at once, each naming its field", () => {
    expect(
      scaleTimesProblems(
        { downAt: "7pm", upAt: "24:00", weekdays: ["MON", "MON", "FUN" as never], timezone: "Mars/Olympus" },
        45,
      ).map((p) => p.field),
    ).toEqual(["downAt", "upAt", "weekdays", "timezone"]);
  });
  test("the two runs must not overlap: 45 minutes of budget is 4 invocations of 15 minutes either way", () => {
    expect(scaleTimesProblems({ downAt: "19:00", upAt: "19:30" }, 45)).toEqual([
      {
        field: "upAt",
        value: "19:30",
        rule: "at least 60 minutes from downAt 19:00 either way: each scale run may take 4 invocations of 15 minutes (hooks.timeoutMinutes 45)",
      },
    ]);
    expect(scaleTimesProblems({ downAt: "19:00", upAt: "20:00" }, 45)).toEqual([]);
    expect(scaleTimesProblems({ downAt: "19:00", upAt: "18:30" }, 45)[0]?.field).toBe("upAt");
  });
  test("the distance is reported with a wrong zone or day (it needs only the two times)", () => {
    expect(
      scaleTimesProblems({ downAt: "19:00", upAt: "19:00", weekdays: [], timezone: "" }, 45).map((p) => p.field),
    ).toEqual(["weekdays", "timezone", "upAt"]);
  });
});
