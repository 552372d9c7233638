import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTerraformRunner } from "../../tools/ops/teardown-steps/terraform-runner";

let root: string;
let bin: string;
let calls: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "cmk-runner-"));
  mkdirSync(join(root, "cdktf.out", "stacks", "dev-keys"), { recursive: true });
  writeFileSync(join(root, "cdktf.out", "stacks", "dev-keys", "cdk.tf.json"), JSON.stringify({ terraform: {} }));
  calls = join(root, "calls.log");
  bin = join(root, "terraform");
  // A stand-in terraform: records its arguments; `plan -out=F` writes F, `show -json F` prints a
  // plan naming F's contents, `state pull` prints $STATE (nothing when unset).
  writeFileSync(
    bin,
    `#!/bin/sh
echo "$*" >> "${calls}"
case "$1" in
  plan) printf 'plan-1' > "\${4#-out=}" ;;
  show) printf '{"format_version":"1.2","planned":"%s"}' "$(cat "$4")" ;;
  state) printf '%s' "$STATE" ;;
esac
exit 0
`,
  );
  chmodSync(bin, 0o755);
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

const ran = () =>
  readFileSync(calls, "utf8")
    .trim()
    .split("\n")
    .map((l) => l.split(" ").slice(0, 2).join(" "));

describe("the teardown's Terraform runner (a stand-in terraform)", () => {
  test("shows a plan file once while its bytes are unchanged, again after any change, a new plan or an apply", async () => {
    const runner = createTerraformRunner({ root, bin, env: { PATH: process.env.PATH } });
    const dir = await runner.prepare("dev-keys", { removed: [] });
    await runner.plan(dir, "teardown.tfplan");
    const first = await runner.show(dir, "teardown.tfplan");
    const again = await runner.show(dir, "teardown.tfplan");
    expect(again).toEqual(first);
    expect(again).not.toBe(first);
    expect(ran().filter((c) => c.startsWith("show"))).toHaveLength(1);
    // The file changed after review: Terraform reads it again, and the changed plan is what is returned.
    writeFileSync(join(dir, "teardown.tfplan"), "plan-2");
    expect(await runner.show(dir, "teardown.tfplan")).toEqual({ format_version: "1.2", planned: "plan-2" });
    expect(ran().filter((c) => c.startsWith("show"))).toHaveLength(2);
    await runner.plan(dir, "teardown.tfplan");
    await runner.show(dir, "teardown.tfplan");
    await runner.apply(dir, "teardown.tfplan");
    await runner.show(dir, "teardown.tfplan");
    expect(ran()).toEqual([
      "init -input=false",
      "plan -input=false",
      "show -json",
      "show -json",
      "plan -input=false",
      "show -json",
      "apply -input=false",
      "show -json",
    ]);
  });

  test("reads state with `terraform state pull`: nothing printed is no resources, a stored state keeps ids only", async () => {
    const empty = createTerraformRunner({ root, bin, env: { PATH: process.env.PATH } });
    expect(await empty.state("dev-keys")).toEqual([]);
    const stored = {
      version: 4,
      resources: [
        {
          mode: "managed",
          type: "aws_kms_key",
          name: "k",
          instances: [{ attributes: { key_id: "k1", arn: "arn:k1", policy: "{}" } }],
        },
      ],
    };
    const runner = createTerraformRunner({ root, bin, env: { PATH: process.env.PATH, STATE: JSON.stringify(stored) } });
    expect(await runner.state("dev-keys")).toEqual([
      { address: "aws_kms_key.k", type: "aws_kms_key", values: { key_id: "k1", arn: "arn:k1" } },
    ]);
    expect(ran().filter((c) => !c.startsWith("init"))).toEqual(["state pull", "state pull"]);
  });
});
