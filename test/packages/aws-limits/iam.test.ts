import { IAM } from "@cmk-stacks/aws-limits";
import { describeShapes } from "../../helpers/rulebook";

describe("shapes", () => describeShapes(IAM as unknown as Record<string, unknown>));

const ACCOUNT = "111111111111";

// The principal cases test/stacks/validation-agrees-with-constructs.test.ts held the validation table
// and CustomerKey to: both now call IAM.isPrincipalArn (and IAM.principalLengthsOk).
describe("IAM role or user ARNs, in the stack's partition: IAM.isPrincipalArn", () => {
  test.each([
    [`arn:aws:iam::${ACCOUNT}:role/Ops`, true],
    [`arn:aws:iam::${ACCOUNT}:user/alice`, true],
    [`arn:aws:iam::${ACCOUNT}:role/path/to/Ops`, true],
    ["arn:aws:iam::999999999999:role/Ops", true],
    ["arn:aws:iam::999999999999:user/path/alice", true],
    [`arn:aws:iam::${ACCOUNT}:root`, false],
    [`arn:aws-cn:iam::${ACCOUNT}:role/Ops`, false],
    ["arn:aws:iam::12345:role/Ops", false],
    ["Ops", false],
    [`arn:aws:iam::${ACCOUNT}:group/Ops`, false],
    [42, false],
  ])("%s in aws -> %s", (arn, ok) => {
    expect(IAM.isPrincipalArn(arn, "aws")).toBe(ok);
  });

  test("any partition this project deploys to when none is given", () => {
    expect(IAM.isPrincipalArn(`arn:aws-cn:iam::${ACCOUNT}:role/Ops`)).toBe(true);
    expect(IAM.isPrincipalArn(`arn:aws-us-gov:iam::${ACCOUNT}:role/Ops`)).toBe(true);
    expect(IAM.isPrincipalArn(`arn:aws-iso:iam::${ACCOUNT}:role/Ops`)).toBe(false);
  });
});

describe("IAM name and path lengths: IAM.principalLengthsOk", () => {
  test.each([
    [`arn:aws:iam::${ACCOUNT}:role/${"n".repeat(64)}`, true],
    [`arn:aws:iam::${ACCOUNT}:role/${"n".repeat(65)}`, false],
    [`arn:aws:iam::${ACCOUNT}:role/${"p".repeat(510)}/Ops`, true],
    [`arn:aws:iam::${ACCOUNT}:role/team/${"n".repeat(65)}`, false],
    ["not an ARN", true],
  ])("%s -> %s", (arn, ok) => {
    expect(IAM.principalLengthsOk(arn)).toBe(ok);
  });

  test("name and path of a role ARN", () => {
    expect(IAM.nameAndPath(`arn:aws:iam::${ACCOUNT}:role/team/a/Ops`)).toEqual({ name: "Ops", path: "/team/a/" });
    expect(IAM.nameAndPath(`arn:aws:iam::${ACCOUNT}:user/alice`)).toEqual({ name: "alice", path: "/" });
    expect(IAM.nameAndPath("Ops")).toBeUndefined();
  });
});

test.each([
  ["eu-west-1", "aws"],
  ["cn-north-1", "aws-cn"],
  ["us-gov-west-1", "aws-us-gov"],
])("the partition of %s is %s", (region, partition) => {
  expect(IAM.partitionOfRegion(region)).toBe(partition);
});

test.each([
  [`arn:aws:iam::${ACCOUNT}:role/Ops`, ACCOUNT],
  ["arn:aws-cn:iam::999999999999:user/x", "999999999999"],
  ["arn:aws:iam::12345:role/Ops", undefined],
  [undefined, undefined],
])("the account of %s is %s", (arn, account) => {
  expect(IAM.accountOfArn(arn)).toBe(account);
});

test.each([
  [ACCOUNT, true],
  ["12345", false],
  ["1111111111111", false],
])("account id %s -> %s", (id, ok) => {
  expect(IAM.ACCOUNT_ID.regex.test(id)).toBe(ok);
});

describe("the state backend's role ARN: IAM.ROLE_ARN, the partitions of IAM.PRINCIPAL_ARN", () => {
  test.each([
    [`arn:aws:iam::${ACCOUNT}:role/TerraformState`, true],
    [`arn:aws-cn:iam::${ACCOUNT}:role/path/TerraformState`, true],
    [`arn:aws-us-gov:iam::${ACCOUNT}:role/TerraformState`, true],
    // no Region this project accepts maps to an ISO partition (IAM.partitionOfRegion)
    [`arn:aws-iso:iam::${ACCOUNT}:role/TerraformState`, false],
    [`arn:aws-iso-b:iam::${ACCOUNT}:role/TerraformState`, false],
    [`arn:aws:iam::${ACCOUNT}:user/alice`, false],
    [`arn:aws:iam::${ACCOUNT}:role/${"n".repeat(513)}`, false],
  ])("%s -> %s", (arn, ok) => {
    expect(IAM.ROLE_ARN.regex.test(arn)).toBe(ok);
  });
});

describe("Region codes: IAM.REGION (the environment's region and the hook runners' --region)", () => {
  test.each([
    ["eu-west-1", true],
    ["us-gov-west-1", true],
    ["cn-north-1", true],
    ["us-iso-east-1", true],
    ["us-isob-east-1", true],
    ["us-isoxx-east-1", false],
    ["eu-west-1a", false],
    ["EU-WEST-1", false],
    ["eu-west", false],
  ])("%s -> %s", (region, ok) => {
    expect(IAM.REGION.regex.test(region)).toBe(ok);
  });
});

describe("the account of any ARN: IAM.accountOfAnyArn", () => {
  test.each([
    [`arn:aws:iam::${ACCOUNT}:role/x`, undefined, ACCOUNT],
    [`arn:aws:cloudwatch:eu-west-1:${ACCOUNT}:alarm:x`, undefined, ACCOUNT],
    [`arn:aws-cn:kms:cn-north-1:${ACCOUNT}:key/abc`, "kms", ACCOUNT],
    [`arn:aws:sns:eu-west-1:${ACCOUNT}:topic`, "kms", undefined],
    ["arn:aws:s3:::bucket", undefined, undefined],
    [ACCOUNT, undefined, undefined],
    [42, undefined, undefined],
  ])("%s (%s) -> %s", (arn, service, account) => {
    expect(IAM.accountOfAnyArn(arn, service)).toBe(account);
  });
});
