import { inRange, KMS } from "@cmk-stacks/aws-limits";
import { describeShapes } from "../../helpers/rulebook";

describe("shapes", () => describeShapes(KMS as unknown as Record<string, unknown>));

// The cases test/stacks/validation-agrees-with-constructs.test.ts held the validation table and the
// constructs to: both now call these predicates, so one test of the rule covers both.
describe("alias names (CreateAlias AliasName): KMS.isAliasName", () => {
  test.each([
    ["alias/dev/app", true],
    ["alias/a", true],
    ["alias/awsome", true],
    ["alias/a:b/c_d-e", true],
    [`alias/${"a".repeat(250)}`, true],
    ["alias/", false],
    ["alias/aws/s3", false],
    ["dev/app", false],
    ["alias/a b", false],
    ["alias/a.b", false],
    [`alias/${"a".repeat(251)}`, false],
    [42, false],
  ])("%s -> %s", (alias, ok) => {
    expect(KMS.isAliasName(alias)).toBe(ok);
  });
});

describe("deletion window (ScheduleKeyDeletion PendingWindowInDays)", () => {
  test.each([
    [6, false],
    [7, true],
    [8, true],
    [30, true],
    [31, false],
    [45, false],
    [7.5, false],
    [0, false],
    [Number.NaN, false],
  ])("%s days -> %s", (days, ok) => {
    expect(inRange(KMS.DELETION_WINDOW_DAYS, days)).toBe(ok);
  });

  test("the default is the longest window AWS allows", () => {
    expect(KMS.DEFAULT_DELETION_WINDOW_DAYS.value).toBe(KMS.DELETION_WINDOW_DAYS.max);
  });
});

test.each([
  [0, false],
  [1, true],
  [365, true],
  [366, false],
  [1.5, false],
])("imported key material validity %s days -> %s", (days, ok) => {
  expect(inRange(KMS.KEY_MATERIAL_VALIDITY_DAYS, days)).toBe(ok);
});

test.each([
  ["", false],
  ["n", true],
  ["n".repeat(256), true],
  ["n".repeat(257), false],
  [undefined, false],
])("custom key store name of %j -> %s", (name, ok) => {
  expect(KMS.isCustomKeyStoreName(name)).toBe(ok);
});

describe("automatic rotation: symmetric keys whose material KMS generates", () => {
  test.each([
    [{ store: "aws-kms" }, true],
    [{ store: "aws-kms", origin: "aws-kms" }, true],
    [{ store: "aws-kms", origin: "external" }, false],
    [{ store: "cloudhsm" }, false],
    [{ store: "xks" }, false],
  ])("%j -> %s", (key, ok) => {
    expect(KMS.automaticRotationSupported(key)).toBe(ok);
  });
});

describe("principals of another account (KMS.otherAccountProblem)", () => {
  const own = "111111111111";
  const other = "555555555555";
  test.each([
    ["use", own, [], undefined],
    ["use", undefined, [], undefined],
    ["administer", own, [], undefined],
    ["administer", other, [{ account: other, allow: ["use"] }], "own-account-only"],
    ["import", other, [{ account: other, allow: ["use"] }], "own-account-only"],
    ["sign", other, [], "own-account-only"],
    ["use", other, [], "account-not-declared"],
    ["use", other, [{ account: "999999999999", allow: ["use"] }], "account-not-declared"],
    ["use", other, [{ account: other, allow: ["use"] }], undefined],
    ["use", other, [{ account: other }], undefined],
    ["use", other, [{ account: other, allow: ["grantsForAwsResources"] }], "account-not-allowed-use"],
    [
      "use",
      other,
      [
        { account: other, allow: ["grantsForAwsResources"] },
        { account: other, allow: ["use"] },
      ],
      undefined,
    ],
  ] as const)("%s by a principal of %s with %j -> %s", (role, account, externalAccounts, verdict) => {
    expect(KMS.otherAccountProblem(role, account, own, externalAccounts)).toBe(verdict);
  });
});

test("signing key specs are asymmetric SIGN_VERIFY specs, never the symmetric one", () => {
  expect(KMS.SIGNING_KEY_SPECS).not.toContain(KMS.SYMMETRIC_KEY_SPEC);
  expect(KMS.SIGNING_KEY_SPECS.every((s) => /^(RSA_\d{4}|ECC_[A-Z0-9_]+)$/.test(s))).toBe(true);
});

test("the grants consumers get are grant operations KMS knows", async () => {
  const { ENCRYPT_DECRYPT_OPERATIONS } = await import("../../../modules/keys/grants");
  for (const op of ENCRYPT_DECRYPT_OPERATIONS) expect(KMS.GRANT_OPERATIONS).toContain(op);
});

test.each([
  [89, false],
  [90, true],
  [365, true],
  [2560, true],
  [2561, false],
  [180.5, false],
])("rotation period (EnableKeyRotation RotationPeriodInDays) %s days -> %s", (days, ok) => {
  expect(inRange(KMS.ROTATION_PERIOD_DAYS, days)).toBe(ok);
});

test("the default rotation period is AWS's yearly one, inside the range; a key has at most 50 aliases", () => {
  expect(KMS.DEFAULT_ROTATION_PERIOD_DAYS.value).toBe(365);
  expect(inRange(KMS.ROTATION_PERIOD_DAYS, KMS.DEFAULT_ROTATION_PERIOD_DAYS.value)).toBe(true);
  expect(KMS.ALIASES_PER_KEY.value).toBe(50);
  expect(KMS.ALIASES_PER_KEY.doc).toMatch(
    /^https:\/\/docs\.aws\.amazon\.com\/kms\/latest\/developerguide\/resource-limits\.html/,
  );
});

describe("multi-Region keys and service statements", () => {
  test("each service has an https AWS doc link, a principal, actions and a source ARN shape", () => {
    for (const name of KMS.KEY_POLICY_SERVICE_NAMES) {
      const s = KMS.KEY_POLICY_SERVICES[name];
      expect(s.doc).toMatch(/^https:\/\/docs\.aws\.amazon\.com\//);
      expect(s.principal).toMatch(/\.amazonaws\.com$/);
      expect(s.actions.length).toBeGreaterThan(0);
    }
    expect(KMS.MULTI_REGION_DOC).toMatch(/^https:\/\/docs\.aws\.amazon\.com\//);
    expect(KMS.REPLICAS_PER_REGION.doc).toMatch(/API_ReplicateKey\.html$/);
    expect(KMS.servicePrincipal("logs", "eu-west-1")).toBe("logs.eu-west-1.amazonaws.com");
    expect(KMS.servicePrincipal("cloudtrail", "eu-west-1")).toBe("cloudtrail.amazonaws.com");
  });

  const key = { partition: "aws", account: "111111111111", regions: ["eu-west-1", "eu-central-1"] };
  test.each<[KMS.KeyPolicyServiceName, string, boolean]>([
    ["cloudtrail", "arn:aws:cloudtrail:us-east-1:111111111111:trail/org-trail", true],
    ["cloudtrail", "arn:aws:cloudtrail:us-east-1:111111111111:trail/org-*", false],
    ["cloudtrail", "arn:aws:cloudtrail:us-east-1:111111111111:trail/ab", false],
    ["logs", "arn:aws:logs:eu-west-1:111111111111:log-group:/app/x", true],
    ["logs", "arn:aws:logs:eu-central-1:111111111111:log-group:/app/*", true],
    ["logs", "arn:aws:logs:eu-west-1:111111111111:log-group:/app/*/x", false],
    ["logs", "arn:aws:logs:eu-west-1:111111111111:log-group:*", false],
    ["logs", "arn:aws:logs:us-east-1:111111111111:log-group:/app", false],
    ["logs", "arn:aws:logs:eu-west-1:222222222222:log-group:/app", false],
    ["cloudwatch", "arn:aws:cloudwatch:eu-west-1:111111111111:alarm:kms-*", true],
    ["cloudwatch", "arn:aws:cloudwatch:eu-west-1:111111111111:alarm:*", false],
    ["events", "arn:aws:events:eu-west-1:111111111111:rule/bus/rule-a", true],
    ["events", "arn:aws:events:eu-west-1:111111111111:rule/bus/*", true],
    ["events", "arn:aws:events:eu-west-1:111111111111:rule/*", false],
    ["events", "arn:aws-cn:events:cn-north-1:111111111111:rule/a", false],
    ["events", "not an arn", false],
  ])("%s %s -> %s", (service, arn, ok) => {
    expect(KMS.serviceSourceArnProblem(service, arn, key) === undefined).toBe(ok);
  });
});
