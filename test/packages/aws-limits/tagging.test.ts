import { TAGGING } from "@cmk-stacks/aws-limits";
import { describeShapes } from "../../helpers/rulebook";

describe("shapes", () => describeShapes(TAGGING as unknown as Record<string, unknown>));

test("the environment's tags and the tool's together stay within AWS's tags per resource", () => {
  expect(TAGGING.TAGS_MAX.value + TAGGING.TOOL_TAGS_RESERVED.value).toBeLessThanOrEqual(
    TAGGING.TAGS_PER_RESOURCE.value,
  );
  expect(TAGGING.TAGS_MAX.value).toBe(40);
  expect(TAGGING.TAGS_PER_RESOURCE.value).toBe(50);
});

describe("tag keys the environment may set: TAGGING.isUserTagKey", () => {
  test.each([
    ["Owner", true],
    ["k".repeat(128), true],
    ["k".repeat(129), false],
    ["", false],
    ["aws:owner", false],
    ["AWS:Owner", false],
    ["team:aws:x", true],
  ])("%j -> %s", (key, ok) => {
    expect(TAGGING.isUserTagKey(key)).toBe(ok);
  });
});

describe("tag characters: TAGGING.TAG_CHARS", () => {
  test.each([
    ["cost-centre: 42/a_b.c=d+e@f", true],
    ["Ärzte Zürich", true],
    ["", true],
    ["a;b", false],
    ["a*b", false],
    ["line\nbreak", false],
  ])("%j -> %s", (v, ok) => {
    expect(TAGGING.TAG_CHARS.regex.test(v)).toBe(ok);
  });
});
