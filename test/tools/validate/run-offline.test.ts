/**
 * The combined offline runs of `npm run validate` (tools/validate/run-offline.ts) with the real
 * Terraform CLI on tiny stacks that need no provider download (`terraform_data` only): every
 * stack, keys and data, planned in one run, and when that run fails, each stack alone so the
 * error names its stack.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { validateOffline } from "../../../tools/validate/run-offline";
import { findTerraform } from "../../../tools/terraform/offline";

const tf = findTerraform();
const skipped = process.env.CMK_SKIP_TERRAFORM ? "CMK_SKIP_TERRAFORM is set" : tf.ok ? undefined : tf.reason;
const t = skipped ? test.skip : test;
const why = skipped ? ` (SKIPPED: ${skipped})` : "";
const work = mkdtempSync(join(tmpdir(), "cmk-validate-combined-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function outdir(name: string, stacks: Record<string, object>): string {
  const dir = join(work, name);
  for (const [stack, json] of Object.entries(stacks)) {
    mkdirSync(join(dir, "stacks", stack), { recursive: true });
    writeFileSync(join(dir, "stacks", stack, "cdk.tf.json"), JSON.stringify(json));
  }
  return dir;
}

const ok = (input: string) => ({
  resource: { terraform_data: { marker: { input } } },
  output: { marker: { value: "${terraform_data.marker.output}" } },
});

t(
  `all stacks, keys and data, pass in one combined run, with per-stack summaries${why}`,
  async () => {
    const out = outdir("good", { "a-keys": ok("a"), "b-keys": ok("b"), "a-data": ok("a-data") });
    const seen: string[] = [];
    const results = await validateOffline(out, join(work, "good-scratch"), {
      savePlans: (s) => s === "b-keys",
      progress: (l) => seen.push(l),
    });
    expect(seen).toEqual(["validate: planning a-data, a-keys, b-keys in one Terraform run..."]);
    const line = Object.fromEntries(results.map((r) => [r.stack, [r.ok, r.summary]]));
    expect(line).toEqual({
      "a-keys": [true, "validate ok, plan ok: 1 to add, 0 to change, 0 to destroy"],
      "b-keys": [true, "validate ok, plan ok: 1 to add, 0 to change, 0 to destroy"],
      "a-data": [true, "validate ok, plan ok: 1 to add, 0 to change, 0 to destroy"],
    });
    // The plan of one module, as if planned alone: root addresses, its own output.
    const b = results.find((r) => r.stack === "b-keys")?.plan;
    expect(b?.resource_changes?.map((c) => `${c.address} ${c.change.actions.join()}`)).toEqual([
      "terraform_data.marker create",
    ]);
    expect(Object.keys(b?.output_changes ?? {})).toEqual(["marker"]);
  },
  60_000,
);

t(
  `a failing stack fails the combined run; each stack then runs alone and only the broken one fails, with Terraform's error${why}`,
  async () => {
    const broken = { resource: { terraform_data: { marker: { input: "x", not_an_argument: true } } } };
    const out = outdir("bad", { "a-keys": ok("a"), "b-keys": broken });
    // What a user sees, in order: each phase says what it waits for, and each stack's line comes
    // as that stack finishes (here, the per-stack reruns one by one), not all at the end.
    const seen: string[] = [];
    const results = await validateOffline(out, join(work, "bad-scratch"), {
      planOnly: true,
      progress: (l) => seen.push(l),
      report: (r) => seen.push(`${r.ok ? "ok" : "FAIL"} ${r.stack}`),
    });
    expect(seen[0]).toBe("validate: planning a-keys, b-keys in one Terraform run...");
    expect(seen[1]).toBe("validate: the combined run of a-keys, b-keys failed; running each stack on its own...");
    expect(seen.slice(2).sort()).toEqual(["FAIL b-keys", "ok a-keys"]);
    const line = Object.fromEntries(results.map((r) => [r.stack, [r.ok, r.summary]]));
    expect(line["a-keys"]).toEqual([true, "plan ok: 1 to add, 0 to change, 0 to destroy"]);
    expect(line["b-keys"]).toEqual([
      false,
      expect.stringMatching(
        /^terraform plan failed in b-keys: Error: Extraneous JSON object property .*not_an_argument/,
      ),
    ]);
  },
  60_000,
);
