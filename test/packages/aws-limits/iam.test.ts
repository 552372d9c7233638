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
