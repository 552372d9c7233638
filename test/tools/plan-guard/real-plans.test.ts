/**
 * The guard against plans produced by the real Terraform CLI through the offline harness: a small
 * handwritten keys stack is planned, "applied" into a state built from the plan, changed, and
 * planned again. Skipped (with the reason in the test names) where Terraform or the mirror is missing.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { findTerraform, init, plan, prepareScratch, showJson, stateFromPlan, validate } from "../../../tools/terraform/offline";
import { blockLine, classifyPlans, parseAllowlist, type GuardResult } from "../../../tools/plan-guard";
import { scratchDir, type Json } from "../terraform/fixtures";

const found = findTerraform();
const t = found.ok ? test : test.skip;
const why = found.ok ? "" : ` (skipped: ${found.reason})`;

const PEM_A = "-----BEGIN CERTIFICATE-----\nMIIBAAAA\n-----END CERTIFICATE-----\n";
const PEM_B = "-----BEGIN CERTIFICATE-----\nMIIBBBBB\n-----END CERTIFICATE-----\n";

/** A CloudHSM-backed keys stack: cluster, 2 HSMs, key store, a key in it, a key for FSx, an FSx file system, a bucket. */
function stack(): Json & { resource: Record<string, Record<string, Json>>; removed?: Json[] } {
  return {
    terraform: { required_providers: { aws: { source: "aws", version: "6.25.0" } } },
    provider: { aws: [{ region: "eu-west-1" }] },
    resource: {
      aws_cloudhsm_v2_cluster: { main: { hsm_type: "hsm2m.medium", mode: "FIPS", subnet_ids: ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"] } },
      aws_cloudhsm_v2_hsm: {
        a: { cluster_id: "${aws_cloudhsm_v2_cluster.main.cluster_id}", subnet_id: "subnet-0aaaaaaaaaaaaaaa1" },
        b: { cluster_id: "${aws_cloudhsm_v2_cluster.main.cluster_id}", subnet_id: "subnet-0bbbbbbbbbbbbbbb2" },
      },
      aws_kms_custom_key_store: {
        hsm: {
          custom_key_store_name: "t-hsm-store",
          cloud_hsm_cluster_id: "${aws_cloudhsm_v2_cluster.main.cluster_id}",
          key_store_password: "kmsuserPassw0rd",
          trust_anchor_certificate: PEM_A,
        },
      },
      aws_kms_key: {
        stored: { description: "key in the HSM store", custom_key_store_id: "${aws_kms_custom_key_store.hsm.id}", deletion_window_in_days: 30 },
        fsx: { description: "FSx key", deletion_window_in_days: 30 },
        other: { description: "another key", deletion_window_in_days: 30 },
      },
      aws_fsx_ontap_file_system: {
        files: {
          deployment_type: "SINGLE_AZ_1", storage_capacity: 1024, throughput_capacity: 128,
          subnet_ids: ["subnet-0aaaaaaaaaaaaaaa1"], preferred_subnet_id: "subnet-0aaaaaaaaaaaaaaa1", kms_key_id: "${aws_kms_key.fsx.arn}",
        },
      },
      aws_s3_bucket: { data: { bucket: "t-real-plans-data", tags: { Team: "a" } } },
    },
  };
}

describe(`plan guard on real Terraform plans${why}`, () => {
  const s = scratchDir("guard-real");
  afterAll(s.cleanup);

  const guard = async (change: (c: ReturnType<typeof stack>) => void, name: string, allow?: Json): Promise<GuardResult> => {
    const c = stack();
    change(c);
    prepareScratch(c, s.dir);
    await plan(s.dir, { out: `${name}.plan`, stateFile: "applied.tfstate" });
    const p = await showJson(s.dir, `${name}.plan`);
    return classifyPlans([{ stack: "t-keys", plan: p }], allow ? parseAllowlist(allow) : undefined);
  };

  t("the first plan (everything created) blocks nothing", async () => {
    prepareScratch(stack(), s.dir);
    await init(s.dir);
    await validate(s.dir);
    await plan(s.dir, { out: "first.plan" });
    const first = await showJson(s.dir, "first.plan");
    writeFileSync(join(s.dir, "applied.tfstate"), JSON.stringify(stateFromPlan(first)));
    const r = classifyPlans([{ stack: "t-keys", plan: first }]);
    expect(r.exitCode).toBe(0);
    expect(r.risky.map((f) => `${f.address} ${f.action}`)).toContain("aws_kms_key.stored create");
  }, 120000);

  t("removing a key block is blocked as a delete", async () => {
    const r = await guard((c) => delete c.resource.aws_kms_key.other, "remove-key");
    expect(r.exitCode).toBe(1);
    expect(r.blocked.map(blockLine)).toEqual([
      "BLOCKED [t-keys] aws_kms_key.other (delete): deletes this KMS key; KMS schedules the key for deletion, and when the window ends every byte encrypted under it (S3 objects, EBS volumes, FSx data, data keys) can never be decrypted again; a key in an external key store cannot be recreated even from the same external key. Avoid: keep the resource; for a rename or refactor use a `moved` block (CDKTF: `moveTo`), not a `removed` block (that forgets it and prevent_destroy no longer protects it); if the deletion is really intended, follow the teardown procedure and allowlist it with the reason.",
    ]);
  }, 60000);

  t("changing a key's custom_key_store_id is blocked as a replacement", async () => {
    const r = await guard((c) => (c.resource.aws_kms_key.stored.custom_key_store_id = "cks-0123456789abcdef0"), "store-id");
    expect(r.blocked.map((f) => [f.address, f.action, f.rule])).toEqual([["aws_kms_key.stored", "replace", "destroy-key-bearing"]]);
    expect(r.blocked[0].why).toMatch(/^replaces this KMS key \(forced by custom_key_store_id\): the old one is destroyed; /);
  }, 60000);

  t("changing a key store's trust anchor is blocked: the store is replaced, and with it the key it holds", async () => {
    const r = await guard((c) => (c.resource.aws_kms_custom_key_store.hsm.trust_anchor_certificate = PEM_B), "trust-anchor");
    expect(r.blocked.map((f) => [f.address, f.action, f.rule])).toEqual([
      ["aws_kms_custom_key_store.hsm", "replace", "destroy-key-bearing"],
      ["aws_kms_key.stored", "replace", "destroy-key-bearing"],
    ]);
    expect(r.blocked[0].why).toContain("(forced by trust_anchor_certificate)");
    expect(r.blocked[1].why).toContain("(forced by custom_key_store_id)");
  }, 60000);

  t("dropping an HSM (2 -> 1) is blocked twice: the delete, and the cluster falling below 2", async () => {
    const r = await guard((c) => delete c.resource.aws_cloudhsm_v2_hsm.b, "drop-hsm");
    expect(r.blocked.map((f) => [f.address, f.action, f.rule])).toEqual([
      ["aws_cloudhsm_v2_hsm.b", "delete", "destroy-key-bearing"],
      ["aws_cloudhsm_v2_hsm.b", "delete", "hsm-count-below-2"],
    ]);
    expect(r.blocked[1].why).toBe(
      "leaves CloudHSM cluster aws_cloudhsm_v2_cluster.main with 1 HSM (had 2): the key store needs at least 2 active HSMs in different AZs to connect (INSUFFICIENT_CLOUDHSM_HSMS) and to create keys",
    );
  }, 60000);

  t("changing an FSx file system's kms_key_id is blocked as a replacement", async () => {
    const r = await guard((c) => (c.resource.aws_fsx_ontap_file_system.files.kms_key_id = "${aws_kms_key.other.arn}"), "fsx-key");
    expect(r.blocked.map((f) => [f.address, f.action, f.rule])).toEqual([["aws_fsx_ontap_file_system.files", "replace", "destroy-key-bearing"]]);
    expect(r.blocked[0].why).toContain("(forced by kms_key_id)");
  }, 60000);

  t("a removed block with destroy = false is blocked as a forget", async () => {
    const r = await guard((c) => {
      delete c.resource.aws_kms_key.other;
      c.removed = [{ from: "aws_kms_key.other", lifecycle: { destroy: false } }];
    }, "forget");
    expect(r.blocked.map(blockLine)).toEqual([
      "BLOCKED [t-keys] aws_kms_key.other (forget): forgets this KMS key: Terraform stops managing it, nothing protects it any more and the configuration no longer says it must exist; KMS schedules the key for deletion, and when the window ends every byte encrypted under it (S3 objects, EBS volumes, FSx data, data keys) can never be decrypted again; a key in an external key store cannot be recreated even from the same external key. Avoid: keep the resource in the configuration: `removed { lifecycle { destroy = false } }` leaves it unmanaged and unprotected; for a rename use a `moved` block (CDKTF: `moveTo`); to hand it to another state, import it there in the same change and allowlist this with the reason.",
    ]);
  }, 60000);

  t("a forget listed in the allowlist with a reason is allowed", async () => {
    const r = await guard((c) => {
      delete c.resource.aws_kms_key.other;
      c.removed = [{ from: "aws_kms_key.other", lifecycle: { destroy: false } }];
    }, "forget-allowed", { allow: [{ address: "aws_kms_key.other", stack: "t-keys", reason: "moved to the shared-keys state (#42)", actions: ["forget"] }] });
    expect(r.exitCode).toBe(0);
    expect(r.allowed.map((a) => [a.finding.address, a.finding.action, a.entry.reason])).toEqual([["aws_kms_key.other", "forget", "moved to the shared-keys state (#42)"]]);
  }, 60000);

  t("a harmless tag change is allowed (reported as risky only)", async () => {
    const r = await guard((c) => (c.resource.aws_s3_bucket.data.tags = { Team: "b" }), "tags");
    expect(r.exitCode).toBe(0);
    expect(r.blocked).toEqual([]);
    expect(r.risky.map((f) => [f.address, f.action, f.why])).toEqual([["aws_s3_bucket.data", "update", "in-place update of S3 bucket: tags, tags_all change"]]);
  }, 60000);
});
