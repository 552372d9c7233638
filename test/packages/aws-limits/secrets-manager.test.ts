import { inRange, SECRETS_MANAGER } from "@cmk-stacks/aws-limits";
import { describeShapes } from "../../helpers/rulebook";

describe("shapes", () => describeShapes(SECRETS_MANAGER as unknown as Record<string, unknown>));

// Read by the XksCredential construct, the validation table (xks.credential.secretArn) and xks-check.
describe("secret ARNs: SECRETS_MANAGER.parseSecretArn", () => {
  test.each([
    [
      "arn:aws:secretsmanager:eu-west-1:333333333333:secret:prod/xks-proxy-credential-AbCdEf",
      { partition: "aws", region: "eu-west-1", account: "333333333333", name: "prod/xks-proxy-credential-AbCdEf" },
    ],
    [
      "arn:aws-us-gov:secretsmanager:us-gov-west-1:333333333333:secret:x_y+z=a.b@c-d",
      { partition: "aws-us-gov", region: "us-gov-west-1", account: "333333333333", name: "x_y+z=a.b@c-d" },
    ],
    [
      "arn:aws-cn:secretsmanager:cn-north-1:333333333333:secret:x",
      { partition: "aws-cn", region: "cn-north-1", account: "333333333333", name: "x" },
    ],
    ["arn:aws:ssm:eu-west-1:111111111111:parameter/xks", undefined],
    ["arn:aws:secretsmanager:eu-west-1:12345:secret:x", undefined],
    ["arn:aws:secretsmanager:eu-west-1:333333333333:secret:", undefined],
    ["arn:aws:secretsmanager:eu-west-1:333333333333:secret:a b", undefined],
    ["arn:other:secretsmanager:eu-west-1:333333333333:secret:x", undefined],
    ["xks-credential", undefined],
    ["xks/staging", undefined],
    [undefined, undefined],
  ])("%s", (arn, parsed) => {
    expect(SECRETS_MANAGER.parseSecretArn(arn)).toEqual(parsed);
    expect(typeof arn === "string" && SECRETS_MANAGER.SECRET_ARN.regex.test(arn)).toBe(parsed !== undefined);
  });
});

test.each([
  [6, false],
  [7, true],
  [30, true],
  [31, false],
])("recovery window %s days -> %s", (days, ok) => {
  expect(inRange(SECRETS_MANAGER.RECOVERY_WINDOW_DAYS, days)).toBe(ok);
});
