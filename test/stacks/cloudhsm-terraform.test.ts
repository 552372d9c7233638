/**
 * prod's CloudHSM stacks (second apply, with certificates) and the first apply (CSR only) through
 * the real Terraform CLI and AWS provider 5.100, offline: init, validate, plan -refresh=false.
 * `generated` trust is not planned: the offline mirror holds no tls provider (asserted below).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findTerraform } from "../../tools/terraform/offline";
import { validateOffline } from "../../tools/validate/run-offline";
import { synthEnvs } from "../helpers/synth";
import { prodCloudHsmOnly } from "../modules/cloudhsm/fixtures";

const tf = findTerraform();
const run = tf.ok ? test : test.skip;
const first = prodCloudHsmOnly((e) => {
  e.name = "first";
  (e.cloudHsm as { trust: unknown }).trust = { mode: "provided" };
});
const gen = prodCloudHsmOnly((e) => {
  e.name = "gen";
  (e.cloudHsm as { trust: unknown }).trust = { mode: "generated" };
});

run(
  tf.ok ? "prod (CloudHSM) and its first apply validate and plan with the real provider" : `offline Terraform (SKIPPED: ${tf.ok ? "" : tf.reason})`,
  async () => {
    const { outdir } = synthEnvs({ prod: prodCloudHsmOnly(), first, gen });
    const scratch = mkdtempSync(join(tmpdir(), "cmk-cloudhsm-tf-"));
    try {
      const results = await validateOffline(outdir, scratch);
      const by = Object.fromEntries(results.map((r) => [r.stack, r]));
      for (const s of ["prod-keys", "prod-data", "first-keys", "first-data"]) expect([s, by[s].ok, by[s].summary]).toEqual([s, true, expect.stringMatching(/^validate ok, plan ok/)]);
      const planned = (s: string, type: string) => (by[s].plan?.resource_changes ?? []).filter((c) => c.type === type && c.change.actions.includes("create")).length;
      expect(planned("prod-keys", "aws_cloudhsm_v2_hsm")).toBe(3);
      expect(planned("prod-keys", "aws_kms_custom_key_store")).toBe(1);
      expect(planned("prod-data", "aws_fsx_ontap_file_system")).toBe(1);
      expect(planned("first-keys", "aws_cloudhsm_v2_hsm")).toBe(1);
      expect(planned("first-keys", "aws_kms_custom_key_store")).toBe(0);
      expect(by["gen-keys"]).toMatchObject({ ok: false, summary: expect.stringContaining("registry.terraform.io/hashicorp/tls") });
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  },
  300_000,
);
