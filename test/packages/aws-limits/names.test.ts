import { NAMES } from "@cmk-stacks/aws-limits";
import { describeShape } from "./rules";

describeShape("NAMES", NAMES, ["docs.aws.amazon.com", "datatracker.ietf.org"]);

test.each([
  ["dev", true],
  ["d", false],
  ["a".repeat(20), true],
  ["a".repeat(21), false],
  ["1dev", false],
  ["Dev", false],
  ["dev-2", true],
])("environment name %s: %s", (name, ok) => {
  expect(NAMES.ENVIRONMENT_NAME.regex.test(name)).toBe(ok);
});

test("the longest environment name gives a target group name of exactly ELB's limit", () => {
  expect(`${"a".repeat(NAMES.ENVIRONMENT_NAME_LENGTH.max)}-xks-proxies`).toHaveLength(NAMES.ELB_NAME_LENGTH.max);
});

test.each([
  ["prod-xks", true, undefined],
  ["a".repeat(33), false, "at most 32 characters"],
  ["prod_xks", false, "letters, digits and hyphens only"],
  ["-prod", false, "not starting or ending with a hyphen"],
  [
    "internal-xks",
    true,
    `not starting with "internal-" (ELB reserves it for the DNS names of internal load balancers)`,
  ],
  ["internal-xks-proxies", false, undefined],
])("ELB name %s (load balancer: %s): %s", (name, loadBalancer, problem) => {
  expect(NAMES.elbNameProblem(name, loadBalancer)).toBe(problem);
});

test.each([
  ["prod-xks", true, []],
  [`-${"a".repeat(32)}`, false, ["length", "hyphen"]],
  ["a_b", false, ["characters"]],
  ["internal-a", true, ["reserved-prefix"]],
  ["Internal-a", true, ["reserved-prefix"]],
  ["internal-a", false, []],
])("ELB name %s (load balancer: %s) breaks %j", (name, loadBalancer, broken) => {
  expect(NAMES.elbNameBreaks(name, loadBalancer)).toEqual(broken);
});

test.each([
  ["xks.example.com", true],
  ["example", false],
  ["Xks.example.com", false],
  ["-x.example.com", false],
  [`${"a".repeat(63)}.com`, true],
  [`${"a".repeat(64)}.com`, false],
  [`${"a.".repeat(126)}a`, true],
  [`${"a.".repeat(126)}ab`, false],
  [42, false],
])("DNS name %p: %s", (name, ok) => {
  expect(NAMES.isDnsName(name)).toBe(ok);
});
