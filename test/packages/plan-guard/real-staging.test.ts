/**
 * The plan guard on the real plan of the shipped staging keys stack (Terraform CLI and AWS
 * provider, offline, made once by the jest global setup): its records key is shared with the
 * analytics account 555555555555, declared in the committed plan-guard.allow.json, so the guard
 * shows it instead of blocking; without the declaration it blocks. The signing key is planned as an
 * asymmetric SIGN_VERIFY key. Skipped, with the reason in the test names, where Terraform is missing.
 */
import { join } from "node:path";
import { classifyPlans, loadAllowlist } from "@cmk-stacks/plan-guard";
import { offlineRun, offlineSkipReason, type OfflineRun } from "../../helpers/offline";

const skipped = offlineSkipReason();
const t = skipped ? test.skip : test;
const why = skipped ? ` (SKIPPED: ${skipped})` : "";
let run: OfflineRun;
beforeAll(async () => {
  if (!skipped) run = await offlineRun(["staging-keys"]);
}, 250_000);

t(`with the committed allowlist the shared key is shown, not blocked${why}`, () => {
  const r = classifyPlans(
    [{ stack: "staging-keys", plan: run.plan("staging-keys") }],
    loadAllowlist(join(__dirname, "..", "..", "..", "plan-guard.allow.json")),
    { withoutGraph: true },
  );
  expect(r.exitCode).toBe(0);
  expect(r.risky.filter((f) => f.rule === "key-policy-external-account-added").map((f) => [f.address, f.why])).toEqual([
    [
      expect.stringMatching(/^aws_kms_key\.key-records_key_/),
      expect.stringMatching(
        /^the key policy newly lets declared external accounts use the key: arn:aws:iam::555555555555:root \(gains kms:Decrypt, kms:DescribeKey, kms:Encrypt, kms:GenerateDataKey\*, kms:ReEncrypt\*, kms:CreateGrant, kms:ListGrants, kms:RevokeGrant\) \(declared in the allowlist's externalAccounts, 555555555555: /,
      ),
    ],
  ]);
});

t(`without the declaration the same real plan is blocked${why}`, () => {
  const r = classifyPlans(
    [{ stack: "staging-keys", plan: run.plan("staging-keys") }],
    { entries: [] },
    { withoutGraph: true },
  );
  expect(r.exitCode).toBe(1);
  expect(r.blocked.map((f) => f.rule)).toEqual(["key-policy-cross-account"]);
});

t(`the signing key is planned as an asymmetric key in AWS KMS${why}`, () => {
  const signing = (run.plan("staging-keys").resource_changes ?? []).filter(
    (c) => c.type === "aws_kms_key" && (c.change.after as Record<string, unknown>).key_usage === "SIGN_VERIFY",
  );
  expect(
    signing.map((c) => [
      c.change.actions,
      (c.change.after as Record<string, unknown>).customer_master_key_spec,
      (c.change.after as Record<string, unknown>).custom_key_store_id,
    ]),
  ).toEqual([[["create"], "ECC_NIST_P256", null]]);
});

t(`the multi-Region audit key and its replica are planned, and their service statements raise nothing${why}`, () => {
  const plan = run.plan("staging-keys");
  const changes = plan.resource_changes ?? [];
  const audit = changes.find((c) => c.type === "aws_kms_key" && c.address.startsWith("aws_kms_key.key-audit_key_"));
  expect((audit?.change.after as Record<string, unknown>).multi_region).toBe(true);
  const replicas = changes.filter((c) => c.type === "aws_kms_replica_key");
  expect(replicas.map((c) => [c.address.replace(/_[0-9A-F]{8}$/, ""), c.change.actions])).toEqual([
    ["aws_kms_replica_key.key-audit_replica-eu-central-1_key", ["create"]],
  ]);
  const configured = plan.configuration?.root_module?.resources?.find((r) => r.address === replicas[0].address);
  expect(configured?.provider_config_key).toBe("aws.eu-central-1");
  const r = classifyPlans([{ stack: "staging-keys", plan }], { entries: [] }, { withoutGraph: true });
  const onAudit = [...r.blocked, ...r.risky].filter((f) => /key-audit_/.test(f.address)).map((f) => f.rule);
  expect(onAudit.filter((rule) => rule.startsWith("key-policy"))).toEqual([]);
});
