import { S3 } from "@cmk-stacks/aws-limits";
import { describeShape } from "./rules";

describeShape("S3", S3);

// The cases validation and the EncryptedBucket construct used to be held equal on (one predicate now serves both).
describe("bucket names", () => {
  test.each([
    ["abc", undefined],
    ["ab", "3 to 63 chars"],
    ["a".repeat(63), undefined],
    ["a".repeat(64), "3 to 63 chars"],
    ["t.reports-1", undefined],
    ["T-reports", "only lowercase letters, digits, '.' and '-'"],
    ["t_reports", "only lowercase letters, digits, '.' and '-'"],
    ["-reports", "begins and ends with a letter or digit"],
    ["reports-", "begins and ends with a letter or digit"],
    ["t..reports", "no two adjacent periods"],
    ["192.168.5.4", "not formatted as an IP address"],
    ["999.1.1.1", undefined],
    ["1.2.3", undefined],
    ["01.2.3.4", undefined],
    ["xn--reports", "no prefix xn-- (reserved)"],
    ["sthree-x", "no prefix sthree- (reserved)"],
    ["amzn-s3-demo-x", "no prefix amzn-s3-demo- (reserved)"],
    ["x-s3alias", "no suffix -s3alias (reserved)"],
    ["x--ol-s3", "no suffix --ol-s3 (reserved)"],
    ["x.mrap", "no suffix .mrap (reserved)"],
    ["x--x-s3", "no suffix --x-s3 (reserved)"],
  ])("%s: %s", (name, problem) => {
    expect(S3.bucketNameProblem(name)).toBe(problem);
    expect(S3.isValidBucketName(name)).toBe(problem === undefined);
  });

  test.each([undefined, null, 42, ["abc"]])("fails when the name is not a string (%p)", (v) => {
    expect(S3.isValidBucketName(v)).toBe(false);
  });

  test("the rule in words is built from the rule's numbers and lists", () => {
    expect(S3.BUCKET_NAME_RULE).toBe(
      "3-63 chars of lowercase letters, digits, '.' and '-', starting and ending with a letter or digit, no '..', not an IP address, no prefix xn--/sthree-/amzn-s3-demo-, no suffix -s3alias/--ol-s3/.mrap/--x-s3",
    );
  });
});
