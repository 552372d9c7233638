import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { planSummary, terraformDriftRunner } from "../../tools/ops/drift";

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "cmk-drift-"));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A stand-in terraform: records its arguments, prints `out`, exits with `code` (init always 0). */
function fakeTerraform(code: number, out: string): string {
  const bin = join(root, `tf-${code}`);
  writeFileSync(
    bin,
    `#!/bin/sh\necho "$@" >> "${root}/calls-${code}"\nif [ "$1" = init ]; then mkdir -p .terraform; exit 0; fi\nprintf '%s\\n' "${out}"\nexit ${code}\n`,
  );
  chmodSync(bin, 0o755);
  return bin;
}

function stack(name: string): string {
  const dir = join(root, "cdktf.out", "stacks", name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "cdk.tf.json"), "{}");
  return dir;
}

test("planSummary: the plan line or No changes", () => {
  expect(planSummary("Refreshing...\n\nPlan: 0 to add, 1 to change, 0 to destroy.\n")).toBe(
    "Plan: 0 to add, 1 to change, 0 to destroy.",
  );
  expect(planSummary("No changes. Your infrastructure matches the configuration.\n")).toBe(
    "No changes. Your infrastructure matches the configuration.",
  );
  expect(planSummary("Error: x")).toBeUndefined();
});

test("runs init when the stack is not initialised, then plan -detailed-exitcode -lock=false; passes the exit code and the summary", async () => {
  stack("dev-keys");
  const bin = fakeTerraform(2, "Plan: 0 to add, 1 to change, 0 to destroy.");
  const run = terraformDriftRunner({ root, terraformBin: bin });
  expect(await run("dev-keys")).toEqual({ exitCode: 2, summary: "Plan: 0 to add, 1 to change, 0 to destroy." });
  expect(await run("dev-keys")).toEqual({ exitCode: 2, summary: "Plan: 0 to add, 1 to change, 0 to destroy." });
  expect(readFileSync(join(root, "calls-2"), "utf8").trim().split("\n")).toEqual([
    "init -input=false -no-color",
    "plan -detailed-exitcode -input=false -lock=false -no-color",
    "plan -detailed-exitcode -input=false -lock=false -no-color",
  ]);
});

test("a stack that is not synthesized is missing; a terraform that cannot start is exit 127", async () => {
  expect(await terraformDriftRunner({ root, terraformBin: fakeTerraform(0, "") })("nope-keys")).toEqual({
    missing: "nope-keys is not synthesized (cdktf.out/stacks/nope-keys/cdk.tf.json)",
  });
  stack("dev-data");
  expect(await terraformDriftRunner({ root, terraformBin: join(root, "no-such-terraform") })("dev-data")).toEqual({
    exitCode: 127,
  });
});
