import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { compareOutputs, differenceLines } from "../../../tools/cdktn/compare";

const work = mkdtempSync(join(tmpdir(), "cmk-cdktn-compare-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let n = 0;
function outputs(a: Record<string, string>, b: Record<string, string>): [string, string] {
  const dirs: [string, string] = [join(work, `${++n}-a`), join(work, `${n}-b`)];
  for (const [dir, files] of [
    [dirs[0], a],
    [dirs[1], b],
  ] as const)
    for (const [f, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, f)), { recursive: true });
      writeFileSync(join(dir, f), text);
    }
  return dirs;
}
const stack = (providers: object, extra: object = {}) =>
  JSON.stringify({ "//": { metadata: { version: "0.21.0" } }, terraform: { required_providers: providers }, ...extra });

test("classifies the provider version, the source's spelling and the library version; the rest is unexplained", () => {
  const [a, b] = outputs(
    {
      "stacks/s/cdk.tf.json": stack({ aws: { source: "aws", version: ">= 6.25.0, < 7.0.0" } }, { resource: { x: 1 } }),
    },
    {
      "stacks/s/cdk.tf.json": JSON.stringify({
        "//": { metadata: { version: "0.24.0" } },
        terraform: { required_providers: { aws: { source: "hashicorp/aws", version: ">= 6.66.0, < 7.0.0" } } },
        resource: { x: 2 },
      }),
    },
  );
  expect(compareOutputs(a, b).map((d) => [d.path, d.kind])).toEqual([
    ["//.metadata.version", "library-version"],
    ["resource.x", "unexplained"],
    ["terraform.required_providers.aws.source", "provider-source-spelling"],
    ["terraform.required_providers.aws.version", "provider-version"],
  ]);
});

test("a source naming another provider, a missing file, a different asset and an extra array item are unexplained", () => {
  const [a, b] = outputs(
    {
      "stacks/s/cdk.tf.json": stack({ aws: { source: "aws" } }, { list: [1] }),
      "stacks/s/assets/h.js": "one",
      "stacks/s/only-cdktf.json": "{}",
    },
    {
      "stacks/s/cdk.tf.json": stack({ aws: { source: "acme/aws" } }, { list: [1, 2] }),
      "stacks/s/assets/h.js": "two",
    },
  );
  const diffs = compareOutputs(a, b);
  expect(diffs.every((d) => d.kind === "unexplained")).toBe(true);
  expect(differenceLines(diffs)).toEqual([
    "UNEXPLAINED: stacks/s/assets/h.js: cdktf (3 bytes), cdktn (3 bytes)",
    "UNEXPLAINED: stacks/s/cdk.tf.json list: cdktf [1], cdktn [1,2]",
    'UNEXPLAINED: stacks/s/cdk.tf.json terraform.required_providers.aws.source: cdktf "aws", cdktn "acme/aws"',
    "UNEXPLAINED: stacks/s/only-cdktf.json: cdktf (file), cdktn (missing)",
  ]);
});

test("equal values written differently are formatting; Terraform's own files are not output", () => {
  const [a, b] = outputs(
    { "manifest.json": '{\n  "a": [\n  ]\n}', "stacks/s/.terraform.lock.hcl": "x" },
    { "manifest.json": '{"a":[]}' },
  );
  expect(compareOutputs(a, b)).toEqual([{ file: "manifest.json", path: "", kind: "formatting" }]);
});
