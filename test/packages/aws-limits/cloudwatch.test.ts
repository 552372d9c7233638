import { CLOUDWATCH, inRange, type Default, type Range } from "@cmk-stacks/aws-limits";

const AWS_DOC = /^https:\/\/docs\.aws\.amazon\.com\/\S+\.html$/;
const entries = Object.entries(CLOUDWATCH);
const ranges = entries.filter(([, v]) => typeof v === "object" && v !== null && "min" in v) as [string, Range][];
const defaults = entries.filter(([name]) => name.endsWith("_DEFAULT")) as [string, Default<number>][];

test("every range has min <= max and an AWS documentation page", () => {
  expect(ranges.length).toBe(3);
  for (const [name, r] of ranges) expect([name, r.min <= r.max, AWS_DOC.test(r.doc)]).toEqual([name, true, true]);
});

test("every default names its AWS page and a reason, and lies in its range", () => {
  expect(defaults.length).toBe(6);
  for (const [name, d] of defaults)
    expect([name, AWS_DOC.test(String(d.doc)), (d.why ?? "").length > 0]).toEqual([name, true, true]);
  expect(inRange(CLOUDWATCH.XKS_CERTIFICATE_DAYS, CLOUDWATCH.XKS_CERTIFICATE_DAYS_DEFAULT.value)).toBe(true);
  expect(inRange(CLOUDWATCH.XKS_CREDENTIAL_ROTATION_DAYS, CLOUDWATCH.XKS_CREDENTIAL_ROTATION_DAYS_DEFAULT.value)).toBe(
    true,
  );
  expect(
    inRange(CLOUDWATCH.HEALTH_CHECK_INTERVAL_MINUTES, CLOUDWATCH.HEALTH_CHECK_INTERVAL_MINUTES_DEFAULT.value),
  ).toBe(true);
  expect(CLOUDWATCH.isShare(CLOUDWATCH.REQUEST_QUOTA_SHARE_DEFAULT.value)).toBe(true);
  expect(CLOUDWATCH.isShare(CLOUDWATCH.XKS_LATENCY_SHARE_DEFAULT.value)).toBe(true);
});

test.each([
  [0, false],
  [-0.5, false],
  [0.01, true],
  [1, true],
  [1.01, false],
  [Number.NaN, false],
  [Number.POSITIVE_INFINITY, false],
  ["0.8", false],
  [null, false],
])("%p is a share: %s", (v, ok) => {
  expect(CLOUDWATCH.isShare(v)).toBe(ok);
});

test("the words of a share match what isShare allows", () => {
  expect(CLOUDWATCH.SHARE_WORDS).toBe("greater than 0 and at most 1");
});

test("alarm settings link their AWS pages; the request quota alarm needs fewer breaching minutes than it evaluates", () => {
  for (const limit of [
    CLOUDWATCH.XKS_ALARM_PERIOD_SECONDS,
    CLOUDWATCH.XKS_PROXY_ERRORS_PER_MINUTE,
    CLOUDWATCH.XKS_CREDENTIAL_AGE_PERIOD_SECONDS,
    CLOUDWATCH.HEALTH_CHECKS_PER_ALARM_PERIOD,
  ]) {
    expect(limit.value).toBeGreaterThan(0);
    expect(limit.doc).toMatch(/https:\/\/docs\.aws\.amazon\.com\/\S+\.html/);
  }
  const q = CLOUDWATCH.REQUEST_QUOTA_ALARM;
  expect(q.datapointsToAlarm).toBeLessThanOrEqual(q.evaluationPeriods);
  expect(q.periodSeconds % 60).toBe(0);
  expect(q.doc).toMatch(AWS_DOC);
});

describe("CloudWatch Logs log group names: CLOUDWATCH.LOG_GROUP_NAME", () => {
  test.each([
    ["/aws/cloudtrail/org-trail", true],
    ["aws-cloudtrail-logs-111111111111_a.b#c", true],
    ["g".repeat(512), true],
    ["g".repeat(513), false],
    ["", false],
    ["with space", false],
    ["colon:name", false],
  ])("%j -> %s", (name, ok) => {
    expect(CLOUDWATCH.LOG_GROUP_NAME.regex.test(name)).toBe(ok);
  });
});
