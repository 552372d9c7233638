/**
 * `npm run validate` end to end: the real Terraform CLI and AWS provider, offline, over the
 * shipped environments and two prod variants (run once by the jest global setup). Skipped, with
 * the reason in the test name, where no Terraform CLI or provider mirror exists.
 */
import { offlineRun, offlineSkipReason, type OfflineRun } from "../../helpers/offline";

const skipped = offlineSkipReason();
const t = skipped ? test.skip : test;
const why = skipped ? ` (SKIPPED: ${skipped})` : "";
let run: OfflineRun;
beforeAll(async () => {
  if (!skipped) run = await offlineRun();
}, 250_000);

t(`npm run validate passes every shipped stack through terraform plan (which validates first)${why}`, () => {
  for (const s of ["dev-keys", "dev-data", "staging-keys", "staging-data", "prod-keys", "prod-data"]) {
    expect([s, run.stacks[s]?.ok, run.stacks[s]?.summary]).toEqual([
      s,
      true,
      expect.stringMatching(/^plan ok: \d+ to add, 0 to change, 0 to destroy/),
    ]);
  }
  expect(run.stdout).toMatch(/^ok {3}prod-keys {8}plan ok: /m);
  expect(run.stdout.trim().split("\n").pop()).toBe("validate: 7 passed, 1 failed");
});

t(`prod plans the whole CloudHSM and XKS path${why}`, () => {
  const created = (stack: string, type: string) =>
    (run.plan(stack).resource_changes ?? []).filter((c) => c.type === type && c.change.actions.join() === "create")
      .length;
  expect(created("prod-keys", "aws_cloudhsm_v2_cluster")).toBe(1);
  expect(created("prod-keys", "aws_cloudhsm_v2_hsm")).toBe(3);
  expect(created("prod-keys", "aws_kms_custom_key_store")).toBe(2);
  expect(created("prod-keys", "aws_vpc_endpoint_service")).toBe(1);
  expect(created("prod-keys", "aws_kms_key")).toBe(4); // three customer keys and the alarm topic's key
  expect(created("prod-keys", "aws_lambda_function")).toBe(1);
  expect(created("prod-data", "aws_fsx_ontap_file_system")).toBe(1);
  expect(created("prod-data", "aws_s3_bucket")).toBe(1);
});

t(`the CloudHSM first apply (no certificate files yet) stops after the first HSM${why}`, () => {
  expect(run.stacks["first-keys"]).toMatchObject({ ok: true });
  const created = (type: string) =>
    (run.plan("first-keys").resource_changes ?? []).filter(
      (c) => c.type === type && c.change.actions.join() === "create",
    ).length;
  expect(created("aws_cloudhsm_v2_cluster")).toBe(1);
  expect(created("aws_cloudhsm_v2_hsm")).toBe(1);
  expect(created("aws_kms_custom_key_store")).toBe(0);
  expect(created("aws_kms_key")).toBe(2); // the AWS-KMS customer key and the alarm topic's key
  expect(run.plan("first-keys").planned_values?.outputs?.cloudhsm_cluster_csr).toBeDefined();
});

t(`generated trust needs the tls provider, which the offline mirror does not hold${why}`, () => {
  expect(run.stacks["gen-keys"]).toMatchObject({
    ok: false,
    summary: "needs providers the offline mirror does not hold: registry.terraform.io/hashicorp/tls",
  });
});
