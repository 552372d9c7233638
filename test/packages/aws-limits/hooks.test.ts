import { HOOKS, inRange, type Range } from "@cmk-stacks/aws-limits";

const AWS_DOC = /https:\/\/docs\.aws\.amazon\.com\/\S+\.html/;
const ranges = Object.entries(HOOKS).filter(([, v]) => typeof v === "object" && v !== null && "min" in v) as [
  string,
  Range,
][];
const limits = Object.entries(HOOKS).filter(([, v]) => typeof v === "object" && v !== null && "value" in v) as [
  string,
  { value: number; doc?: string },
][];

test("every range has min <= max and links an AWS page", () => {
  expect(ranges.length).toBeGreaterThanOrEqual(4);
  for (const [name, r] of ranges) expect([name, r.min <= r.max, AWS_DOC.test(r.doc)]).toEqual([name, true, true]);
});

test("every limit and default links an AWS page (project rules say why in the same line)", () => {
  for (const [name, l] of limits) expect([name, AWS_DOC.test(String(l.doc))]).toEqual([name, true]);
});

describe("the hook wait budget (one rule for the graph, a wider one for the runners)", () => {
  test("the graph's budget is 5-120 whole minutes, 45 by default", () => {
    expect([
      HOOKS.TIMEOUT_MINUTES.min,
      HOOKS.TIMEOUT_MINUTES.max,
      HOOKS.TIMEOUT_MINUTES.integer,
      HOOKS.TIMEOUT_MINUTES_DEFAULT.value,
    ]).toEqual([5, 120, true, 45]);
    expect(inRange(HOOKS.TIMEOUT_MINUTES, HOOKS.TIMEOUT_MINUTES_DEFAULT.value)).toBe(true);
  });

  test("the runners accept every budget the graph may hold, and the scheduled check's", () => {
    expect(HOOKS.RUN_TIMEOUT_MINUTES.min).toBeLessThanOrEqual(HOOKS.TIMEOUT_MINUTES.min);
    expect(HOOKS.RUN_TIMEOUT_MINUTES.max).toBe(HOOKS.TIMEOUT_MINUTES.max);
    expect(inRange(HOOKS.RUN_TIMEOUT_MINUTES, HOOKS.HEALTH_CHECK_TIMEOUT_MINUTES.value)).toBe(true);
    expect(inRange(HOOKS.TIMEOUT_MINUTES, HOOKS.HEALTH_CHECK_TIMEOUT_MINUTES.value)).toBe(false);
  });

  test("the one-call budget is a budget the graph allows and fits one Lambda invocation", () => {
    expect(inRange(HOOKS.TIMEOUT_MINUTES, HOOKS.ONE_CALL_STEP_BUDGET_MINUTES.value)).toBe(true);
    expect(HOOKS.ONE_CALL_STEP_BUDGET_MINUTES.value).toBeLessThanOrEqual(HOOKS.MINUTES_PER_INVOCATION);
  });

  test("one invocation covers 14 minutes: Lambda's 900 s less the 30 s reserve", () => {
    expect(HOOKS.LAMBDA_TIMEOUT_SECONDS.max).toBe(900);
    expect(HOOKS.MINUTES_PER_INVOCATION).toBe(14);
  });

  test.each([
    [4, false],
    [5, true],
    [45, true],
    [120, true],
    [121, false],
    [30.5, false],
    [0, false],
  ])("a %s-minute budget in the graph allowed: %s", (minutes, allowed) => {
    expect(inRange(HOOKS.TIMEOUT_MINUTES, minutes)).toBe(allowed);
  });

  test("the words every construct uses name the range and the invocations it takes", () => {
    expect(HOOKS.timeoutMinutesAllowed()).toBe(
      "whole minutes from 5 to 120: one apply, at most 9 Lambda invocations of 15 minutes",
    );
  });
});

test("Lambda's VPC takes 1 to 16 subnets", () => {
  expect([
    inRange(HOOKS.LAMBDA_VPC_SUBNETS, 0),
    inRange(HOOKS.LAMBDA_VPC_SUBNETS, 1),
    inRange(HOOKS.LAMBDA_VPC_SUBNETS, 16),
    inRange(HOOKS.LAMBDA_VPC_SUBNETS, 17),
  ]).toEqual([false, true, true, false]);
});

test("typical durations fit the default budget and cite AWS", () => {
  const { doc, ...minutes } = HOOKS.TYPICAL_MINUTES;
  expect(doc).toMatch(AWS_DOC);
  for (const [op, m] of Object.entries(minutes))
    expect([op, m > 0 && m <= HOOKS.TIMEOUT_MINUTES_DEFAULT.value]).toEqual([op, true]);
});

test("an SSM Run Command script gets at most one Lambda invocation by default (Run Command's own default is 3600 s)", () => {
  expect(HOOKS.SSM_EXECUTION_TIMEOUT_SECONDS_DEFAULT.value).toBe(HOOKS.LAMBDA_TIMEOUT_SECONDS.max);
  expect(HOOKS.SSM_EXECUTION_TIMEOUT_SECONDS_DEFAULT.value).toBeLessThan(3600);
});
