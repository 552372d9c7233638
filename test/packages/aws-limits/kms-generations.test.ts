/** The rulebook's manual-rotation check (KMS.keyGenerationsProblems) and the GetKeyLastUsage quota. */
import { KMS, XKS } from "@cmk-stacks/aws-limits";

const check = (g: Partial<Parameters<typeof KMS.keyGenerationsProblems>[0]>) =>
  KMS.keyGenerationsProblems({ store: "cloudhsm", current: 1, xksKeyIdPattern: XKS.KEY_ID.regex, ...g }).map((p) => [
    p.field,
    p.value,
  ]);

test("GetKeyLastUsage: 5 requests per second, stated on AWS's request quotas page", () => {
  expect(KMS.GET_KEY_LAST_USAGE_REQUESTS_PER_SECOND.value).toBe(5);
  expect(KMS.GET_KEY_LAST_USAGE_REQUESTS_PER_SECOND.doc).toBe(
    "https://docs.aws.amazon.com/kms/latest/developerguide/requests-per-second.html",
  );
  expect(KMS.MANUAL_ROTATION_DOC).toBe(
    "https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys-manually.html",
  );
  expect(KMS.FIRST_KEY_GENERATION.value).toBe(1);
  expect(KMS.KEY_GENERATIONS).toMatchObject({ min: 1, max: 100, integer: true });
});

test.each<[string, Partial<Parameters<typeof KMS.keyGenerationsProblems>[0]>, unknown[][]]>([
  ["one generation anywhere", { store: "aws-kms" }, []],
  ["generation 5 in CloudHSM, 1-4 retired", { current: 5, retired: [1, 2, 3, 4] }, []],
  [
    "XKS generation 3 with its external keys",
    { store: "xks", current: 3, xksKeyId: "e1", xksKeyIds: { "2": "e2", "3": "e3" } },
    [],
  ],
  ["a fraction", { current: 1.5 }, [["current", 1.5]]],
  ["beyond the project's bound (a typo must not ask for a billion keys)", { current: 1e9 }, [["current", 1e9]]],
  [
    "an XKS key beyond the bound is not asked for a billion external keys",
    { store: "xks", current: 1e9, xksKeyId: "e1" },
    [["current", 1e9]],
  ],
  ["the bound itself", { current: 100, retired: Array.from({ length: 99 }, (_, i) => i + 1) }, []],
  ["a string", { current: "2" }, [["current", "2"]]],
  ["AWS-KMS above 1", { store: "aws-kms", current: 2 }, [["current", 2]]],
  ["retired not a list", { current: 2, retired: 1 }, [["retired", 1]]],
  ["retired with no earlier generation", { current: 1, retired: [1] }, [["retired.0", 1]]],
  [
    "retired future, fraction and repeat",
    { current: 3, retired: [4, 1.5, 2, 2] },
    [
      ["retired.0", 4],
      ["retired.1", 1.5],
      ["retired.3", 2],
    ],
  ],
  [
    "xksKeyIds not an object",
    { store: "xks", current: 2, xksKeyId: "e1", xksKeyIds: ["e2"] },
    [
      ["xksKeyIds", ["e2"]],
      ["xksKeyIds.2", undefined],
    ],
  ],
  [
    "the same external key twice",
    { store: "xks", current: 3, xksKeyId: "e1", xksKeyIds: { "2": "e2", "3": "e2" } },
    [["xksKeyIds.3", "e2"]],
  ],
  [
    "xksKeyIds while current is 1",
    { store: "xks", current: 1, xksKeyId: "e1", xksKeyIds: { "1": "e9" } },
    [["xksKeyIds.1", "e9"]],
  ],
  [
    "a generation key that is not a number",
    { store: "xks", current: 2, xksKeyId: "e1", xksKeyIds: { "2": "e2", two: "e3" } },
    [["xksKeyIds.two", "e3"]],
  ],
])("%s", (_label, input, expected) => {
  expect(check(input)).toEqual(expected);
});
