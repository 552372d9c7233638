/**
 * The weekly window in which a scale-to-zero CloudHSM cluster is down on purpose
 * (`cloudHsm.scaleToZero`, docs/cloudhsm.md "Scale to zero"). SDK-free and cdktf-free: the schedule
 * construct builds its cron expressions here, the health check and `status` decide here whether zero
 * HSMs are the schedule or a fault.
 *
 * The schedule repeats every week: on each of `weekdays`, a scale-down at `downAt` and a scale-up at
 * `upAt` (local wall-clock time in `timezone`; EventBridge Scheduler evaluates cron expressions in
 * that zone, daylight saving time included:
 * https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#cron-based). The cluster
 * is "down on schedule" from a scale-down until the next scale-up has had `upMinutes` (the scale-up's
 * bounded budget) to finish.
 */
import { CLOUDHSM, HOOKS } from "@cmk-stacks/aws-limits";

export type Weekday = CLOUDHSM.ScaleWeekday;

export interface ScaleWindow {
  /** `HH:MM`, local time: the HSMs are deleted. */
  readonly downAt: string;
  /** `HH:MM`, local time: the HSMs are created again and the store reconnected. */
  readonly upAt: string;
  readonly weekdays: readonly Weekday[];
  /** IANA time zone name. */
  readonly timezone: string;
  /** Minutes a scale-up may take (its budget): the window ends that long after the scale-up starts. */
  readonly upMinutes: number;
}

const DAY_MINUTES = 24 * 60;
const WEEK_MINUTES = 7 * DAY_MINUTES;
const DAYS = CLOUDHSM.SCALE_WEEKDAYS;

/** `19:30` -> 1170. */
export function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(":").map(Number);
  return h * 60 + m;
}

/** `HH:MM` of a minute of the day. */
function clock(minute: number): string {
  return `${String(Math.floor(minute / 60)).padStart(2, "0")}:${String(minute % 60).padStart(2, "0")}`;
}

/** Whether the platform knows the time zone (Intl throws a RangeError for an unknown one). */
export function isKnownTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Minutes since Monday 00:00 of the local week in `timezone` at `at`. */
export function localMinuteOfWeek(at: Date, timezone: string): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: timezone,
    weekday: "short",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).formatToParts(at);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  const day = DAYS.indexOf(part("weekday").toUpperCase() as Weekday);
  return day * DAY_MINUTES + Number(part("hour")) * 60 + Number(part("minute"));
}

export interface ScaleEvent {
  readonly kind: "down" | "up";
  /** Minutes since Monday 00:00, local time. */
  readonly minute: number;
}

/** Every scale-down and scale-up of the week, in time order. */
export function scaleEvents(w: ScaleWindow): ScaleEvent[] {
  const events: ScaleEvent[] = [];
  for (const day of w.weekdays) {
    const base = DAYS.indexOf(day) * DAY_MINUTES;
    events.push({ kind: "down", minute: base + minutesOf(w.downAt) });
    events.push({ kind: "up", minute: base + minutesOf(w.upAt) });
  }
  return events.sort((a, b) => a.minute - b.minute);
}

export type ScalePhase = "up" | "down" | "scaling-up";

/**
 * Where the schedule stands at `at`: `down` after a scale-down (until the next scale-up), `scaling-up`
 * within `upMinutes` of a scale-up, `up` otherwise. Only `up` expects the HSMs and a CONNECTED store.
 */
export function scalePhase(w: ScaleWindow, at: Date): { readonly phase: ScalePhase; readonly sinceMinutes: number } {
  const events = scaleEvents(w);
  if (events.length === 0) return { phase: "up", sinceMinutes: 0 };
  const now = localMinuteOfWeek(at, w.timezone);
  const past = events.filter((e) => e.minute <= now);
  const last = past.length ? past[past.length - 1] : events[events.length - 1];
  const since = (now - last.minute + WEEK_MINUTES) % WEEK_MINUTES;
  if (last.kind === "down") return { phase: "down", sinceMinutes: since };
  return { phase: since < w.upMinutes ? "scaling-up" : "up", sinceMinutes: since };
}

/** True while zero HSMs and a DISCONNECTED store are the schedule, not a fault. */
export function scaledDownOnSchedule(w: ScaleWindow, at: Date): boolean {
  return scalePhase(w, at).phase !== "up";
}

/**
 * The Scheduler cron expression of an event at `hhmm` on `weekdays`, `offsetMinutes` later (a
 * resumed invocation of a long scale-up); the days move with the time past midnight.
 */
export function cronExpression(hhmm: string, weekdays: readonly Weekday[], offsetMinutes = 0): string {
  const total = minutesOf(hhmm) + offsetMinutes;
  const dayShift = Math.floor(total / DAY_MINUTES);
  const [h, m] = clock(total % DAY_MINUTES)
    .split(":")
    .map(Number);
  const days = DAYS.filter((d) => weekdays.includes(d)).map((d) => DAYS[(DAYS.indexOf(d) + dayShift) % DAYS.length]);
  return `cron(${m} ${h} ? * ${days.join(",")} *)`;
}

/** `MON-FRI 19:00-07:00 Europe/Berlin`-style summary for messages and `status`. */
export function describeWindow(w: ScaleWindow): string {
  return `down ${w.downAt}, up ${w.upAt} (${w.timezone}) on ${w.weekdays.join(",")}`;
}

/** Minutes between the invocations of one scale run: a Lambda invocation's hard cap, so two never overlap. */
export const MINUTES_BETWEEN_INVOCATIONS = HOOKS.LAMBDA_TIMEOUT_SECONDS.max / 60;

/** The scale-to-zero times as configured (`cloudHsm.scaleToZero`). */
export interface ScaleToZeroTimes {
  /** `HH:MM` in `timezone`: scale-down (the store disconnected, every HSM deleted). */
  readonly downAt: string;
  /** `HH:MM` in `timezone`: scale-up (the HSMs created again, the store reconnected). */
  readonly upAt: string;
  /** @default - the rulebook's {@link CLOUDHSM.SCALE_WEEKDAYS_DEFAULT} */
  readonly weekdays?: readonly Weekday[];
  /** @default - the rulebook's {@link CLOUDHSM.SCALE_TIMEZONE_DEFAULT} */
  readonly timezone?: string;
}

/** Invocations of one scale run: as many as its budget needs, each one Lambda invocation. */
export function invocationsFor(timeoutMinutes: number): number {
  return Math.max(1, Math.ceil(timeoutMinutes / HOOKS.MINUTES_PER_INVOCATION));
}

/** One problem of a scale-to-zero schedule: the field (relative to `scaleToZero`), its value, what is allowed. */
export interface ScaleTimesProblem {
  readonly field: "downAt" | "upAt" | "weekdays" | "timezone";
  readonly value: unknown;
  readonly rule: string;
}

/**
 * Problems of a scale-to-zero schedule, all at once: the times, days and zone, and the distance
 * between the two runs (each may take `invocationsFor(timeoutMinutes)` invocations). One check for the
 * validation table and the construct, so they cannot disagree.
 */
export function scaleTimesProblems(t: ScaleToZeroTimes, timeoutMinutes: number): ScaleTimesProblem[] {
  const problems: ScaleTimesProblem[] = [];
  const clockTime = CLOUDHSM.SCALE_CLOCK_TIME;
  for (const field of ["downAt", "upAt"] as const)
    if (typeof t[field] !== "string" || !clockTime.regex.test(t[field]))
      problems.push({ field, value: t[field], rule: `${clockTime.allowed}, EventBridge Scheduler cron` });
  const days = t.weekdays ?? CLOUDHSM.SCALE_WEEKDAYS_DEFAULT.value;
  const known = DAYS as readonly string[];
  if (
    !Array.isArray(days) ||
    days.length === 0 ||
    days.some((d) => !known.includes(d)) ||
    new Set(days).size !== days.length
  )
    problems.push({
      field: "weekdays",
      value: days,
      rule: `a non-empty list of distinct ${known.join(", ")}, EventBridge Scheduler cron day-of-week`,
    });
  const tz = t.timezone ?? CLOUDHSM.SCALE_TIMEZONE_DEFAULT.value;
  if (typeof tz !== "string" || !CLOUDHSM.SCALE_TIMEZONE.regex.test(tz) || !isKnownTimezone(tz))
    problems.push({
      field: "timezone",
      value: tz,
      rule: `${CLOUDHSM.SCALE_TIMEZONE.allowed}, Scheduler ScheduleExpressionTimezone`,
    });
  // The distance needs only the two times (the days and the zone move both alike): checked whenever
  // they are valid, so that it is reported with a wrong zone or day, not after it is fixed.
  if (!problems.some((p) => p.field === "downAt" || p.field === "upAt")) {
    const run = invocationsFor(timeoutMinutes) * MINUTES_BETWEEN_INVOCATIONS;
    const down = minutesOf(t.downAt);
    const up = minutesOf(t.upAt);
    const gaps = [(up - down + DAY_MINUTES) % DAY_MINUTES, (down - up + DAY_MINUTES) % DAY_MINUTES];
    if (Math.min(...gaps) < run)
      problems.push({
        field: "upAt",
        value: t.upAt,
        rule: `at least ${run} minutes from downAt ${t.downAt} either way: each scale run may take ${invocationsFor(timeoutMinutes)} invocations of ${MINUTES_BETWEEN_INVOCATIONS} minutes (hooks.timeoutMinutes ${timeoutMinutes})`,
      });
  }
  return problems;
}

/** The window of a configured schedule: the scale-up's whole chain (its invocations, 15 minutes apart) counts as "scaling up". */
export function windowOf(t: ScaleToZeroTimes, timeoutMinutes: number): ScaleWindow {
  return {
    downAt: t.downAt,
    upAt: t.upAt,
    weekdays: t.weekdays ?? CLOUDHSM.SCALE_WEEKDAYS_DEFAULT.value,
    timezone: t.timezone ?? CLOUDHSM.SCALE_TIMEZONE_DEFAULT.value,
    upMinutes: invocationsFor(timeoutMinutes) * MINUTES_BETWEEN_INVOCATIONS,
  };
}
